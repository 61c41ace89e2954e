"""CPU seconds per page of each client stage: what sizes the CPU side of a cluster.

    .venv/bin/python benchmarks/stage_cost.py [--max-pages 4] [--as-scans]

Pages: the development documents (the first ``max-pages`` pages of each; the samples when
``../shared/eval-dev`` is absent), built-in layout, the PaddleOCR-VL recognizer against the
fake vLLM server (its own process, answering at once, so the figures are the client's CPU
only). Each stage runs alone, one page at a time, and is charged the process CPU time
(``time.process_time``, every thread) it used; one warm-up page first. A Ray worker runs the
same stages, so this is also the per-page CPU cost of a worker. ``--as-scans`` first turns every
page into a PNG (no text layer): the orientation check runs and every block goes to the server.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
EVAL_DEV = ROOT.parent / "shared" / "eval-dev"

STAGES = ("render", "orientation", "layout", "page", "document")


def _open(path: Path, as_scans: bool, max_pages: int):  # type: ignore[no-untyped-def]
    from docparse.sources.opener import open_source

    if not as_scans:
        return open_source(path)
    import io

    from PIL import Image

    frames = []
    with open_source(path) as src:
        for idx in range(min(max_pages, src.page_count)):
            frames.append(Image.fromarray(src.render(idx, dpi=144, with_text_layer=False).image))
    buf = io.BytesIO()
    frames[0].save(buf, format="TIFF", save_all=True, append_images=frames[1:])
    return open_source(buf.getvalue(), name=path.name + ".tiff")


def _documents() -> list[Path]:
    found = sorted(EVAL_DEV.glob("*/*.pdf")) if EVAL_DEV.is_dir() else []
    return found or [ROOT / "samples" / n for n in ("report.pdf", "invoice.pdf", "scan.png")]


async def _run(max_pages: int, as_scans: bool) -> tuple[dict[str, list[float]], int, int]:
    from docparse.layout.builtin import BuiltinLayout
    from docparse.options import ParseOptions
    from docparse.pipeline.document_build import build_document, restructure_document
    from docparse.pipeline.page_run import model_settings, process_page
    from docparse.preprocess.orientation import page_rotation
    from docparse.recognize.builtin_engine import RapidOcrEngine
    from docparse.recognize.vlm.recognizer import VlmRecognizer
    from docparse.testing import start_fake_vllm

    cost: dict[str, list[float]] = {s: [] for s in STAGES}
    layout = BuiltinLayout()
    reader = RapidOcrEngine()
    scans = 0
    requests = 0
    with start_fake_vllm() as server:
        options = ParseOptions(server_url=(server.url,), layout="builtin")
        recognizer = VlmRecognizer(options)
        settings = model_settings(options, layout.name, recognizer.name)
        warm = True
        for path in _documents():
            with _open(path, as_scans, max_pages) as src:
                outcomes = []
                for idx in range(min(max_pages, src.page_count)):
                    c0 = time.process_time()
                    page = src.render(idx, dpi=options.dpi, with_text_layer=True)
                    c1 = time.process_time()
                    scanned = not (page.text_layer and page.text_layer.lines)
                    if scanned:
                        page_rotation(page.image, reader)
                    c2 = time.process_time()
                    regions = layout.detect([page.image])[0]
                    c3 = time.process_time()
                    out = await process_page(page, regions, options=options,
                                             recognizer=recognizer, settings=settings)
                    c4 = time.process_time()
                    outcomes.append(out)
                    if warm:  # models and connections load on the first page
                        warm = False
                        continue
                    scans += int(scanned)
                    requests += out.requests
                    cost["render"].append(c1 - c0)
                    cost["orientation"].append(c2 - c1)
                    cost["layout"].append(c3 - c2)
                    cost["page"].append(c4 - c3)
                c0 = time.process_time()
                doc = build_document(src.input_path, src.page_count, outcomes, [], 0.0,
                                     layout.name, recognizer.name)
                restructure_document(doc, options)
                per_page = (time.process_time() - c0) / max(1, len(outcomes))
                cost["document"].extend([per_page] * len(outcomes))
        await recognizer.aclose()
    n = len(cost["render"])
    cost["document"] = cost["document"][-n:]
    return cost, scans, requests


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--max-pages", type=int, default=4)
    ap.add_argument("--as-scans", action="store_true")
    a = ap.parse_args()
    cost, scans, requests = asyncio.run(_run(a.max_pages, a.as_scans))
    n = len(cost["render"])
    print(f"{n} pages ({scans} without a text layer), {requests / n:.1f} recognition "
          "requests/page; CPU ms per page")
    print("| stage | mean ms | median ms | p90 ms |")
    print("|---|---|---|---|")
    total = 0.0
    for stage in STAGES:
        values = sorted(cost[stage])
        mean = 1000 * statistics.fmean(values)
        total += mean
        p90 = 1000 * values[int(0.9 * (len(values) - 1))]
        print(f"| {stage} | {mean:.0f} | {1000 * statistics.median(values):.0f} | {p90:.0f} |")
    print(f"| **total** | **{total:.0f}** | | |")


if __name__ == "__main__":
    main()

"""Peak RSS of a whole CLI batch run on a 10-page and a 500-page PDF.

    .venv/bin/python benchmarks/memory.py                     # prints and returns the figures
    .venv/bin/python benchmarks/memory.py --pages 10 --pages 2000

Each measurement runs in a fresh child process: ``run_batch`` exactly as ``docparse parse``
does (page store, outputs written at the end), with :class:`FixedLayout` (6 text boxes and
one picture per page, no model cost) against the fake vLLM server answering at once, and
the text layer off so every box is recognised. Every generated page carries its own raster
picture, so PDF resources and saved crops grow with the document as they would in a report.
The child reports its own peak RSS (``VmHWM``), which excludes the server process.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

PAGE_COUNTS = (10, 500)
TEXT_BOXES = 6
PICTURE_BOX = (0.55, 0.02, 0.9, 0.07)


@dataclass(frozen=True)
class MemoryResult:
    pages: int
    peak_rss_mb: float
    seconds: float
    requests: int


def make_pdf(path: Path, pages: int) -> Path:
    """Text in six boxes and a distinct small raster picture on every page."""
    import numpy as np
    import pymupdf as _pymupdf

    pymupdf: Any = _pymupdf  # untyped
    sys.path.insert(0, str(HERE))
    from throughput import PAGE_SIZE, box_fractions

    rng = np.random.default_rng(0)
    doc = pymupdf.open()
    w, h = PAGE_SIZE
    for n in range(pages):
        page = doc.new_page(width=w, height=h)
        for i, (x1, y1, x2, y2) in enumerate(box_fractions(TEXT_BOXES)):
            rect = pymupdf.Rect(x1 * w, y1 * h, x2 * w, y2 * h)
            page.insert_textbox(rect, f"Page {n + 1} paragraph {i + 1}. " * 6, fontsize=10)
        pixels = rng.integers(0, 255, size=(120, 320, 3), dtype=np.uint8)
        pix = pymupdf.Pixmap(pymupdf.csRGB, 320, 120, pixels.tobytes(), False)
        x1, y1, x2, y2 = PICTURE_BOX
        page.insert_image(pymupdf.Rect(x1 * w, y1 * h, x2 * w, y2 * h), pixmap=pix)
    doc.save(path, deflate=True)
    doc.close()
    return path


def _peak_rss_kb() -> int | None:
    """This process's peak RSS from ``VmHWM``: unlike ``ru_maxrss``, which Linux carries over
    ``execve`` (a child forked from a big parent would report the parent's size), it starts
    afresh with the new program."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def _child(pdf: Path, url: str, out: Path) -> int:
    """Run one batch in this process and print its figures as JSON."""
    import resource

    sys.path.insert(0, str(HERE))
    from throughput import box_fractions

    from docparse.cli.batch import run_batch
    from docparse.layout import Region
    from docparse.layout.fixed import FixedLayout
    from docparse.options import OutputOptions, ParseOptions

    regions = [Region("text", b, 0.9) for b in box_fractions(TEXT_BOXES)]
    regions.insert(0, Region("image", PICTURE_BOX, 0.9))
    options = ParseOptions(server_url=(url,), recognizer="vlm", text_layer="off")
    t0 = time.perf_counter()
    code = run_batch(
        [str(pdf)], options, OutputOptions(output=out, quiet=True), layout=FixedLayout(regions)
    )
    seconds = time.perf_counter() - t0
    doc = json.loads((out / f"{pdf.stem}.json").read_text(encoding="utf-8"))
    peak_kb = _peak_rss_kb() or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "code": code,
                "seconds": seconds,
                "peak_kb": peak_kb,
                "pages": len(doc["pages"]),
                "requests": doc["stats"]["recognition_requests"],
            }
        )
    )
    return code


def measure(pages: int, work: Path, url: str) -> MemoryResult:
    """Peak RSS of a child process parsing a generated ``pages``-page PDF."""
    pdf = work / f"mem-{pages}.pdf"
    if not pdf.exists():
        make_pdf(pdf, pages)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, __file__, "--child", str(pdf), "--server", url,
         "--out", str(work / f"out-{pages}")],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"memory child for {pages} pages failed:\n{done.stderr[-3000:]}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    if figures["pages"] != pages:
        raise RuntimeError(f"{pdf}: parsed {figures['pages']} of {pages} pages")
    return MemoryResult(
        pages,
        round(figures["peak_kb"] / 1024, 1),
        round(figures["seconds"], 2),
        figures["requests"],
    )


def run(page_counts: tuple[int, ...] = PAGE_COUNTS) -> list[MemoryResult]:
    """Measure every page count against one fake server."""
    from docparse.testing import FakeVLLMConfig, start_fake_vllm

    with tempfile.TemporaryDirectory(prefix="docparse-mem-") as tmp:
        with start_fake_vllm(FakeVLLMConfig(slots=16, latency=0.0)) as server:
            return [measure(n, Path(tmp), server.url) for n in page_counts]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, action="append")
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--server", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return _child(args.child, args.server, args.out)
    results = run(tuple(args.pages or PAGE_COUNTS))
    for r in results:
        print(f"{r.pages} pages: peak RSS {r.peak_rss_mb} MB, {r.seconds} s, {r.requests} requests")
    if len(results) > 1:
        print(
            f"growth {results[0].pages} → {results[-1].pages} pages: "
            f"{results[-1].peak_rss_mb - results[0].peak_rss_mb:.1f} MB"
        )
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

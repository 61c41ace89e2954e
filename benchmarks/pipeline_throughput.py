"""Whole-pipeline throughput on inputs users have, against the saturated test server.

    .venv/bin/python benchmarks/pipeline_throughput.py --json after.json
    .venv/bin/python benchmarks/pipeline_throughput.py --code /path/to/other/checkout --json before.json
    .venv/bin/python benchmarks/pipeline_throughput.py --markdown before.json after.json

Inputs (generated once into ``--work``, from the development documents in
``../shared/eval-dev`` and ``samples/``):

* ``scans/``: 40 page scans, PNG without a text layer: real pages rendered at 150-200 dpi,
  greyed, with sensor noise and a slight tilt (±1.5°) each;
* ``long.pdf``: the development PDFs concatenated to 50+ born-digital pages;
* ``mixed/``: 10 of the scans, three born-digital PDFs and the three photographed pages.

Each input is parsed by ``docparse parse`` (a fresh CLI process, default options, start-up
included) with the built-in layout and with the PP-DocLayoutV2-format tiny model
(:mod:`docparse.testing.tiny_layout_model`), and by the official client (paddleocr
``PaddleOCRVL(pipeline_version="v1")`` from ``.venv/official-client``, in a fresh process,
timed like the CLI runs, start-up included) with the same tiny model, so both send the same boxes.
The server (:mod:`docparse.testing.fake_vllm`, own process) serves ``slots`` requests at a
time in ``latency`` s each: the fastest any client can go is requests × latency ÷ slots
(the server-bound limit); the ratio is that limit over the measured wall time.
Born-digital inputs are also run with ``--text-layer off`` (every box becomes a request).

A per-stage table gives client CPU per page, each stage timed in this process on the same
pages (``time.process_time``: ONNX Runtime works on its own threads), and "request/answer handling and the rest" as the run's whole
client CPU per page minus the stages. ``--code`` points the runs (and the stage table) at
another checkout's ``docparse``, to compare before and after a change in one machine state.
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
EVAL_DEV = ROOT.parent / "shared" / "eval-dev"
SAMPLES = ROOT / "samples"

PROFILES: dict[str, tuple[int, float]] = {"4x0.5": (4, 0.5), "16x0.1": (16, 0.1)}
SCANS = 40
LONG_PAGES = 50
STAGE_PAGES = 8


@dataclass(frozen=True)
class Run:
    input: str
    client: str  # docparse-builtin, docparse-tiny, official-tiny
    profile: str
    text_layer: str
    pages: int
    seconds: float
    requests: int
    cpu_seconds: float
    bound_seconds: float
    pages_per_second: float
    ratio: float
    max_in_flight: int
    note: str = ""


@dataclass
class Report:
    label: str
    code: str
    started: str
    load_start: tuple[float, float, float]
    load_end: tuple[float, float, float] = (0.0, 0.0, 0.0)
    runs: list[Run] = field(default_factory=list)
    stages: dict[str, dict[str, float]] = field(default_factory=dict)
    orientation_upright_ms: dict[str, float] = field(default_factory=dict)


# ---------------------------------------------------------------------------- inputs
def _render(pdf: Path, index: int, dpi: int) -> Any:
    import numpy as np
    import pymupdf

    doc: Any = pymupdf.open(pdf)
    try:
        pix = doc[index].get_pixmap(dpi=dpi)
        arr = np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.h, pix.w, pix.n)
        return np.ascontiguousarray(arr[:, :, :3])
    finally:
        doc.close()


def _eval_pdfs() -> list[Path]:
    return sorted(EVAL_DEV.glob("*/*.pdf"))


def make_inputs(work: Path) -> dict[str, Path]:
    """The three inputs (made once; kept in ``work``)."""
    import numpy as np
    import pymupdf
    from PIL import Image

    scans, long_pdf, mixed = work / "scans", work / "long.pdf", work / "mixed"
    if not (scans / f"scan-{SCANS - 1:02d}.png").exists():
        scans.mkdir(parents=True, exist_ok=True)
        rng = np.random.default_rng(15)
        pages = [(p, i) for p in _eval_pdfs() for i in range(pymupdf.open(p).page_count)]
        pages += [(SAMPLES / "report.pdf", 0), (SAMPLES / "invoice.pdf", 0)]
        for n in range(SCANS):
            pdf, index = pages[n % len(pages)]
            dpi = int(rng.choice([150, 175, 200]))
            img = Image.fromarray(_render(pdf, index, dpi)).convert("L")
            tilt = float(rng.uniform(-1.5, 1.5))
            img = img.rotate(tilt, resample=Image.Resampling.BICUBIC, fillcolor=255, expand=False)
            arr = np.asarray(img).astype(np.int16)
            arr = arr * 0.92 + 12 + rng.normal(0, 7, arr.shape)  # paper grey, sensor noise
            Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8)).save(scans / f"scan-{n:02d}.png")
    if not long_pdf.exists():
        out: Any = pymupdf.open()
        while out.page_count < LONG_PAGES:
            for pdf in _eval_pdfs():
                out.insert_pdf(pymupdf.open(pdf))
                if out.page_count >= LONG_PAGES:
                    break
        out.save(long_pdf)
        out.close()
    if not mixed.exists():
        mixed.mkdir()
        for n in range(10):
            (mixed / f"scan-{n:02d}.png").write_bytes((scans / f"scan-{n:02d}.png").read_bytes())
        for name in ("26_docling_multipage_5p/multi_page.pdf",
                     "28_invoice_de_qualityhosting/QualityHosting.pdf",
                     "09_financial_statement_table/earnings.pdf"):
            src = EVAL_DEV / name
            (mixed / src.name).write_bytes(src.read_bytes())
        for jpg in sorted(EVAL_DEV.glob("*/*.jpg")):
            (mixed / f"photo-{jpg.parent.name[:2]}.jpg").write_bytes(jpg.read_bytes())
    return {"scans": scans, "long-pdf": long_pdf, "mixed": mixed}


def input_files(path: Path) -> list[Path]:
    return sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path]


def page_count(path: Path) -> int:
    import pymupdf

    total = 0
    for f in input_files(path):
        total += pymupdf.open(f).page_count if f.suffix == ".pdf" else 1
    return total


def tiny_model(work: Path) -> Path:
    from docparse.testing.tiny_layout_model import build_tiny_layout_model

    target = work / "tiny-layout"
    if not (target / "inference.yml").exists():
        build_tiny_layout_model(target)
    return target


# ---------------------------------------------------------------------------- runs
def _env(code: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCPARSE_")}
    env["PYTHONPATH"] = str(code)
    env.update(extra or {})
    return env


def _child_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def run_docparse(inp: Path, layout: str, url: str, code: Path, work: Path, text_layer: str,
                 max_concurrency: int) -> tuple[float, float, str]:
    out = Path(tempfile.mkdtemp(prefix="out-", dir=work))
    cmd = [sys.executable, "-m", "docparse", "parse", str(inp), "-o", str(out), "--server", url,
           "--quiet", "--text-layer", text_layer, "--max-concurrency", str(max_concurrency)]
    if layout == "builtin":
        cmd += ["--layout", "builtin"]
    else:
        cmd += ["--layout", "pp-doclayoutv2", "--layout-model-dir", str(tiny_model(work))]
    cpu0, t0 = _child_cpu(), time.perf_counter()
    # Run from the checkout measured: `python -m` puts the working folder first on sys.path, so
    # from another checkout's root *that* docparse would be the one timed.
    done = subprocess.run(cmd, env=_env(code), cwd=code, capture_output=True, text=True,
                          check=False)
    seconds, cpu = time.perf_counter() - t0, _child_cpu() - cpu0
    if done.returncode not in (0, 1):
        raise RuntimeError(f"docparse failed on {inp}: {done.stderr[-2000:]}")
    summary = [ln for ln in done.stderr.splitlines() if ln.startswith("docparse: ")]
    return seconds, cpu, summary[-1] if summary else ""


def _official_child(files: list[str], model_dir: str, url: str, warmup: str) -> int:
    import paddlex.utils.deps  # type: ignore[import-not-found,unused-ignore]

    paddlex.utils.deps.is_extra_available = lambda *a, **k: True
    from paddleocr import PaddleOCRVL  # type: ignore[import-not-found,unused-ignore]

    pipeline = PaddleOCRVL(pipeline_version="v1", vl_rec_backend="vllm-server",
                           vl_rec_server_url=url, layout_detection_model_dir=model_dir,
                           device="cpu")
    built = time.process_time()
    cpu0, t0 = time.process_time(), time.perf_counter()
    pages = 0
    for f in files:
        pages += len(list(pipeline.predict(f)))
    print(json.dumps({"seconds": time.perf_counter() - t0, "cpu": time.process_time() - cpu0,
                      "pages": pages, "startup_cpu": built}))
    pipeline.close()
    return 0


def run_official(
    inp: Path, url: str, work: Path
) -> tuple[float, float, int, float, float] | None:
    sys.path.insert(0, str(ROOT / "tests"))
    try:
        from official_client import official_client_dir  # type: ignore[import-not-found]
    except ImportError:
        return None
    client = official_client_dir()
    if client is None:
        return None
    warm = work / "warmup.png"
    if not warm.exists():
        warm.write_bytes((SAMPLES / "scan.png").read_bytes())
    cmd = [sys.executable, __file__, "--official-child", "--model-dir", str(tiny_model(work)),
           "--server", url, "--warmup", str(warm), *[str(f) for f in input_files(inp)]]
    env = _env(ROOT, {"PYTHONPATH": os.pathsep.join([str(client), str(ROOT)]),
                      "PADDLE_PDX_CACHE_HOME": str(work / "paddlex-home"),
                      "PADDLE_PDX_DISABLE_MODEL_SOURCE_CHECK": "True"})
    # Timed from outside, start-up included, exactly as the docparse CLI runs are.
    cpu0, t0 = _child_cpu(), time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    seconds, cpu = time.perf_counter() - t0, _child_cpu() - cpu0
    if done.returncode != 0:
        raise RuntimeError(f"official client failed on {inp}:\n{done.stderr[-3000:]}")
    fig = json.loads(done.stdout.strip().splitlines()[-1])
    return seconds, cpu, int(fig["pages"]), float(fig["seconds"]), float(fig["startup_cpu"])


def measure(inputs: dict[str, Path], work: Path, code: Path, profiles: list[str],
            clients: list[str], report: Report, text_layers: list[str] | None = None) -> None:
    from docparse.testing import FakeVLLMConfig, start_fake_vllm

    for name in profiles:
        slots, latency = PROFILES[name]
        with start_fake_vllm(FakeVLLMConfig(slots=slots, latency=latency)) as server:
            for label, inp in inputs.items():
                pages = page_count(inp)
                modes = (["auto", "off"] if label == "long-pdf" else ["auto"]) if not text_layers \
                    else text_layers
                for client in clients:
                    for text_layer in modes:
                        if client == "official-tiny" and text_layer == "auto" and label == "long-pdf":
                            continue  # the official client has no text layer: one run, "off"
                        server.reset()
                        note = ""
                        if client == "official-tiny":
                            got = run_official(inp, server.url, work)
                            if got is None:
                                print("official client not installed: skipped", file=sys.stderr)
                                continue
                            seconds, cpu, pages_done, after_build, startup_cpu = got
                            requests = server.stats().served
                            note = (f"{pages_done} pages; {after_build:.1f} s after its pipeline "
                                    f"was built (start-up {startup_cpu:.1f} s CPU)")
                        else:
                            layout = "builtin" if client == "docparse-builtin" else "tiny"
                            seconds, cpu, note = run_docparse(inp, layout, server.url, code, work,
                                                              text_layer, 4 * slots)
                            requests = server.stats().served
                        stats = server.stats()
                        bound = requests * latency / slots
                        run = Run(label, client, name, text_layer, pages, round(seconds, 2),
                                  requests, round(cpu, 2), round(bound, 2),
                                  round(pages / seconds, 3), round(bound / seconds, 3),
                                  stats.max_in_flight, note)
                        report.runs.append(run)
                        print(f"{name} {label} {client} tl={text_layer}: {seconds:.1f} s, "
                              f"{requests} req, bound {bound:.1f} s, ratio {bound / seconds:.3f}, "
                              f"cpu {cpu:.1f} s", flush=True)


# ---------------------------------------------------------------------------- stages
def _cpu_ms(fn: Any, *args: Any) -> tuple[float, Any]:
    t0 = time.process_time()
    out = fn(*args)
    return (time.process_time() - t0) * 1000, out


def measure_stages(inputs: dict[str, Path], work: Path, report: Report) -> None:
    """Client CPU ms per page of each stage, on STAGE_PAGES pages of each input."""
    import numpy as np

    from docparse.options import ParseOptions
    try:
        from docparse.recognize.tasks import crop
    except ImportError:  # a checkout from before the page-path stages (--code)
        from docparse.pipeline.page_run import crop  # type: ignore[attr-defined,no-redef]
    from docparse.recognize.vlm.crops import prepare_crop
    from docparse.sources.opener import open_source

    opts = ParseOptions()
    try:
        from docparse.preprocess.page import preprocess_page

        new = True
    except ImportError:
        new = False
    from docparse.preprocess.orientation import page_rotation, rotate
    from docparse.recognize.builtin_engine import RapidOcrEngine

    engine = RapidOcrEngine()

    def orient(image: Any) -> Any:
        if new:
            return preprocess_page(image, lambda: engine).image
        return rotate(image, page_rotation(image, engine))

    from docparse.layout.builtin import BuiltinLayout
    from docparse.pipeline.backends import build_layout

    builtin = BuiltinLayout()
    tiny = build_layout(opts.replace(layout="pp-doclayoutv2", layout_model_dir=tiny_model(work))).backend
    warm = np.asarray(__import__("PIL.Image", fromlist=["Image"]).open(SAMPLES / "scan.png").convert("RGB"))
    builtin.detect([warm])
    tiny.detect([warm])
    orient(warm)
    for label, inp in inputs.items():
        files = input_files(inp)
        pages: list[tuple[Path, int]] = []
        for f in files:
            n = 1 if f.suffix != ".pdf" else __import__("pymupdf").open(f).page_count
            pages += [(f, i) for i in range(n)]
        step = max(1, len(pages) // STAGE_PAGES)
        sample = pages[::step][:STAGE_PAGES]
        sums: dict[str, float] = {}
        scanned_pages = 0
        upright: list[float] = []
        for f, i in sample:
            src = open_source(f)
            ms_render, page = _cpu_ms(functools.partial(src.render, i, dpi=opts.dpi,
                                                        with_text_layer=False))
            ms_text, with_text = _cpu_ms(functools.partial(src.render, i, dpi=opts.dpi,
                                                           with_text_layer=True))
            src.close()
            ms_text = max(0.0, ms_text - ms_render)
            scanned = not (with_text.text_layer and with_text.text_layer.lines)
            ms_orient = 0.0
            image = page.image
            if scanned:
                scanned_pages += 1
                ms_orient, image = _cpu_ms(orient, page.image)
                upright.append(ms_orient)
            ms_builtin, _ = _cpu_ms(builtin.detect, [image])
            ms_tiny, tiny_regions = _cpu_ms(tiny.detect, [image])
            t0 = time.process_time()
            for r in tiny_regions[0]:
                if r.label in ("image", "header", "footer", "number"):
                    continue
                box = tuple(int(v) for v in r.bbox)
                c = crop(image, box)  # type: ignore[arg-type]
                if c.size:
                    prepare_crop(c, "ocr")
            ms_crop = (time.process_time() - t0) * 1000
            for key, value in (("render", ms_render), ("text layer", ms_text if not scanned else 0.0),
                               ("orientation/deskew", ms_orient), ("layout builtin", ms_builtin),
                               ("layout tiny", ms_tiny), ("crop + encode (tiny boxes)", ms_crop)):
                sums[key] = sums.get(key, 0.0) + value
        report.stages[label] = {k: round(v / len(sample), 1) for k, v in sums.items()}
        report.stages[label]["pages sampled"] = len(sample)
        report.stages[label]["scanned pages sampled"] = scanned_pages
        if upright:
            report.orientation_upright_ms[label] = round(float(np.median(upright)), 1)
        print(f"stages {label}: {report.stages[label]}", flush=True)


# ---------------------------------------------------------------------------- markdown
def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def _load_avg(values: Any) -> str:
    return " / ".join(f"{float(v):.1f}" for v in values)


def _note(run: dict[str, Any]) -> str:
    """The official client's note; docparse's summary line is left out (its figures are in
    the row already)."""
    note = str(run.get("note") or "")
    return note.replace("|", "/").replace("\n", " ") if run["client"].startswith("official") else ""


def _whole_rounds_ratio(run: dict[str, Any]) -> float:
    """⌈requests ÷ slots⌉ × latency over the wall time: each slot serves one request at a
    time, so the busiest slot serves at least ⌈requests ÷ slots⌉ of them."""
    slots, latency = PROFILES[run["profile"]]
    return math.ceil(run["requests"] / slots) * latency / run["seconds"]


def markdown(reports: list[dict[str, Any]]) -> str:
    lines = ["## Whole pipeline on user inputs (`benchmarks/pipeline_throughput.py`)", ""]
    lines.append(
        "Inputs: 40 page scans (PNG, real pages rendered at 150-200 dpi, grey, noise, ±1.5° tilt, "
        "no text layer); a 50+ page born-digital PDF (the development PDFs concatenated); a mixed "
        "folder (10 scans, 3 PDFs of 8 pages, 3 photographed pages). `docparse parse` as a user "
        "runs it (fresh process, default options, start-up included); the official client "
        "the same way (fresh process, start-up included). Ratio = server-bound seconds "
        "(requests × latency ÷ slots) ÷ wall seconds; \"whole rounds\" divides instead "
        "⌈requests ÷ slots⌉ × latency, the exact least time of a server whose every request "
        "takes `latency` on one slot (273 requests on 4 slots need 69 rounds, not 68.25). `tiny` = the PP-DocLayoutV2-format tiny "
        "model on both sides (same boxes); `builtin` = docparse's default built-in layout. "
        "The machine is shared (2 cores, other agents running): load averages are given per run.")
    lines.append("")
    for rep in reports:
        lines += [f"### {rep['label']}", "",
                  f"Code: `{rep['code']}`; started {rep['started']}; load average (1/5/15 min) "
                  f"{_load_avg(rep['load_start'])} at start, {_load_avg(rep['load_end'])} at end.",
                  "",
                  "| input | client | server | text layer | pages | requests | wall s | "
                  "server-bound s | pages/s | ratio | ratio (whole rounds) | client CPU s/page | "
                  "max in flight | note |",
                  "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for r in rep["runs"]:
            lines.append(
                f"| {r['input']} | {r['client']} | {r['profile']} | {r['text_layer']} | "
                f"{r['pages']} | {r['requests']} | {r['seconds']} | {r['bound_seconds']} | "
                f"{r['pages_per_second']} | {r['ratio']:.3f} | {_whole_rounds_ratio(r):.3f} | "
                f"{r['cpu_seconds'] / max(1, r['pages']):.2f} | {r['max_in_flight']} | "
                f"{_note(r)} |")
        if rep["stages"]:
            keys = [k for k in next(iter(rep["stages"].values())) if "sampled" not in k]
            lines += ["", "Client CPU ms per page by stage (process CPU time, this process, "
                      "pages sampled evenly from each input; orientation/deskew averaged over "
                      "all sampled pages, it runs on scanned pages only):", "",
                      "| input | " + " | ".join(keys) + " |", "|---|" + "---|" * len(keys)]
            lines[-2] = lines[-2][:-1] + "| request/answer handling + rest (tiny, 4x0.5 run) |"
            lines[-1] += "---|"
            for inp, st in rep["stages"].items():
                rest = "n/a"
                for r in rep["runs"]:
                    if (r["input"], r["client"], r["profile"], r["text_layer"]) == (
                            inp, "docparse-tiny", "4x0.5", "auto"):
                        per_page = r["cpu_seconds"] / max(1, r["pages"]) * 1000
                        used = sum(st[k] for k in keys if k != "layout builtin")
                        # Negative when the stages, timed in this process, ran under heavier
                        # load than the run (ONNX Runtime threads spin while they wait).
                        rest = f"{per_page - used:.0f}" if per_page >= used else "n/a"
                lines.append(f"| {inp} | " + " | ".join(str(st[k]) for k in keys) + f" | {rest} |")
            if rep["orientation_upright_ms"]:
                lines += ["", "Orientation (+ deskew) CPU ms per scanned page, median: "
                          + ", ".join(f"{k} {v}" for k, v in rep["orientation_upright_ms"].items())]
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--code", type=Path, default=ROOT, help="checkout whose docparse runs")
    ap.add_argument("--label", default="after")
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "docparse-pipeline-bench")
    ap.add_argument("--profile", action="append", choices=sorted(PROFILES))
    ap.add_argument("--client", action="append",
                    choices=["docparse-builtin", "docparse-tiny", "official-tiny"])
    ap.add_argument("--input", action="append", choices=["scans", "long-pdf", "mixed"])
    ap.add_argument("--no-stages", action="store_true")
    ap.add_argument("--stages-only", action="store_true", help="only the per-stage CPU table")
    ap.add_argument("--text-layer", action="append", choices=["auto", "off"],
                    help="docparse text-layer modes to run (default: auto, plus off on the PDF)")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--markdown", type=Path, nargs="+", help="print the section from JSON reports")
    ap.add_argument("--official-child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--model-dir", help=argparse.SUPPRESS)
    ap.add_argument("--server", help=argparse.SUPPRESS)
    ap.add_argument("--warmup", help=argparse.SUPPRESS)
    ap.add_argument("files", nargs="*", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.official_child:
        return _official_child(args.files, args.model_dir, args.server, args.warmup)
    if args.markdown:
        # Reports with the same label (one run split over several invocations) are merged.
        merged: dict[str, dict[str, Any]] = {}
        for path in args.markdown:
            rep = _load(path)
            if rep["label"] in merged:
                into = merged[rep["label"]]
                into["runs"] += rep["runs"]
                into["stages"].update(rep["stages"])
                into["orientation_upright_ms"].update(rep["orientation_upright_ms"])
                into["load_end"] = rep["load_end"]
            else:
                merged[rep["label"]] = rep
        print(markdown(list(merged.values())))
        return 0
    code = args.code.resolve()
    sys.path.insert(0, str(code))
    args.work.mkdir(parents=True, exist_ok=True)
    inputs = make_inputs(args.work)
    if args.input:
        inputs = {k: v for k, v in inputs.items() if k in args.input}
    report = Report(args.label, f"{code} ({platform.python_version()})",
                    time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), os.getloadavg())
    if not args.stages_only:
        measure(inputs, args.work, code, args.profile or list(PROFILES),
                args.client or ["docparse-builtin", "docparse-tiny", "official-tiny"], report,
                args.text_layer)
    if not args.no_stages:
        measure_stages(inputs, args.work, report)
    report.load_end = os.getloadavg()
    if args.json:
        args.json.write_text(json.dumps(asdict(report), indent=1))
    print(markdown([asdict(report)]))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The server path on scans: the development documents as page images, read through a
PaddleOCR-VL-style server, scored with the product's scorer.

    .venv/bin/python benchmarks/scan_server_path.py                    # writes docs/scan-server-path.md
    git archive <rev> docparse | tar -x -C /tmp/base
    .venv/bin/python benchmarks/scan_server_path.py --base /tmp/base   # adds "before" columns

No PaddleOCR-VL weights or GPU can be had here, so the server is the fake vLLM
(``docparse.testing.fake_vllm``) in its ``builtin`` mode: it reads every crop it is sent with
the shipped PP-OCRv6 models and answers in PaddleOCR-VL's formats. What this measures is the
client: which regions of a scanned page it sends, with which prompt, and in what order. The
layout is the built-in model (the PP-DocLayout weights cannot be had here either).

Every PDF of ``<eval-dir>`` is rendered at docparse's default 144 dpi into a multi-page TIFF
named after it (a scan of a perfect print), page images are taken as they are. Systems, each
in its own process on the same images in one run:

- ``server``: ``docparse parse --server <fake> --layout builtin`` with this tree's code;
- ``server-before`` (with ``--base DIR``): the same with the code tree in DIR;
- ``builtin``: the built-in default, no server (its OCR reads the page once, its lines are the
  layout's evidence): what the server path's label evidence is compared with.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from eval_dev import IMAGE_EXTS, JUDGED, fmt, load_scorer, score_system, sources  # noqa: E402

DPI = 144


def scanned_copies(files: list[Path], out: Path) -> list[Path]:
    """Each source as page images: PDFs rendered into ``<stem>.tiff``, images copied."""
    import pymupdf
    from PIL import Image

    out.mkdir(parents=True, exist_ok=True)
    made = []
    for src in files:
        if src.suffix.lower() in IMAGE_EXTS:
            dst = out / src.name
            shutil.copyfile(src, dst)
        else:
            dst = out / f"{src.stem}.tiff"
            with pymupdf.open(src) as doc:
                pages = [page.get_pixmap(dpi=DPI) for page in doc]
            images = [Image.frombytes("RGB", (p.width, p.height), p.samples) for p in pages]
            images[0].save(dst, save_all=True, append_images=images[1:],
                           compression="tiff_deflate")
        made.append(dst)
    return made


def run_cli(src_tree: Path, images: list[Path], out: Path, extra: list[str],
            python: str = sys.executable) -> dict[str, Any]:
    """``docparse parse`` in its own process with ``src_tree`` first on the path; per-document
    seconds and recognition requests from its JSON events."""
    out.mkdir(parents=True, exist_ok=True)
    for stale in out.glob("*"):
        if stale.is_file():
            stale.unlink()
    env = {**os.environ, "PYTHONPATH": str(src_tree)}
    cmd = [python, "-m", "docparse", "parse", *map(str, images), "-o", str(out),
           "--log-json", "--jobs", "1", *extra]
    t0 = time.perf_counter()
    done = subprocess.run(cmd, env=env, cwd=str(out), capture_output=True, text=True, check=False)
    total = time.perf_counter() - t0
    per_doc: dict[str, dict[str, Any]] = {}
    for line in (done.stdout + "\n" + done.stderr).splitlines():
        if not line.startswith("{"):
            continue
        event = json.loads(line)
        if event.get("event") == "DocumentDone":
            stem = Path(event["input_path"]).stem
            per_doc[stem] = {"pages": event.get("pages"), "seconds": event.get("seconds"),
                             "requests": event.get("recognition_requests")}
    if done.returncode not in (0, 1) or not per_doc:
        raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return {"total_seconds": total, "docs": per_doc}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--eval-dir", type=Path, default=ROOT.parent / "shared" / "eval-dev")
    ap.add_argument("--out", type=Path, default=Path("/tmp/docparse-scan-server"))
    ap.add_argument("--base", type=Path, help="a docparse code tree to run as server-before")
    ap.add_argument("--only", help="only documents whose folder name contains this")
    ap.add_argument("--no-builtin", action="store_true", help="skip the no-server system")
    ap.add_argument("--python", default=sys.executable,
                    help="the interpreter that runs docparse (a venv with its dependencies)")
    ap.add_argument("--no-record", action="store_true", help="do not write docs/scan-server-path.*")
    args = ap.parse_args(argv)

    from docparse.testing import FakeVLLMConfig, start_fake_vllm

    scorer = load_scorer(args.eval_dir)
    images = scanned_copies(sources(args.eval_dir, args.only), args.out / "images")
    runs: dict[str, dict[str, Any]] = {}
    with start_fake_vllm(FakeVLLMConfig(ocr_mode="builtin")) as server:
        # The fake reads one crop at a time with CPU OCR: requests queue, so the timeout is
        # generous (a timed-out request would be a fault of this machine, not of the client).
        server_args = ["--server", server.url, "--layout", "builtin", "--timeout", "900",
                       "--max-concurrency", "4"]
        plan: list[tuple[str, Path, list[str]]] = [("server", ROOT, server_args)]
        if args.base is not None:
            plan.insert(0, ("server-before", args.base.resolve(), server_args))
        if not args.no_builtin:
            plan.append(("builtin", ROOT, []))
        for name, tree, extra in plan:
            print(f"running {name} on {len(images)} documents...", flush=True)
            runs[name] = run_cli(tree, images, args.out / name, extra, args.python)
    scores = {name: score_system(scorer, args.eval_dir, args.out / name, args.only)
              for name in runs}
    text = report(scores, runs)
    print(text)
    if not args.no_record and not args.only:
        (ROOT / "docs" / "scan-server-path.md").write_text(text, encoding="utf-8")
        (ROOT / "docs" / "scan-server-path.json").write_text(json.dumps(
            {"scores": scores, "runs": runs}, indent=1, ensure_ascii=False, default=str) + "\n",
            encoding="utf-8")
    return 0


def report(scores: dict[str, dict[str, dict[str, Any]]], runs: dict[str, dict[str, Any]]) -> str:
    systems = list(runs)
    docs = sorted({d for s in systems for d in scores[s]})
    lines = [
        "# The server path on scans (development documents as page images)",
        "",
        "Generated by `benchmarks/scan_server_path.py` (one run; see its docstring). The server "
        "is the fake vLLM reading each crop with PP-OCRv6, the layout the built-in model: the "
        "figures measure what the client sends, not PaddleOCR-VL. `builtin` is the built-in "
        "default (no server) on the same images. olmOCR pass and invoice fields: higher is "
        "better; NED: lower is better.",
        "",
        f"Machine: {platform.machine()}, Python {platform.python_version()}, {os.cpu_count()} "
        f"cpu; run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.",
        "",
        "| document | metric | " + " | ".join(systems) + " |",
        "|---|---|" + "---|" * len(systems),
    ]
    means: dict[str, dict[str, list[float]]] = {s: {} for s in systems}
    for doc in docs:
        for metric in JUDGED:
            vals = [scores[s].get(doc, {}).get(metric) for s in systems]
            if all(v is None for v in vals):
                continue
            for s, v in zip(systems, vals, strict=True):
                if v is not None:
                    means[s].setdefault(metric, []).append(v)
            lines.append(f"| {doc} | {metric} | " + " | ".join(fmt(v) for v in vals) + " |")
    lines += ["", "## Means and requests", "", "| | " + " | ".join(systems) + " |",
              "|---|" + "---|" * len(systems)]
    for metric in JUDGED:
        vals = [statistics.fmean(means[s][metric]) if means[s].get(metric) else None
                for s in systems]
        lines.append(f"| {metric} (mean) | " + " | ".join(fmt(v) for v in vals) + " |")
    requests = [sum((d.get("requests") or 0) for d in runs[s]["docs"].values()) for s in systems]
    pages = [sum((d.get("pages") or 0) for d in runs[s]["docs"].values()) for s in systems]
    lines.append("| recognition requests | " + " | ".join(str(r) for r in requests) + " |")
    lines.append("| pages | " + " | ".join(str(p) for p in pages) + " |")
    lines.append("| wall time (s) | " + " | ".join(
        f"{runs[s]['total_seconds']:.0f}" for s in systems) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())

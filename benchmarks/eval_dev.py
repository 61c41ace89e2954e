"""docparse and its peers, side by side, on the development documents (``../shared/eval-dev``).

    bash benchmarks/install_peers.sh                  # once: rapidfuzz + .venv/peers/
    .venv/bin/python benchmarks/eval_dev.py           # every system, writes docs/eval-dev.md
    .venv/bin/python benchmarks/eval_dev.py --systems docparse --only omni --no-record

One run parses every document with each system, writes ``<out>/<system>/<stem>.md`` (and
docparse's ``.json``), and scores all of them with the product's scorer,
``<eval-dir>/score.py`` (olmOCR-bench pass rate, OmniDocBench page NED, docling NED, invoice
fields; table TEDS and formula NED as extra columns). Systems:

- ``docparse``: the built-in default (no server);
- ``docparse-tl-off``: the same with ``text_layer="off"`` (OCR only), to check that the text
  layer never makes a document worse than OCR alone;
- ``pymupdf``: plain ``page.get_text()`` per page;
- ``pymupdf4llm``: ``pymupdf4llm.to_markdown`` with the layout model active, as its users run
  it, in a subprocess with ``.venv/peers`` (``benchmarks/install_peers.sh``) first on
  PYTHONPATH: pymupdf-layout is non-commercial and never a docparse dependency;
- ``rapidocr``: full-page PP-OCRv6 from the ``rapidocr`` wheel (PDF pages rendered at the same
  dpi as docparse, images read directly), lines sorted top to bottom, one line per line.

docparse is marked behind (``**``) on a document and metric where it is worse than the best
peer (ties count as at least as good; peers are the three non-docparse systems). Speed is
pages/s per document (the machine is shared: noisy; medians reported).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SYSTEMS = ("docparse", "docparse-tl-off", "pymupdf", "pymupdf4llm", "rapidocr")
PEERS = ("pymupdf", "pymupdf4llm", "rapidocr")
IMAGE_EXTS = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp"}
#: (metric, higher is better) — the SCORE-line metrics first, then the reported extras.
METRICS: tuple[tuple[str, bool], ...] = (
    ("olmocr_pass", True),
    ("omni_ned", False),
    ("docling_ned", False),
    ("invoice_fields", True),
    ("omni_table_teds", True),
    ("docling_table_teds", True),
    ("omni_formula_ned", False),
)
#: Compared with the best peer (the issue's "done" criterion is on these).
JUDGED = ("olmocr_pass", "omni_ned", "docling_ned", "invoice_fields")
EPS = 1e-9


def load_scorer(eval_dir: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("eval_dev_score", eval_dir / "score.py")
    if spec is None or spec.loader is None:
        raise SystemExit(f"{eval_dir / 'score.py'} not found")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def sources(eval_dir: Path, only: str | None) -> list[Path]:
    out = []
    for folder in sorted(p for p in eval_dir.iterdir() if p.is_dir() and (p / "gt").is_dir()):
        if only and only not in folder.name:
            continue
        files = sorted(f for f in folder.iterdir()
                       if f.is_file() and (f.suffix.lower() == ".pdf" or f.suffix.lower() in IMAGE_EXTS))
        if files:
            out.append(files[0])
    return out


# ── systems ──────────────────────────────────────────────────────────────────────────────
def run_docparse(files: list[Path], out: Path, overrides: dict[str, Any]) -> dict[str, dict[str, Any]]:
    import docparse

    timing: dict[str, dict[str, Any]] = {}
    with docparse.Parser(**overrides) as parser:
        for src in files:
            t0 = time.perf_counter()
            try:
                doc = parser.parse(src)
            except docparse.DocParseError as exc:
                timing[src.stem] = {"error": str(exc)}
                continue
            seconds = time.perf_counter() - t0
            (out / f"{src.stem}.md").write_text(str(doc.to_markdown()), encoding="utf-8")
            doc.save_to_json(out)
            blocks = [b for p in doc.pages for b in p.parsing_res_list]
            ocr = sum(1 for b in blocks if b.source.startswith("builtin-ocr"))
            tl = sum(1 for b in blocks if b.source == "text-layer")
            timing[src.stem] = {"pages": len(doc.pages), "seconds": seconds,
                                "ocr_blocks": ocr, "text_layer_blocks": tl}
    return timing


def run_pymupdf(files: list[Path], out: Path) -> dict[str, dict[str, Any]]:
    import pymupdf

    timing: dict[str, dict[str, Any]] = {}
    for src in files:
        t0 = time.perf_counter()
        with pymupdf.open(src) as doc:
            pages = doc.page_count
            text = "\n\n".join(page.get_text() for page in doc)
        timing[src.stem] = {"pages": pages, "seconds": time.perf_counter() - t0}
        (out / f"{src.stem}.md").write_text(text, encoding="utf-8")
    return timing


_PYMUPDF4LLM_CHILD = r"""
import json, sys, time, traceback
from pathlib import Path
import pymupdf, pymupdf4llm
jobs = json.loads(sys.argv[1])
timing = {}
for src, dst in jobs:
    t0 = time.perf_counter()
    try:
        with pymupdf.open(src) as d:
            pages = d.page_count
        md = pymupdf4llm.to_markdown(src)
        err = None
    except Exception as exc:  # the peer's own failure is its result: an empty prediction
        md, err = "", f"{type(exc).__name__}: {exc}"
    Path(dst).write_text(md, encoding="utf-8")
    timing[Path(src).stem] = {"pages": pages, "seconds": time.perf_counter() - t0, "error": err}
print("TIMING " + json.dumps(timing))
"""


def run_pymupdf4llm(files: list[Path], out: Path, peers_dir: Path) -> dict[str, dict[str, Any]]:
    if not peers_dir.is_dir():
        raise SystemExit(f"{peers_dir} missing: run bash benchmarks/install_peers.sh")
    jobs = [[str(src), str(out / f"{src.stem}.md")] for src in files]
    env = dict(os.environ, PYTHONPATH=str(peers_dir))
    proc = subprocess.run([sys.executable, "-c", _PYMUPDF4LLM_CHILD, json.dumps(jobs)],
                          env=env, capture_output=True, text=True, check=False)
    for line in proc.stdout.splitlines():
        if line.startswith("TIMING "):
            timing: dict[str, dict[str, Any]] = json.loads(line[7:])
            return timing
    raise SystemExit(f"pymupdf4llm peer failed:\n{proc.stderr[-3000:]}")


def run_rapidocr(files: list[Path], out: Path, dpi: int) -> dict[str, dict[str, Any]]:
    import numpy as np
    import pymupdf

    from docparse.recognize.builtin_engine import RapidOcrEngine

    engine = RapidOcrEngine()
    engine.load()
    timing: dict[str, dict[str, Any]] = {}
    for src in files:
        t0 = time.perf_counter()
        images: list[Any] = []
        if src.suffix.lower() == ".pdf":
            with pymupdf.open(src) as doc:
                for page in doc:
                    pix = page.get_pixmap(dpi=dpi, colorspace=pymupdf.csRGB, alpha=False)
                    images.append(np.frombuffer(pix.samples, np.uint8).reshape(pix.h, pix.w, 3).copy())
        else:
            import cv2

            bgr = cv2.imread(str(src), cv2.IMREAD_COLOR)
            images.append(np.ascontiguousarray(bgr[:, :, ::-1]))
        pages = []
        for image in images:
            lines = engine(image)
            lines.sort(key=lambda ln: ((ln.bbox[1] + ln.bbox[3]) / 2, ln.bbox[0]))
            pages.append("\n".join(ln.text for ln in lines if ln.text.strip()))
        timing[src.stem] = {"pages": len(images), "seconds": time.perf_counter() - t0}
        (out / f"{src.stem}.md").write_text("\n\n".join(pages), encoding="utf-8")
    return timing


# ── scoring and report ───────────────────────────────────────────────────────────────────
def score_system(scorer: ModuleType, eval_dir: Path, pred: Path, only: str | None) -> dict[str, dict[str, Any]]:
    docs = scorer.discover(eval_dir)
    if only:
        docs = [d for d in docs if only in d.doc_id]
    out: dict[str, dict[str, Any]] = {}
    for d in docs:
        row = scorer.score_doc(d, pred)
        vals: dict[str, Any] = {m: row.get(m) for m, _ in METRICS}
        vals["olmocr_pass"] = row["olmocr"]["rate"] if "olmocr" in row else None
        if "olmocr" in row:
            vals["olmocr_tests"] = f"{row['olmocr']['passed']}/{row['olmocr']['total']}"
            vals["olmocr_failed"] = [f"{t['id']} ({t['type']})" for t in row["olmocr"]["tests"]
                                     if not t["passed"]]
        out[d.doc_id] = vals
    return out


def behind(value: float | None, best: float | None, higher: bool) -> bool:
    if value is None or best is None:
        return False
    return value < best - EPS if higher else value > best + EPS


def best_peer(scores: dict[str, dict[str, dict[str, Any]]], doc: str, metric: str, higher: bool) -> float | None:
    vals = [scores[s][doc].get(metric) for s in PEERS if s in scores and doc in scores[s]]
    vals = [v for v in vals if v is not None]
    if not vals:
        return None
    return max(vals) if higher else min(vals)


def fmt(v: Any) -> str:
    return "–" if v is None else f"{v:.3f}" if isinstance(v, float) else str(v)


def kind_of(src: Path, timing: dict[str, Any]) -> str:
    if src.suffix.lower() in IMAGE_EXTS:
        return "image"
    if timing.get("text_layer_blocks", 0) == 0:  # docparse took nothing from the text layer
        return "scanned-pdf"
    return "born-digital"


def report(files: list[Path], scores: dict[str, dict[str, dict[str, Any]]],
           timings: dict[str, dict[str, dict[str, Any]]], meta: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    systems = [s for s in SYSTEMS if s in scores]
    doc_ids = sorted(next(iter(scores.values())).keys())
    stem_to_doc = {src.stem: src.parent.name for src in files}
    doc_to_src = {src.parent.name: src for src in files}
    dp_timing = timings.get("docparse", {})
    lines = [
        f"# docparse and its peers on {meta.get('set_name', 'the development documents')}", "",
        "Generated by `benchmarks/eval_dev.py` (one run: every system on every document, scored with "
        "`../shared/eval-dev/score.py`, the scorer the product is judged with). "
        "Systems: **docparse** (built-in default, no server), **docparse-tl-off** (`text_layer=\"off\"`, "
        "OCR only), **pymupdf** (plain `get_text()`), **pymupdf4llm** (with pymupdf-layout, in its own "
        "folder; a peer only), **rapidocr** (full-page PP-OCRv6, lines top to bottom). "
        "olmOCR pass, invoice fields and TEDS: higher is better; NED: lower is better. "
        "**bold** = docparse behind the best peer on that document and metric (ties count as at "
        "least as good); ▼ in the tl-off row = the text layer made docparse worse than OCR alone.", "",
        f"Machine: {meta['machine']}; run {meta['date']}; shared with other jobs, so speed is noisy.", "",
    ]
    summary: dict[str, Any] = {"behind": [], "text_layer_worse": [], "systems": {}}
    # Per-document tables.
    lines += ["## Per document", ""]
    for doc in doc_ids:
        src = doc_to_src.get(doc)
        kind = kind_of(src, dp_timing.get(src.stem, {})) if src else "?"
        present = [(m, h) for m, h in METRICS if any(scores[s][doc].get(m) is not None for s in systems)]
        lines += [f"### {doc} ({kind})", "",
                  "| system | " + " | ".join(m for m, _ in present) + " | pages/s |",
                  "|---|" + "---|" * (len(present) + 1)]
        for s in systems:
            cells = []
            for m, higher in present:
                v = scores[s][doc].get(m)
                txt = fmt(v)
                if m == "olmocr_pass" and scores[s][doc].get("olmocr_tests"):
                    txt += f" ({scores[s][doc]['olmocr_tests']})"
                if s == "docparse" and m in JUDGED and behind(v, best_peer(scores, doc, m, higher), higher):
                    txt = f"**{txt}**"
                    summary["behind"].append((doc, m, v, best_peer(scores, doc, m, higher)))
                if (s == "docparse-tl-off" and m in JUDGED and "docparse" in scores
                        and behind(scores["docparse"][doc].get(m), v, higher)):
                    txt += " ▼"
                    summary["text_layer_worse"].append((doc, m, scores["docparse"][doc].get(m), v))
                cells.append(txt)
            t = timings.get(s, {}).get(src.stem if src else "", {})
            pps = t["pages"] / t["seconds"] if t.get("seconds") else None
            err = " (error)" if t.get("error") else ""
            lines.append(f"| {s} | " + " | ".join(cells) + f" | {fmt(pps)}{err} |")
        failed = scores.get("docparse", {}).get(doc, {}).get("olmocr_failed")
        if failed:
            lines += ["", "docparse fails: " + ", ".join(failed)]
        lines.append("")
    # Summary.
    lines += ["## Summary", "",
              "Means over the documents that have each metric; pages/s: median over documents "
              "(born-digital PDFs / scanned PDFs and images) and total pages ÷ total seconds.", "",
              "| system | " + " | ".join(m for m, _ in METRICS)
              + " | docs behind best peer | median pages/s born-digital | median pages/s scanned | total pages/s |",
              "|---|" + "---|" * (len(METRICS) + 4)]
    for s in systems:
        means = []
        sysum: dict[str, Any] = {}
        for m, _ in METRICS:
            vals = [scores[s][d].get(m) for d in doc_ids if scores[s][d].get(m) is not None]
            mean = sum(vals) / len(vals) if vals else None
            sysum[m] = mean
            means.append(fmt(mean))
        n_behind = "–"
        if s.startswith("docparse"):
            n_behind = str(len({d for d in doc_ids for m, h in METRICS if m in JUDGED
                                and behind(scores[s][d].get(m), best_peer(scores, d, m, h), h)}))
        t = timings.get(s, {})
        rates: dict[str, list[float]] = {"born-digital": [], "scanned": []}
        for stem, tt in t.items():
            if not tt.get("seconds"):
                continue
            src = doc_to_src.get(stem_to_doc.get(stem, ""))
            k = kind_of(src, dp_timing.get(stem, {})) if src else "born-digital"
            rates["born-digital" if k == "born-digital" else "scanned"].append(tt["pages"] / tt["seconds"])
        total_p = sum(tt.get("pages", 0) for tt in t.values() if tt.get("seconds"))
        total_s = sum(tt.get("seconds", 0) for tt in t.values() if tt.get("seconds"))
        med_b = statistics.median(rates["born-digital"]) if rates["born-digital"] else None
        med_s = statistics.median(rates["scanned"]) if rates["scanned"] else None
        tot = total_p / total_s if total_s else None
        sysum.update(median_pps_born_digital=med_b, median_pps_scanned=med_s, total_pps=tot)
        summary["systems"][s] = sysum
        lines.append(f"| {s} | " + " | ".join(means) + f" | {n_behind} | {fmt(med_b)} | {fmt(med_s)} | {fmt(tot)} |")
    lines += [""]
    if "docparse" in scores:
        lines += ["### Where docparse is behind the best peer", ""]
        lines += [f"- {d} {m}: docparse {fmt(v)}, best peer {fmt(b)}" for d, m, v, b in summary["behind"]] or ["- nowhere"]
        lines += ["", "### Where the text layer made docparse worse than OCR alone", ""]
        lines += [f"- {d} {m}: with text layer {fmt(v)}, OCR only {fmt(o)}"
                  for d, m, v, o in summary["text_layer_worse"]] or ["- nowhere"]
        lines.append("")
    return "\n".join(lines), summary


def before_after(before: dict[str, Any], scores: dict[str, dict[str, dict[str, Any]]],
                 timings: dict[str, dict[str, dict[str, Any]]], summary: dict[str, Any]) -> str:
    """docparse's figures in an earlier run of this script next to this run's."""
    lines = ["", f"## docparse before / after (before: run of {before['meta']['date']})", "",
             "| document | system | " + " | ".join(JUDGED) + " | pages/s |", "|---|---|" + "---|" * (len(JUDGED) + 1)]
    for system in ("docparse", "docparse-tl-off"):
        if system not in scores or system not in before.get("scores", {}):
            continue
        for doc in sorted(scores[system]):
            old, new = before["scores"][system].get(doc, {}), scores[system][doc]
            cells = []
            for m in JUDGED:
                if new.get(m) is None and old.get(m) is None:
                    cells.append("–")
                else:
                    cells.append(f"{fmt(old.get(m))} → {fmt(new.get(m))}")
            lines.append(f"| {doc} | {system} | " + " | ".join(cells) + " | |")
        b, a = before["summary"]["systems"].get(system, {}), summary["systems"].get(system, {})
        pps = " / ".join(f"{fmt(b.get(k))} → {fmt(a.get(k))}" for k in
                         ("median_pps_born_digital", "median_pps_scanned", "total_pps"))
        means = " | ".join(f"{fmt(b.get(m))} → {fmt(a.get(m))}" for m in JUDGED)
        lines.append(f"| **mean** | {system} | {means} | {pps} (born-digital / scanned / total) |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--eval-dir", type=Path, default=ROOT.parent / "shared" / "eval-dev")
    ap.add_argument("--out", type=Path, default=Path("/tmp/docparse-eval"))
    ap.add_argument("--systems", default=",".join(SYSTEMS),
                    help=f"comma-separated subset of {', '.join(SYSTEMS)}")
    ap.add_argument("--reuse", action="store_true",
                    help="score systems not run now from their last outputs in --out (for iterating)")
    ap.add_argument("--only", help="only documents whose folder name contains this")
    ap.add_argument("--peers-dir", type=Path, default=ROOT / ".venv" / "peers")
    ap.add_argument("--no-record", action="store_true", help="do not write docs/eval-dev.*")
    ap.add_argument("--record-as", default="eval-dev",
                    help="write docs/<name>.md and .json (another document set: eval-valset)")
    ap.add_argument("--layout")
    ap.add_argument("--before", type=Path,
                    help="an earlier docs/eval-dev.json: add a before/after section for docparse")
    args = ap.parse_args(argv)
    chosen = [s.strip() for s in args.systems.split(",") if s.strip()]
    unknown = set(chosen) - set(SYSTEMS)
    if unknown:
        ap.error(f"unknown systems: {sorted(unknown)}")
    scorer = load_scorer(args.eval_dir)
    files = sources(args.eval_dir, args.only)
    from docparse.options import ParseOptions

    dpi = ParseOptions().dpi
    timings: dict[str, dict[str, dict[str, Any]]] = {}
    for system in SYSTEMS:
        out = args.out / system
        timing_file = out / "_timing.json"
        if system not in chosen:
            if args.reuse and timing_file.is_file():
                timings[system] = json.loads(timing_file.read_text())
            continue
        out.mkdir(parents=True, exist_ok=True)
        for stale in out.glob("*.md"):
            stale.unlink()
        print(f"running {system} on {len(files)} documents...", flush=True)
        extra = {"layout": args.layout} if args.layout else {}
        if system == "docparse":
            timings[system] = run_docparse(files, out, extra)
        elif system == "docparse-tl-off":
            timings[system] = run_docparse(files, out, {**extra, "text_layer": "off"})
        elif system == "pymupdf":
            timings[system] = run_pymupdf(files, out)
        elif system == "pymupdf4llm":
            timings[system] = run_pymupdf4llm(files, out, args.peers_dir)
        else:
            timings[system] = run_rapidocr(files, out, dpi)
        timing_file.write_text(json.dumps(timings[system], indent=1))
    scores = {s: score_system(scorer, args.eval_dir, args.out / s, args.only) for s in timings}
    meta = {"machine": f"{platform.machine()}, Python {platform.python_version()}, {os.cpu_count()} cpu",
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    if args.record_as != "eval-dev":
        meta["set_name"] = (f"the documents of `{args.eval_dir.name}` "
                            "(benchmarks/valset_build.py; not the development set)")
    text, summary = report(files, scores, timings, meta)
    if args.before is not None:
        text += before_after(json.loads(args.before.read_text()), scores, timings, summary)
    print(text)
    if not args.no_record and not args.only:
        (ROOT / "docs" / f"{args.record_as}.md").write_text(text, encoding="utf-8")
        (ROOT / "docs" / f"{args.record_as}.json").write_text(json.dumps(
            {"meta": meta, "scores": scores, "timings": timings, "summary": summary},
            indent=1, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

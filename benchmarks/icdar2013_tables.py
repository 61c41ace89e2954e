"""Tables on real born-digital PDFs: the ICDAR 2013 table competition, side by side with peers.

    # once: a clone of camelot-dev/camelot (it carries the competition's PDFs and ground truth)
    .venv/bin/python benchmarks/icdar2013_tables.py /path/to/camelot          # writes docs/icdar2013-tables.md
    .venv/bin/python benchmarks/icdar2013_tables.py CAMELOT --only us-01 --no-record

The ICDAR 2013 table competition set (67 PDFs, 156 tables: EU and US government documents)
is the public benchmark for tables in born-digital PDFs; its structure ground truth
(``*-str.xml``) gives every cell's row and column span and text. camelot keeps the set in its
tests (``tests/files/tabula/icdar2013-dataset``); the PDFs are read from the clone's HEAD (a
bare mirror works) into ``--work`` and never committed here.

Each table region of the ground truth becomes an HTML-like cell grid and is scored with the
product's scorer (``../shared/eval-dev/score.py``) exactly as OmniDocBench tables are:
``best_table_teds`` matches each ground-truth table one-to-one to the predicted table of the
same document with the highest TEDS (0 when there is none). Reported per system: mean TEDS
over all tables, tables found (TEDS >= 0.5), and the number of predicted tables (a prose
paragraph written as a table is one too many). Systems: docparse's built-in default, and
pymupdf4llm with pymupdf-layout as its users run it (``.venv/peers``,
``benchmarks/install_peers.sh``); plain ``pymupdf`` text writes no tables and is left out.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from statistics import median
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

import eval_dev  # noqa: E402  (a sibling script: its system runners and scorer loader)

DATASET = "tests/files/tabula/icdar2013-dataset"


def checkout(camelot: Path, work: Path, only: str | None) -> list[Path]:
    """The competition PDFs (with their ``-str.xml`` beside them) copied from camelot's HEAD."""
    git = ["git", "-C", str(camelot)]
    names = subprocess.run([*git, "ls-tree", "-r", "--name-only", "HEAD", DATASET],
                           check=True, capture_output=True, text=True).stdout.split()
    pdfs = []
    for name in names:
        if not name.endswith(".pdf") or (only and only not in name):
            continue
        gt = name[:-4] + "-str.xml"
        if gt not in names:
            continue
        for part in (name, gt):
            dst = work / Path(part).name
            if not dst.exists():
                dst.write_bytes(subprocess.run([*git, "show", f"HEAD:{part}"], check=True,
                                               capture_output=True).stdout)
        pdfs.append(work / Path(name).name)
    return sorted(pdfs)


def gt_tables(xml: Path) -> list[list[list[dict[str, Any]]]]:
    """Each table region of a ``-str.xml`` as rows of cells {text, rowspan, colspan}.

    Cells are placed by their start row and column; a cell without an end keeps a span of 1.
    The ground truth lists only the cells that hold text: every other slot of the grid (not
    covered by a spanning cell) is an empty cell, as a table's HTML writes it, so a cell keeps
    its column. A table continued on the next page has one region per page and is scored per
    region.
    """
    tables = []
    for table in ET.parse(xml).getroot().iter("table"):
        for region in table.iter("region"):
            starts: dict[tuple[int, int], dict[str, Any]] = {}
            covered: set[tuple[int, int]] = set()
            for cell in region.iter("cell"):
                r0, c0 = int(cell.get("start-row", 0)), int(cell.get("start-col", 0))
                r1 = int(cell.get("end-row", r0))
                c1 = int(cell.get("end-col", c0))
                text = " ".join((cell.findtext("content") or "").split())
                starts[(r0, c0)] = {"text": text, "rowspan": r1 - r0 + 1, "colspan": c1 - c0 + 1,
                                    "is_heading": False}
                covered |= {(r, c) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)}
            if not starts:
                continue
            # Some files count rows and columns from 1, others from 0.
            n_rows = 1 + max(r for r, _ in covered)
            n_cols = 1 + max(c for _, c in covered)
            first_col = min(c for _, c in covered)
            rows = []
            for r in range(min(r for r, _ in covered), n_rows):
                row, c = [], first_col
                while c < n_cols:
                    if (r, c) in starts:
                        row.append(starts[(r, c)])
                        c += starts[(r, c)]["colspan"]
                    elif (r, c) in covered:
                        c += 1  # under a cell spanning rows from above
                    else:
                        row.append({"text": "", "rowspan": 1, "colspan": 1, "is_heading": False})
                        c += 1
                rows.append(row)
            tables.append(rows)
    return tables


def score(scorer: Any, pdfs: list[Path], pred: Path) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for pdf in pdfs:
        gts = gt_tables(pdf.with_name(pdf.stem + "-str.xml"))
        md_path = pred / f"{pdf.stem}.md"
        md = md_path.read_text(encoding="utf-8") if md_path.is_file() else ""
        preds = scorer.pred_tables(md)
        values = scorer.best_table_teds(gts, preds)
        out[pdf.stem] = {"tables": len(gts), "teds": values, "predicted": len(preds)}
    return out


def report(pdfs: list[Path], scores: dict[str, dict[str, dict[str, Any]]],
           timings: dict[str, dict[str, dict[str, Any]]], meta: dict[str, str]) -> str:
    systems = list(scores)
    lines = [
        "# Tables on the ICDAR 2013 table competition set",
        "",
        f"Written by `benchmarks/icdar2013_tables.py` on {meta['date']} ({meta['machine']}), "
        f"docparse {meta['commit']}, all systems in this one run. {len(pdfs)} real born-digital "
        "PDFs (EU and US government documents) with the competition's structure ground truth, "
        "as camelot-dev/camelot keeps it; each ground-truth table region is matched one-to-one "
        "to a predicted table of its document by TEDS with `score.py`'s `best_table_teds` (the "
        "OmniDocBench table metric of the product's scorer; 0 when no table matches).",
        "",
        "| system | mean TEDS | tables found (TEDS ≥ 0.5) | predicted tables | pages/s (median) |",
        "|---|---|---|---|---|",
    ]
    for system in systems:
        values = [v for row in scores[system].values() for v in row["teds"]]
        found = sum(1 for v in values if v >= 0.5)
        predicted = sum(row["predicted"] for row in scores[system].values())
        pps = [t["pages"] / t["seconds"] for t in timings[system].values()
               if t.get("seconds") and t.get("pages")]
        lines.append(f"| {system} | {sum(values) / max(len(values), 1):.3f} | {found} of "
                     f"{len(values)} | {predicted} | {median(pps) if pps else 0:.2f} |")
    lines += ["", "## Per document", "",
              "| document | GT tables | " + " | ".join(f"{s} TEDS (predicted tables)" for s in systems) + " |",
              "|---|---|" + "---|" * len(systems)]
    for pdf in pdfs:
        cells = []
        for system in systems:
            row = scores[system][pdf.stem]
            mean = sum(row["teds"]) / max(len(row["teds"]), 1)
            cells.append(f"{mean:.3f} ({row['predicted']})")
        lines.append(f"| {pdf.stem} | {scores[systems[0]][pdf.stem]['tables']} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("camelot", type=Path, help="a clone (or bare mirror) of camelot-dev/camelot")
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "docparse-icdar2013")
    ap.add_argument("--eval-dir", type=Path, default=ROOT.parent / "shared" / "eval-dev",
                    help="where score.py lives")
    ap.add_argument("--systems", default="docparse,pymupdf4llm")
    ap.add_argument("--peers-dir", type=Path, default=ROOT / ".venv" / "peers")
    ap.add_argument("--only", help="only documents whose name contains this")
    ap.add_argument("--no-record", action="store_true", help="do not write docs/icdar2013-tables.*")
    args = ap.parse_args(argv)
    scorer = eval_dev.load_scorer(args.eval_dir)
    src = args.work / "pdf"
    src.mkdir(parents=True, exist_ok=True)
    pdfs = checkout(args.camelot, src, args.only)
    if not pdfs:
        raise SystemExit(f"no ICDAR 2013 documents under {args.camelot}/{DATASET}")
    timings: dict[str, dict[str, dict[str, Any]]] = {}
    for system in [s.strip() for s in args.systems.split(",") if s.strip()]:
        out = args.work / system
        out.mkdir(parents=True, exist_ok=True)
        for stale in out.glob("*.md"):
            stale.unlink()
        print(f"running {system} on {len(pdfs)} documents...", flush=True)
        if system == "docparse":
            timings[system] = eval_dev.run_docparse(pdfs, out, {})
        elif system == "pymupdf4llm":
            timings[system] = eval_dev.run_pymupdf4llm(pdfs, out, args.peers_dir)
        else:
            ap.error(f"unknown system {system!r} (docparse, pymupdf4llm)")
    scores = {s: score(scorer, pdfs, args.work / s) for s in timings}
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True, check=False).stdout.strip() or "?"
    meta = {"machine": f"{platform.machine()}, Python {platform.python_version()}",
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "commit": commit}
    text = report(pdfs, scores, timings, meta)
    print(text)
    if not args.no_record and not args.only:
        (ROOT / "docs" / "icdar2013-tables.md").write_text(text, encoding="utf-8")
        (ROOT / "docs" / "icdar2013-tables.json").write_text(json.dumps(
            {"meta": meta, "scores": scores, "timings": timings}, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

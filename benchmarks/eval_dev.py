"""Score docparse on the development documents in ``../shared/eval-dev`` (or ``--eval-dir``).

    .venv/bin/python benchmarks/eval_dev.py                       # built-in default
    .venv/bin/python benchmarks/eval_dev.py --label no-text-layer --text-layer off
    .venv/bin/python benchmarks/eval_dev.py --label vlm --server http://gpu:8000/v1

Prints a table and records the run under its label in ``docs/eval-dev.json``; ``docs/eval-dev.md``
is regenerated from every recorded label. Figures: text similarity and word F1 against docling
reference Markdown, table-cell recall, olmOCR-bench facts passed, invoice fields found,
recognition requests per page, pages/s.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import scoring  # noqa: E402


def _gt(folder: Path, suffix: str) -> Path | None:
    hits = sorted((folder / "gt").glob(f"*{suffix}"))
    return hits[0] if hits else None


def evaluate_document(folder: Path, md: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    ref = _gt(folder, ".docling_ref.md")
    if ref is not None:
        ref_md = ref.read_text(encoding="utf-8")
        out["text_similarity"] = round(scoring.text_similarity(md, ref_md), 4)
        out["word_f1"] = round(scoring.word_f1(md, ref_md), 4)
        recall = scoring.table_cell_recall(md, ref_md)
        out["table_cell_recall"] = None if recall is None else round(recall, 4)
        words = scoring.table_word_recall(md, ref_md)
        out["table_word_recall"] = None if words is None else round(words, 4)
    facts = _gt(folder, ".olmocr_bench_tests.jsonl")
    if facts is not None:
        results = [scoring.check_fact(json.loads(line), md)
                   for line in facts.read_text().splitlines() if line.strip()]
        out["facts_passed"] = scoring.fraction(results)
    inv = _gt(folder, ".invoice2data_expected.json")
    if inv is not None:
        expected = json.loads(inv.read_text())[0]
        found = scoring.invoice_fields(expected, md)
        out["invoice_fields"] = scoring.fraction(list(found.values()))
        out["invoice_missing"] = [k for k, v in found.items() if not v]
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--eval-dir", type=Path, default=ROOT.parent / "shared" / "eval-dev")
    ap.add_argument("--out", type=Path, default=Path("/tmp/docparse-eval"))
    ap.add_argument("--label", default="builtin")
    ap.add_argument("--no-record", action="store_true", help="do not write docs/eval-dev.*")
    ap.add_argument("--layout")
    ap.add_argument("--layout-model-dir", type=Path)
    ap.add_argument("--recognizer")
    ap.add_argument("--server", action="append", dest="server_url")
    ap.add_argument("--text-layer")
    ap.add_argument("--dpi", type=int)
    ap.add_argument("--fake-vlm", action="store_true",
                    help="recognise with the fake vLLM server (counts requests; no accuracy)")
    args = ap.parse_args(argv)
    if args.fake_vlm:
        from docparse.testing import start_fake_vllm

        with start_fake_vllm() as server:
            args.server_url = [server.url]
            return _run(args)
    return _run(args)


def _run(args: argparse.Namespace) -> int:

    import docparse

    overrides = {k: v for k, v in vars(args).items()
                 if k in ("layout", "layout_model_dir", "recognizer", "server_url", "text_layer", "dpi")
                 and v is not None}
    folders = sorted(p for p in args.eval_dir.iterdir() if p.is_dir() and (p / "gt").is_dir())
    rows: list[dict[str, Any]] = []
    with docparse.Parser(**overrides) as parser:
        for folder in folders:
            pdfs = sorted(folder.glob("*.pdf"))
            if not pdfs:
                continue
            t0 = time.perf_counter()
            try:
                doc = parser.parse(pdfs[0])
            except docparse.DocParseError as exc:
                rows.append({"document": folder.name, "error": str(exc)})
                continue
            seconds = time.perf_counter() - t0
            out_dir = args.out / args.label
            doc.save_to_markdown(out_dir)
            doc.save_to_json(out_dir)
            md = doc.to_markdown()
            assert isinstance(md, str)
            pages = len(doc.pages)
            row: dict[str, Any] = {
                "document": folder.name,
                "pages": pages,
                "status": doc.status,
                "seconds": round(seconds, 2),
                "pages_per_s": round(pages / seconds, 3),
                "requests_per_page": round(doc.stats.recognition_requests / pages, 2),
                "official_requests_per_page": round(doc.stats.official_requests / pages, 2),
                "text_layer_blocks": sum(1 for b in doc.blocks if b.source == "text-layer"),
                "recognised_blocks_per_page": round(sum(
                    1 for b in doc.blocks if b.source == "vlm" or b.source.startswith("builtin-ocr")
                ) / pages, 2),
                "ocr_blocks": sum(1 for b in doc.blocks if b.source.startswith("builtin-ocr")),
            }
            if not args.fake_vlm:  # scripted answers say nothing about accuracy
                row.update(evaluate_document(folder, md))
            rows.append(row)
            print(json.dumps(row), flush=True)

    if not args.no_record:
        if args.fake_vlm:  # its port changes every run
            overrides["server_url"] = ["fake vLLM (docparse.testing.fake_vllm)"]
        record(args.label, overrides, rows)
    return 0


def record(label: str, overrides: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    store = ROOT / "docs" / "eval-dev.json"
    data = json.loads(store.read_text()) if store.exists() else {}
    data[label] = {
        "options": {k: (str(v) if isinstance(v, Path) else v) for k, v in overrides.items()},
        "machine": f"{platform.machine()}, {platform.python_version()}, {__import__('os').cpu_count()} cpu",
        "rows": rows,
    }
    store.write_text(json.dumps(data, indent=2) + "\n")
    cols = ["document", "pages", "status", "pages_per_s", "requests_per_page",
            "official_requests_per_page", "recognised_blocks_per_page", "text_layer_blocks",
            "ocr_blocks", "text_similarity",
            "word_f1", "table_cell_recall", "table_word_recall", "facts_passed", "invoice_fields"]
    lines = ["# Evaluation on the development documents", "",
             "Generated by `benchmarks/eval_dev.py` (one section per configuration label). "
             "Text similarity and word F1 compare with docling's reference Markdown (silver "
             "ground truth); facts are olmOCR-bench tests; invoice fields are invoice2data's "
             "expected key fields found in the output.", ""]
    for name, run in data.items():
        lines += [f"## {name}", "", f"Options: `{json.dumps(run['options'])}`; machine: {run['machine']}", "",
                  "| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
        for r in run["rows"]:
            lines.append("| " + " | ".join("" if r.get(c) is None else str(r.get(c)) for c in cols) + " |")
        lines.append("")
    (ROOT / "docs" / "eval-dev.md").write_text("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())

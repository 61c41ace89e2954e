"""The gate on real born-digital documents, with docling's reference boxes as layout boxes.

Skipped where the development documents are not present (they are not part of the repo).
"""

# mypy: disallow-untyped-calls=False
# (pymupdf ships only partial annotations)
from __future__ import annotations

import difflib
import json
import statistics
import time
from pathlib import Path
from typing import Any

import pymupdf
import pytest

from docparse.textlayer.extract import extract_page
from docparse.textlayer.gate import decide

EVAL_DEV = Path(__file__).resolve().parents[3] / "shared" / "eval-dev"
SCALE = 2.0
#: docling labels -> docparse labels (all text-like).
LABELS = {
    "text": "text",
    "list_item": "text",
    "section_header": "paragraph_title",
    "title": "doc_title",
    "caption": "figure_title",
    "footnote": "footnote",
    "page_header": "header",
    "page_footer": "footer",
    "code": "algorithm",
}


def _reference_boxes(gt: Path) -> dict[int, list[tuple[tuple[float, ...], str, str]]]:
    """Page index -> (box in page pixels at SCALE, label, reference text)."""
    doc: dict[str, Any] = json.loads(gt.read_text())
    boxes: dict[int, list[tuple[tuple[float, ...], str, str]]] = {}
    for item in doc["texts"]:
        if item["label"] not in LABELS:
            continue
        for prov in item["prov"]:
            height = doc["pages"][str(prov["page_no"])]["size"]["height"]
            b = prov["bbox"]
            assert b["coord_origin"] == "BOTTOMLEFT"
            box = (
                b["l"] * SCALE,
                (height - b["t"]) * SCALE,
                b["r"] * SCALE,
                (height - b["b"]) * SCALE,
            )
            boxes.setdefault(prov["page_no"] - 1, []).append(
                (box, LABELS[item["label"]], item["text"])
            )
    return boxes


def _run(pdf: Path, gt: Path) -> tuple[list[tuple[str | None, str, str]], list[float]]:
    """(decided text, reason, reference text) per box, and ms per page for extraction + gate."""
    boxes = _reference_boxes(gt)
    results: list[tuple[str | None, str, str]] = []
    timings: list[float] = []
    with pymupdf.open(pdf) as doc:
        for index, page in enumerate(doc):
            start = time.perf_counter()
            layer = extract_page(page, SCALE)
            decisions = [
                (decide(layer, box, label, "auto"), ref) for box, label, ref in boxes.get(index, [])
            ]
            timings.append((time.perf_counter() - start) * 1000)
            results += [(d.text, d.reason, ref) for d, ref in decisions]
    return results, timings


@pytest.mark.skipif(not EVAL_DEV.exists(), reason="eval-dev documents not present")
def test_scientific_page_every_text_box_matches_the_reference() -> None:
    folder = EVAL_DEV / "01_sci_table_otsl_pg9"
    results, _ = _run(
        folder / "2305.03393v1-pg9.pdf", folder / "gt" / "2305.03393v1-pg9.docling_ref.json"
    )
    assert len(results) == 9
    for text, reason, ref in results:
        assert (reason, text) == ("ok", ref)


@pytest.mark.slow
@pytest.mark.skipif(not EVAL_DEV.exists(), reason="eval-dev documents not present")
def test_redpaper_acceptance_quality() -> None:
    folder = EVAL_DEV / "03_multipage_ibm_redpaper"
    results, timings = _run(
        folder / "redp5110_sampled.pdf", folder / "gt" / "redp5110_sampled.docling_ref.json"
    )
    accepted = [(text, ref) for text, reason, ref in results if reason == "ok"]
    reasons = {reason for _, reason, _ in results}
    # Refusals are the Wingdings bullets without Unicode and arrows drawn as paths.
    assert reasons <= {"ok", "unmapped_glyphs", "no_text", "private_use"}
    assert len(accepted) >= 195
    similarity = [
        difflib.SequenceMatcher(None, (text or "").replace("\n", " "), ref).ratio()
        for text, ref in accepted
    ]
    assert statistics.mean(similarity) >= 0.95
    # Speed (20-40 ms per page on two idle cores) is a benchmark figure, not a test: timings
    # on a shared machine are noise. Every page was read.
    assert len(timings) == 18


def test_the_text_layer_read_does_not_depend_on_the_process_quad_setting() -> None:
    # pymupdf4llm switches MuPDF's quad corrections off for the whole process when imported
    # (pymupdf 2.0 imports it); the command leaves it out. The boxes docparse reads must be
    # the same either way (three development documents read differently before), and the
    # process's own setting must be left as it was.
    pdf = EVAL_DEV / "22_olmocr_academic_table" / "olmo2-pg4.pdf"
    if not pdf.is_file():
        pytest.skip("development documents not present")
    tools: Any = pymupdf.TOOLS
    before = bool(tools.unset_quad_corrections())
    layers = []
    try:
        for setting in (False, True):
            tools.unset_quad_corrections(setting)
            with pymupdf.open(pdf) as doc:
                layers.append(extract_page(doc[0], SCALE))
            assert bool(tools.unset_quad_corrections()) is setting
    finally:
        tools.unset_quad_corrections(before)
    assert layers[0] == layers[1]
    text = " ".join(span.text for line in layers[0].lines for span in line.spans)
    assert "StarCoder" in text and "Dolma" in text

"""Ruled grids: the rules a word processor draws around a table's cells, found in the text
layer (generated PDFs) and turned into one table by the built-in layout's checks."""

# pymupdf ships without complete type hints.
# mypy: disallow-untyped-calls=False

from __future__ import annotations

import pymupdf

from docparse.layout import LayoutEvidence, Region
from docparse.layout.builtin_refine import refine_builtin
from docparse.recognize.line_order import OcrLine
from docparse.recognize.table_grid import lines_to_table_html
from docparse.textlayer.extract import extract_page
from docparse.textlayer.lattice import ruled_grids
from docparse.textlayer.model import TextLayerPage
from docparse.textlayer.pieces import pieces_in_box

SCALE = 2.0
CELLS = [("Column A", "Column B"), ("Simple cell", "Cell with bold text"), ("Rich cell", "Nested text")]


def _page(*, ruled: bool = True, frame_only: bool = False, plot: bool = False,
          one_column: bool = False) -> TextLayerPage:
    """A two-column table of three rows at x 70..470, y 100..190, its borders drawn as single
    lines (as LibreOffice exports them), with a paragraph above it."""
    doc = pymupdf.open()
    page = doc.new_page(width=600, height=800)
    page.insert_text((70, 80), "Table with nested table", fontsize=10, fontname="helv")
    if not plot:
        for i, row in enumerate(CELLS):
            for x, cell in zip((76, 276), row, strict=True):
                if x == 76 or not one_column:
                    page.insert_text((x, 118 + 30 * i), cell, fontsize=10, fontname="helv")
    if ruled:
        ys = (100, 190) if frame_only else (100, 130, 160, 190)
        xs = (70, 470) if frame_only or one_column else (70, 270, 470)
        for y in ys:
            page.draw_line((70, y), (470, y), color=(0, 0, 0), width=0.5)
        for x in xs:
            page.draw_line((x, 100), (x, 190), color=(0, 0, 0), width=0.5)
    data = doc.tobytes()
    with pymupdf.open(stream=data, filetype="pdf") as again:
        return extract_page(again[0], SCALE)


def _evidence(layer: TextLayerPage) -> LayoutEvidence:
    return LayoutEvidence(width=1200, height=1600, text_layer=layer, page_has_text=True)


def test_the_text_layer_keeps_vertical_rules_and_the_grid_is_found() -> None:
    layer = _page()
    assert len(layer.vertical_rules) == 3 and layer.scale == SCALE
    (grid,) = ruled_grids(layer.rules, layer.vertical_rules, scale=layer.scale)
    assert [round(v) for v in grid] == [140, 200, 940, 380]
    # A frame around a paragraph is two rules of each kind: no lattice.
    frame = _page(frame_only=True)
    assert ruled_grids(frame.rules, frame.vertical_rules, scale=frame.scale) == []


def test_text_boxes_inside_a_ruled_grid_become_one_table_with_its_cells() -> None:
    # The small model reads the ruled table as two paragraphs side by side.
    layer = _page()
    title = Region("text", (138, 140, 420, 166), 0.9, 1)
    left = Region("text", (145, 210, 300, 370), 0.9, 1)
    right = Region("text", (545, 210, 800, 370), 0.9, 1)
    out = refine_builtin([title, left, right], _evidence(layer))
    assert [r.label for r in out] == ["text", "table"]
    table = out[1]
    html = lines_to_table_html([OcrLine(t, b) for t, b in pieces_in_box(layer, table.bbox)])
    assert html.count("<tr>") == 3
    assert "<td>Simple cell</td><td>Cell with bold text</td>" in html


def test_a_ruled_grid_no_box_covers_is_added_as_a_table_in_reading_order() -> None:
    # Two columns of loose words form a grid by their positions alone; one column of cells
    # (a list in a ruled box per item) only by its rules. Both are read where they stand.
    title = Region("text", (138, 140, 420, 166), 0.9, 1)
    below = Region("text", (138, 420, 900, 460), 0.9, 1)
    for layer in (_page(), _page(one_column=True)):
        out = refine_builtin([title, below], _evidence(layer))
        assert [r.label for r in out] == ["text", "table", "text"]
        assert [round(v) for v in out[1].bbox][1] >= 199


def test_no_table_without_rules_or_without_text_in_the_cells() -> None:
    left = Region("text", (145, 210, 300, 370), 0.9, 1)
    right = Region("text", (545, 210, 800, 370), 0.9, 1)
    # The same words with no rules: the model's labels stand (no grid proves a table).
    out = refine_builtin([left, right], _evidence(_page(ruled=False)))
    # (The words outside both boxes are boxed as tentative text, as on any page.)
    assert [r.label for r in out if not r.tentative] == ["text", "text"]
    assert {r.label for r in out} == {"text"}
    # The rules with nothing in their cells (a chart's gridlines and axes): nothing added.
    out = refine_builtin([Region("text", (138, 140, 420, 166), 0.9, 1)], _evidence(_page(plot=True)))
    assert [r.label for r in out] == ["text"]


def _scan_evidence(*, ruled: bool = True) -> LayoutEvidence:
    """A scan of a one-column ruled table (a list in a ruled box per item, a table only by
    its rules): pixels and OCR lines (taken here from the page's words), no text layer; the
    rules come from the pixels."""
    import numpy as np

    from docparse.recognize.table_rules import page_rules

    doc = pymupdf.open()
    page = doc.new_page(width=600, height=800)
    for i, row in enumerate(CELLS):
        page.insert_text((76, 118 + 30 * i), row[0], fontsize=10, fontname="helv")
    if ruled:
        for y in (100, 130, 160, 190):
            page.draw_line((70, y), (470, y), color=(0, 0, 0), width=0.5)
        for x in (70, 470):
            page.draw_line((x, 100), (x, 190), color=(0, 0, 0), width=0.5)
    pix = page.get_pixmap(matrix=pymupdf.Matrix(SCALE, SCALE), alpha=False)
    image = np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.h, pix.w, 3)
    lines = tuple(pieces_in_box(extract_page(page, SCALE), (0, 0, 1200, 1600)))
    unit = sorted(b[3] - b[1] for _, b in lines)[len(lines) // 2]
    return LayoutEvidence(width=1200, height=1600, text_layer=None, page_has_text=False,
                          ocr_lines=lines, drawn_rules=page_rules(image, unit))


def test_a_ruled_grid_on_a_scan_is_found_in_its_pixels() -> None:
    # The model reads the scanned grid as lines of text.
    evidence = _scan_evidence()
    assert evidence.drawn_rules is not None
    (grid,) = ruled_grids(evidence.drawn_rules.horizontal, evidence.drawn_rules.vertical,
                          scale=evidence.drawn_rules.scale)
    assert all(abs(a - b) <= 4 for a, b in zip(grid, (140, 200, 940, 380), strict=True))
    body = Region("text", (138, 205, 900, 375), 0.9, 1)
    assert [r.label for r in refine_builtin([body], evidence)] == ["table"]
    # Without the rules, the model's label stands.
    assert [r.label for r in refine_builtin([body], _scan_evidence(ruled=False))] == ["text"]

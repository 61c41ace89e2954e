"""Refinements the built-in layout backend declares: its boxes checked against the page's own text.

The small CDLA PicoDet model calls born-digital tables "text" or even pictures, and some of its
"tables" are prose; on scans it calls whole tables or half a page a picture. These rules use the
PDF's characters (or, on pages without a text layer, nothing) to correct the labels. They belong
to this backend: PP-DocLayoutV2/V3 have their own post-processing and never run them.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import math
import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from docparse.geometry import (
    FURNITURE_BAND,
    area,
    centre_in,
    insert_position,
    intersection,
    same_row,
    union,
)
from docparse.labels import FURNITURE_LABELS, LABELS
from docparse.layout import LayoutEvidence, Region

if TYPE_CHECKING:
    from docparse.textlayer.math import Glyph

#: Labels the built-in layout model gives born-digital tables it does not recognise.
_TABLE_SUSPECTS = frozenset({"text", "reference_content", "image"})
#: A picture is re-read as text only when it holds this many pieces of born-digital text.
_MIN_PICTURE_PIECES = 30
#: A picture covering this share of the page is read as well (see read_big_pictures).
_BIG_PICTURE = 0.4
#: On a page with a text layer, only a picture this big with no text box inside is read.
_COVER_PICTURE = 0.7


Piece = tuple[str, tuple[float, float, float, float]]


def _has_words(evidence: LayoutEvidence) -> bool:
    return evidence.text_layer is not None or evidence.ocr_lines is not None


def _words_in(evidence: LayoutEvidence, box: Sequence[float]) -> list[Piece]:
    """The page's words inside ``box`` as cell-sized pieces: from the text layer, or on a
    page without one, the OCR lines (a detector splits lines at cell-wide gaps too) whose
    centre lies in the box. The same rules then hold on born-digital and OCR'd pages."""
    if evidence.text_layer is not None:
        from docparse.textlayer.pieces import pieces_in_box

        return pieces_in_box(evidence.text_layer, box)
    out: list[Piece] = []
    for text, b in evidence.ocr_lines or ():
        if centre_in(b, box) and text.strip():
            out.append((text, b))
    return out


#: A column gutter is this many line heights wide. OCR line boxes are about 1.5 times as tall
#: as the glyphs the text layer's boxes hold (the detector pads each line), so the same gutter
#: is fewer of their heights.
_GUTTER_TEXT_LAYER = 1.5
_GUTTER_OCR = 1.0


def _gutter(evidence: LayoutEvidence) -> float:
    return _GUTTER_TEXT_LAYER if evidence.text_layer is not None else _GUTTER_OCR


def refine_builtin(regions: Sequence[Region], evidence: LayoutEvidence) -> list[Region]:
    """Tables found in the text layer and its ruled grids, prose "tables" relabelled,
    tables joined to their row labels and column headers, displayed formulas found, big
    pictures on scans read, running heads completed, captions told from running heads,
    unnumbered notes under a separator made footnotes, text no box holds boxed, numbered
    cards read in their numbers' order, equation numbers read after their equations."""
    refined = ruled_tables(tables_outside_boxes(tables_from_text(regions, evidence), evidence), evidence)
    refined = text_in_pictures(prose_out_of_pictures(refined, evidence), evidence)
    refined = boxed_table_heads(table_heads(table_stubs(refined, evidence), evidence), evidence)
    refined = formulas_from_text(refined, evidence)
    refined = titles_not_headers(equations_not_furniture(refined, evidence), evidence)
    refined = headings_from_type(refined, evidence)
    refined = running_heads(page_numbers(read_big_pictures(refined, evidence), evidence), evidence)
    refined = captions_not_heads(refined, evidence)
    refined = footnotes_under_rules(footer_lines(refined, evidence), evidence)
    refined = numbered_items_in_order(text_the_model_missed(refined, evidence), evidence)
    return equation_numbers_in_order(refined, evidence)


#: Words at most this many of their heights above a table box can be its header row.
_HEAD_GAP = 1.0
#: A spanning column header is short ("Year Ended", "Three Months Ended June 30").
_HEAD_WORDS = 6


def table_heads(regions: Sequence[Region], evidence: LayoutEvidence) -> list[Region]:
    """Grow a table box over the column header row the small model cut off its top.

    Financial tables put a spanning header ("Year Ended") over their date columns; the
    model's box often starts below it, and the header then comes out as a stray paragraph
    above a table whose columns have lost their heading. Words no box holds, right above a
    table (a gap of at most one line), short, and lying over its columns but not over its
    first one (a caption or title starts at the table's left edge), belong to the table."""
    if not _has_words(evidence) or not any(r.label == "table" for r in regions):
        return list(regions)
    from docparse.textlayer.tables import caption_start

    loose = sorted((p for p in _words_in(evidence, (0, 0, evidence.width, evidence.height))
                    if not any(centre_in(p[1], r.bbox) for r in regions)),
                   key=lambda p: -p[1][3])
    out = list(regions)
    for i, r in enumerate(out):
        if r.label != "table":
            continue
        x1, y1, x2, y2 = r.bbox
        # A caption starting at the table's left edge takes its whole line with it: an
        # italic word of "Table CA7. Campylobacter in fresh pig meat" is no column heading
        # (a short stub heading there, "PAHs compounds", is one).
        caption = [p for p in loose if p[1][0] < x1 + 0.1 * (x2 - x1)
                   and (caption_start(p[0]) or len(p[0].split()) > _HEAD_WORDS)]
        for text, (a1, b1, a2, b2) in loose:
            h = b2 - b1
            if not (0 < h and y1 - _HEAD_GAP * h <= b2 <= y1 + 0.5 * h):
                continue
            if a1 < x1 + 0.1 * (x2 - x1) or a2 > x2 or len(text.split()) > _HEAD_WORDS:
                continue
            if any(_same_row(c[1], (a1, b1, a2, b2)) for c in caption):
                continue
            y1 = min(y1, b1)
        if y1 < r.bbox[1]:
            out[i] = Region(r.label, (x1, y1, x2, y2), r.score, r.cls_id, r.order, r.polygon)
    return out


#: Labels the model gives a table's row labels when it boxes them apart from its figures.
_STUB_LABELS = frozenset({"text", "paragraph_title", "reference_content"})
#: A row label is short: "Consumption/Use Taxes", "Total Assistance and Grants".
_STUB_WORDS = 6
#: Share of a stub box's lines that must each sit on a row of the table's figures.
_STUB_ROWS = 0.8
#: Row labels (pieces or boxes) needed, as a share of the table's rows.
_STUB_SHARE = 0.3


def table_stubs(regions: Sequence[Region], evidence: LayoutEvidence) -> list[Region]:
    """Join to a table the row labels the small model left out on its left.

    With a wide gap between a statement's row labels and its first column of figures, the
    model often boxes only the figures as the table: the labels are left unboxed, or boxed as
    paragraphs beside it (one box per group of rows), and come out as a list of phrases before
    a table of bare numbers. Words left of a table, within its height, with nothing between
    them, whose lines are all short and each level with a row of the table's words, are that
    table's first column: the unboxed ones together, a text box's as a whole. A paragraph
    beside a table has long lines, at its own line pitch."""
    if not _has_words(evidence) or not any(r.label == "table" for r in regions):
        return list(regions)
    from docparse.textlayer.tables import rows_of

    page = _words_in(evidence, (0, 0, evidence.width, evidence.height))
    out = list(regions)
    for i, table in enumerate(out):
        if table.label != "table":
            continue
        rows = [b for _, b in _words_in(evidence, table.bbox)]
        if len(rows) < 2:
            continue
        slack = 0.5 * _line_height(rows)
        loose = [p for p in page if not any(centre_in(p[1], r.bbox) for r in out)
                 and _left_of(p[1], table.bbox, out, (i,), slack)]
        boxed = {j: _words_in(evidence, r.bbox) for j, r in enumerate(out)
                 if r.label in _STUB_LABELS and j != i
                 and _left_of(r.bbox, table.bbox, out, (i, j), slack)}
        # The labels are one column: a group's heading ("Receipts:") has no figures on its
        # row, so they are judged together first, then each group on its own.
        if _stub_column([*loose, *itertools.chain(*boxed.values())], rows):
            boxes = list(boxed)
        else:
            boxes = [j for j, pieces in boxed.items() if _stub_column(pieces, rows)]
            loose = loose if _stub_column(loose, rows) else []
        # Boxes left of the table that are no row labels (a column of prose beside it) make
        # what lies in their column part of the page's text, not of the table.
        prose = [r.bbox for k, r in enumerate(out) if k != i and k not in boxes
                 and r.label not in FURNITURE_LABELS and r.bbox[2] <= table.bbox[0] + slack]
        labels = [b for _, b in loose] + [out[j].bbox for j in boxes]
        if any(min(b[2], p[2]) - max(b[0], p[0]) > 0.5 * (b[2] - b[0]) for b in labels for p in prose):
            continue
        # Row labels run down the table: they stand level with a good share of its rows.
        count = len(loose) + sum(len(boxed[j]) for j in boxes)
        if count < _STUB_SHARE * len(rows_of([("", b) for b in rows])):
            continue
        grown = functools.reduce(union, labels, table.bbox)
        if grown != table.bbox:
            out[i] = dataclasses.replace(table, bbox=grown)
            for j in boxes:
                out[j] = dataclasses.replace(out[j], label="")
    return [r for r in out if r.label]


#: A boxed header row may stand this many of the table's line heights above it.
_BOXED_HEAD_GAP = 2.0


def boxed_table_heads(regions: Sequence[Region], evidence: LayoutEvidence) -> list[Region]:
    """Join to a table the column headers the small model boxed as a paragraph above it.

    A statement's column headers ("2024 April Actuals", "May Actuals", ...) set apart from its
    figures by a gap come out boxed as one text block: a run of words before a table whose
    columns have lost their headings. A text box right above a table (at most two lines
    between them: a rule and its padding) and within its width, whose words are short cells
    (no caption), with a row of at least three of them and nearly all standing over the
    table's words, is its header. A caption or title above a table is one piece a line; a
    sentence or a relation above it ("Seien A, B und M Mengen.", "V1 ∩ V2 = ∅?") is no
    header, however its math spacing cuts it into pieces."""
    if not _has_words(evidence) or not any(r.label == "table" for r in regions):
        return list(regions)
    from docparse.textlayer.tables import caption_start

    out = list(regions)
    for i, table in enumerate(out):
        if table.label != "table":
            continue
        tx1, ty1, tx2, _ = table.bbox
        inside = _words_in(evidence, table.bbox)
        cells = [b for _, b in inside]
        if len(cells) < 2:
            continue
        unit = _line_height(cells)
        columns = _column_spans(inside)
        for j, head in enumerate(out):
            hx1, _, hx2, hy2 = head.bbox
            if (j == i or head.label not in _STUB_LABELS or not ty1 - _BOXED_HEAD_GAP * unit <= hy2 <= ty1 + 0.5 * unit
                    or hx1 < tx1 - unit or hx2 > tx2 + unit):
                continue
            pieces = _words_in(evidence, head.bbox)
            if not pieces or any(len(t.split()) > _HEAD_WORDS or caption_start(t) for t, _ in pieces):
                continue
            # Column headings state nothing: a row reading as a sentence ("Seien A, B und M
            # Mengen.") or a relation ("V1 ∩ V2 = ∅?") is the text above the table.
            lines = [" ".join(t for t, b in sorted(pieces, key=lambda p: p[1][0]) if _same_row(b, row))
                     for _, row in pieces]
            if any(_RELATION.search(t) or re.search(r"[=∈→⇒<>≤≥]", t)
                   or (len(t.split()) >= 3 and t.rstrip().endswith((".", ":", ";"))) for t in lines):
                continue
            widest = max(sum(1 for _, b in pieces if _same_row(b, p)) for _, p in pieces)
            over = [sum(1 for a, b in columns if min(p[2], b) > max(p[0], a)) for _, p in pieces]
            # A heading over several columns may be a spanning one, or two headings set closer
            # than a word space read as one piece ("graduate Graduate"): the table's columns
            # would run together under it. Only headers of one column each are joined.
            if widest >= 3 and max(over) == 1 and over.count(1) >= _STUB_ROWS * len(pieces):
                table = dataclasses.replace(table, bbox=union(table.bbox, head.bbox))
                out[i] = table
                out[j] = dataclasses.replace(head, label="")
    return [r for r in out if r.label]


def _column_spans(pieces: Sequence[Piece]) -> list[tuple[float, float]]:
    """The x extents of a table's columns: the pieces of its rows of three cells or more (a
    section heading across the columns is no cell), merged where they overlap."""
    spans = sorted((b[0], b[2]) for _, b in pieces
                   if sum(1 for _, o in pieces if _same_row(o, b)) >= 3)
    merged: list[tuple[float, float]] = []
    for a, b in spans:
        if merged and a < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def _left_of(box: Sequence[float], table: Sequence[float], regions: Sequence[Region],
             skip: Sequence[int], slack: float) -> bool:
    """``box`` lies left of ``table``, within its height (give or take ``slack``), no region
    but those at ``skip`` lies between them, and ``box`` is not in a column of the page's
    own left of the table."""
    x1, y1, x2, y2 = box
    tx1, ty1, _, ty2 = table
    if not (x2 <= tx1 + 0.1 * (x2 - x1) and ty1 - slack <= y1 and y2 <= ty2 + slack):
        return False
    between = (x2, max(y1, ty1), tx1, min(y2, ty2))
    if any(k not in skip and intersection(r.bbox, between) > 0 for k, r in enumerate(regions)):
        return False
    # On a page of two columns, a line of the left column level with a row of a table in the
    # right one is no row label: a box above or below the table, left of it, stands over it.
    return not any(r.label not in FURNITURE_LABELS and r.bbox[2] <= tx1
                   and (r.bbox[3] <= ty1 or r.bbox[1] >= ty2)
                   and r.bbox[0] <= x1 + slack and r.bbox[2] >= x2 - slack for r in regions)


def _line_height(boxes: Sequence[Sequence[float]]) -> float:
    heights = sorted(b[3] - b[1] for b in boxes)
    return heights[len(heights) // 2] if heights else 0.0


def _stub_column(pieces: Sequence[Piece], rows: Sequence[Sequence[float]]) -> bool:
    """``pieces`` are row labels of the table whose words lie at ``rows``: short lines, most
    of them level (centre to centre, within a third of a line) with a word of the table."""
    if not pieces or any(len(text.split()) > _STUB_WORDS for text, _ in pieces):
        return False
    level = 0
    for _, (_, y1, _, y2) in pieces:
        cy, h = (y1 + y2) / 2, y2 - y1
        if any(abs((b[1] + b[3]) / 2 - cy) <= h / 3 for b in rows):
            level += 1
    return level >= _STUB_ROWS * len(pieces)


def formulas_from_text(regions: Sequence[Region], evidence: LayoutEvidence) -> list[Region]:
    """Displayed formulas checked against the PDF's glyphs (born-digital pages only: OCR
    words carry no fonts).

    Rows are math or prose by their glyphs (math fonts or symbols and no prose word,
    :func:`docparse.textlayer.math.is_math_row`):

    * a text box whose rows are all math is a formula;
    * a text box mixing the two (the model boxes an equation with the paragraph around it)
      is cut between them, where each math row stands apart from the prose as displayed
      formulas do: set in by at least one of its font sizes from the prose's left edge. A
      math-looking line flush with the paragraph is a line of it, and stays;
    * a formula box holding prose rows (the model's formula boxes run into the text above or
      below) keeps its math rows; the prose becomes text; one holding no math is text, or a
      table when its words form one;
    * a formula box grows over glyphs of it no box holds (a radical sign standing above the
      box's top) and takes the equation numbers boxed apart on its rows ("(3)")."""
    layer = evidence.text_layer
    if layer is None or not any(r.label in _FORMULA_SUSPECTS for r in regions):
        return list(regions)
    from docparse.textlayer.math import glyphs_in_box, may_hold_math, rows_of

    # One pass over the page's characters; a page without a math glyph (most pages of prose)
    # has no formula to find, only the model's formula boxes to check.
    page = glyphs_in_box(layer, (0, 0, layer.width, layer.height))
    if not any(r.label == "display_formula" for r in regions) and not may_hold_math(page):
        return list(regions)

    def inside(box: Sequence[float]) -> list[Glyph]:
        return [g for g in page if box[0] <= g.cx <= box[2] and box[1] <= g.cy <= box[3]]

    found = _formulas_outside_boxes(regions, page, evidence)
    changed = found is not None
    regions = found if found is not None else regions
    out: list[Region] = []
    for r in regions:
        if r.label not in _FORMULA_SUSPECTS:
            out.append(r)
            continue
        rows = rows_of(inside(r.bbox))
        math = _math_rows(rows)
        if not any(math):
            # A formula box holding words and not one math glyph is a table, or prose or a
            # title the small model took for a formula ("Abstract" in bold, centred).
            if r.label == "display_formula" and rows:
                from docparse.textlayer.tables import looks_like_table

                changed = True
                label = "table" if looks_like_table(_words_in(evidence, r.bbox)) else "text"
                out.append(Region(label, r.bbox, r.score, LABELS.index(label), r.order, r.polygon))
            else:
                out.append(r)
            continue
        if r.label == "text" and not all(math):
            prose_left = min(g.x0 for row, m in zip(rows, math, strict=True) if not m for g in row)
            for k, (row, m) in enumerate(zip(rows, math, strict=True)):
                if m and min(g.x0 for g in row) - prose_left < max(g.size for g in row):
                    math[k] = False
            if not any(math):
                out.append(r)
                continue
        if all(math):
            changed |= r.label != "display_formula"
            out.append(r if r.label == "display_formula" else _as_formula(r))
            continue
        changed = True
        x1, _, x2, _ = r.bbox
        start = 0
        for k in range(1, len(rows) + 1):
            if k < len(rows) and math[k] == math[start]:
                continue
            run = [g for row in rows[start:k] for g in row]
            top = r.bbox[1] if start == 0 else min(g.y0 for g in run)
            bottom = r.bbox[3] if k == len(rows) else max(g.y1 for g in run)
            part = Region("text", (x1, top, x2, bottom), r.score, LABELS.index("text"))
            out.append(_as_formula(part) if math[start] else part)
            start = k
    if not any(r.label == "display_formula" for r in out):
        return out if changed else list(regions)
    return _equation_numbers_joined(_formulas_grown(out, page), inside)


#: Glyphs further apart than this many font sizes on a row belong to different blocks.
_SEGMENT_GAP = 2.0
#: A displayed formula no box holds has at least this many glyphs.
_LOOSE_FORMULA_GLYPHS = 3


def _formulas_outside_boxes(
    regions: Sequence[Region], page: Sequence[Glyph], evidence: LayoutEvidence
) -> list[Region] | None:
    """Displayed formulas among the glyphs no box holds, as formula regions where they stand
    in the reading order (None when there are none). The small model leaves equations set
    in a text font unboxed ("eiπ + 1 = 0" on a card of a web page's export); their text
    would otherwise come out as a paragraph of loose symbols. Rows of loose glyphs are cut
    at wide gaps (side-by-side cards), a segment is a formula when its glyphs are math
    (:func:`docparse.textlayer.math.is_math_row`), and segments stacked close together
    (a system of equations, a sum's limits) are one formula."""
    from docparse.textlayer.math import is_math_row, rows_of

    margin = _MISSED_MARGIN * evidence.height
    loose = [g for g in _unheld(page, regions) if margin < g.cy < evidence.height - margin]
    if len(loose) < _LOOSE_FORMULA_GLYPHS:
        return None
    segments: list[list[Glyph]] = []
    for row in rows_of(loose):
        size = sorted(g.size for g in row)[len(row) // 2]
        current = [row[0]]
        for left, right in itertools.pairwise(row):
            if right.x0 - left.x1 > _SEGMENT_GAP * size:
                segments.append(current)
                current = []
            current.append(right)
        segments.append(current)
    math = [s for s in segments if len(s) >= _LOOSE_FORMULA_GLYPHS and not _leaders(s) and is_math_row(s)]
    if not math:
        return None
    boxes: list[list[float]] = []
    for seg in sorted(math, key=lambda s: min(g.y0 for g in s)):
        x1, y1 = min(g.x0 for g in seg), min(g.y0 for g in seg)
        x2, y2 = max(g.x1 for g in seg), max(g.y1 for g in seg)
        size = max(g.size for g in seg)
        for held in boxes:
            if min(held[2], x2) > max(held[0], x1) and y1 - held[3] < size:
                held[:] = [min(held[0], x1), min(held[1], y1), max(held[2], x2), max(held[3], y2)]
                break
        else:
            boxes.append([x1, y1, x2, y2])
    out = list(regions)
    formula_id = LABELS.index("display_formula")
    for found in boxes:
        box = (found[0], found[1], found[2], found[3])
        out.insert(insert_position([r.bbox for r in out], box), Region("display_formula", box, 0.5, formula_id))
    return out


def _unheld(page: Sequence[Glyph], regions: Sequence[Region]) -> list[Glyph]:
    """The glyphs whose centre no region holds."""
    return [g for g in page if not any(centre_in((g.x0, g.y0, g.x1, g.y1), r.bbox) for r in regions)]


def _leaders(glyphs: Sequence[Glyph]) -> bool:
    """Dot leaders (a table of contents' "...... 7"): TeX sets them in its math italic font,
    so they pass for math glyphs."""
    dots = sum(1 for g in glyphs if g.c in ".·…")
    return dots >= 4 and dots >= 0.3 * len(glyphs)


def _math_rows(rows: Sequence[Sequence[Glyph]]) -> list[bool]:
    """Per row, whether it is math; a row of neither math nor prose (the limits over a
    product, an equation number on its own line) goes with the nearest row that is one."""
    from docparse.textlayer.math import is_math_row, is_prose_row

    kinds: list[bool | None] = [
        True if is_math_row(r) else False if is_prose_row(r) else None for r in rows
    ]
    out: list[bool] = []
    for k, kind in enumerate(kinds):
        if kind is None:
            near = [(abs(j - k), v) for j, v in enumerate(kinds) if v is not None]
            kind = min(near, key=lambda t: (t[0], not t[1]))[1] if near else False
        out.append(kind)
    return out


#: Labels whose boxes may hold displayed formulas.
_FORMULA_SUSPECTS = frozenset({"text", "display_formula"})
_EQUATION_NUMBER = re.compile(r"\(\d+(?:\.\d+)*[a-z]?\)")


def _as_formula(r: Region) -> Region:
    return Region("display_formula", r.bbox, r.score, LABELS.index("display_formula"), r.order, r.polygon)


def _formulas_grown(regions: list[Region], page: Sequence[Glyph]) -> list[Region]:
    """Formula boxes merged where they overlap (the small model boxes one equation in two
    pieces), then grown over the glyphs they touch that no box holds: math glyphs above or
    below (a radical sign over the box's top; a word of the paragraph above, cut off by its
    box, stays out), and anything cut off at the box's sides on its rows (the closing
    parenthesis of an equation number)."""
    from docparse.textlayer.math import is_math_glyph

    out = _formulas_merged(regions)
    loose = _unheld(page, out)
    if not loose:
        return out
    for i, r in enumerate(out):
        if r.label != "display_formula":
            continue
        x1, y1, x2, y2 = r.bbox
        for g in loose:
            if is_math_glyph(g) and x1 <= g.cx <= x2 and g.y0 < y2 and g.y1 > y1:
                y1, y2 = min(y1, g.y0), max(y2, g.y1)
        for g in loose:
            if y1 <= g.cy <= y2 and g.x0 < x2 + 0.5 * g.size and g.x1 > x1 - 0.5 * g.size:
                x1, x2 = min(x1, g.x0), max(x2, g.x1)
        if (x1, y1, x2, y2) != r.bbox:
            out[i] = Region(r.label, (x1, y1, x2, y2), r.score, r.cls_id, r.order, r.polygon)
    return out


def _formulas_merged(regions: list[Region]) -> list[Region]:
    """Overlapping formula boxes as one, where the first of them stands."""
    out = list(regions)
    merged = True
    while merged:
        merged = False
        for i, a in enumerate(out):
            if a.label != "display_formula":
                continue
            for j in range(i + 1, len(out)):
                b = out[j]
                if b.label == "display_formula" and intersection(a.bbox, b.bbox) > 0:
                    box = (min(a.bbox[0], b.bbox[0]), min(a.bbox[1], b.bbox[1]),
                           max(a.bbox[2], b.bbox[2]), max(a.bbox[3], b.bbox[3]))
                    out[i] = Region(a.label, box, max(a.score, b.score), a.cls_id, a.order, a.polygon)
                    del out[j]
                    merged = True
                    break
            if merged:
                break
    return out


def _equation_numbers_joined(
    regions: list[Region], inside: Callable[[Sequence[float]], list[Glyph]]
) -> list[Region]:
    """A text box holding only equation numbers, right of a formula box on its rows, joins it:
    the formula reader turns them into ``\\tag``."""
    from docparse.textlayer.math import rows_of

    out = list(regions)
    for i, r in enumerate(regions):
        if r.label != "text":
            continue
        rows = rows_of(inside(r.bbox))
        if not rows or not all(_EQUATION_NUMBER.fullmatch("".join(g.c for g in row)) for row in rows):
            continue
        height = r.bbox[3] - r.bbox[1]
        for j, f in enumerate(out):
            if f.label != "display_formula" or r.bbox[0] < f.bbox[0]:
                continue
            if min(r.bbox[3], f.bbox[3]) - max(r.bbox[1], f.bbox[1]) >= 0.5 * height:
                box = (f.bbox[0], min(f.bbox[1], r.bbox[1]), max(f.bbox[2], r.bbox[2]), max(f.bbox[3], r.bbox[3]))
                out[j] = Region(f.label, box, f.score, f.cls_id, f.order, f.polygon)
                out[i] = Region("_joined", r.bbox, r.score)
                break
    return [r for r in out if r.label != "_joined"]


#: Running heads and feet sit in this share of the page height at its top or bottom.
_MARGIN = 0.12
#: Labels the small model gives the rest of a running head's row.
_HEAD_PARTS = frozenset({"text", "paragraph_title", "reference_content"})


#: A page number sits in this share of the page height at its top or bottom (LaTeX's
#: default layout puts it at 82% of a letter page).
_NUMBER_MARGIN = 0.2
_PAGE_NUMBER_TEXT = re.compile(
    r"(?:page\s+)?[-–—]?\s*(?:\d{1,4}|[ivxlcdm]{1,7}|[〇零一二三四五六七八九十百]{1,6})\s*[-–—]?"
    r"(?:\s*(?:of|/)\s*\d{1,4})?",
    re.IGNORECASE,
)


def page_numbers(regions: Sequence[Region], evidence: LayoutEvidence) -> list[Region]:
    """A box holding only a page number ("12", "- 3 -", "Page 4 of 9", "xii", "一一五"), lowest
    on the page in its bottom fifth or highest in its top fifth, is the page number (the small
    model has no class for it and calls it text). Its row is then furniture too
    (:func:`running_heads`)."""
    if not _has_words(evidence) or not evidence.furniture:
        return list(regions)
    height = float(evidence.height) or 1.0
    page = _words_in(evidence, (0, 0, evidence.width, evidence.height))
    # The model often boxes nothing there: words no box holds are candidates too.
    unboxed = [Region("text", box, 0.5, LABELS.index("text"), None) for _, box in page
               if not any(centre_in(box, r.bbox) for r in regions)]
    out = list(regions)
    for r in [*regions, *unboxed]:
        if r.label not in _HEAD_PARTS:
            continue
        bottom = r.bbox[1] >= (1 - _NUMBER_MARGIN) * height
        top = r.bbox[3] <= _NUMBER_MARGIN * height
        if not (bottom or top):
            continue
        text = " ".join(t for t, b in page if centre_in(b, r.bbox)).strip()
        if not text or not _PAGE_NUMBER_TEXT.fullmatch(text):
            continue
        others = [o.bbox for o in regions if o is not r and not _same_row(o.bbox, r.bbox)]
        others += [b for _, b in page if not centre_in(b, r.bbox) and not _same_row(b, r.bbox)]
        if bottom and any(o[3] > r.bbox[3] for o in others):
            continue
        if top and not bottom and any(o[1] < r.bbox[1] for o in others):
            continue
        number = Region("number", r.bbox, r.score, LABELS.index("number"), None)
        if r in regions:
            out[regions.index(r)] = number
        else:
            out.append(number)
    return out


#: A "header" set this much larger than the page's body text, right above it, is a title.
_TITLE_SIZE = 1.1
_PROSE_OR_TITLE = frozenset({"text", "paragraph_title", "doc_title", "abstract"})
#: Running heads stand in this top share of the page (a "Downloaded from" line may be above).
_HEAD_BAND = 0.1
_TITLE_CHARS = 4
_TITLE_GAP = 2.5
#: A title set this much larger than the body may stand further above what it heads (a
#: heading at a page's top over a table, spaced as headings are).
_BIG_TITLE_SIZE = 1.25
_BIG_TITLE_GAP = 3.0


def titles_not_headers(regions: Sequence[Region], evidence: LayoutEvidence) -> list[Region]:
    """A "header" the model found whose type is larger than the page's body text, with the
    body right under it, is the page's title: running heads are set in small type and stand
    apart; nor is one below text of the page a running head. (The small model calls the
    title of a one-page article at the top a header, or a slide's title banner, and Markdown
    would then drop it as page furniture.) Type size is the font size on born-digital pages,
    the line height on OCR'd ones. Headers on the title's row are parts of it ("Unit 2" and
    "Poems" boxed apart)."""
    if not any(r.label == "header" for r in regions):
        return list(regions)
    rows = _sized_rows(evidence)
    body = _body_size(rows)
    if body is None:
        return list(regions)
    has_title = any(r.label == "doc_title" for r in regions)
    out: list[Region | None] = list(regions)
    reorder = False
    for i, r in enumerate(regions):
        if out[i] is not r or r.label != "header":
            continue
        own = [(size, n) for size, n, box in rows if centre_in(box, r.bbox)]
        # A title says something: a logo's three letters ("IBM") do not make one.
        if sum(n for _, n in own) < _TITLE_CHARS:
            continue
        # Below the page's own text no head is running (a slide's title banner under its
        # section label).
        under_text = r.bbox[1] > _HEAD_BAND * evidence.height and any(
            o.label in _PROSE_OR_TITLE and o.bbox[3] <= r.bbox[1] for o in regions)
        if min(size for size, _ in own) < _TITLE_SIZE * body and not under_text:
            continue
        gap = _BIG_TITLE_GAP if min(size for size, _ in own) >= _BIG_TITLE_SIZE * body else _TITLE_GAP
        if _gap_below(r, regions) > gap * (r.bbox[3] - r.bbox[1]):
            continue
        label = "paragraph_title" if has_title else "doc_title"
        has_title = True
        # A head is read first; a title under the page's text is read where it stands.
        reorder = reorder or under_text
        box = r.bbox
        for j, o in enumerate(regions):
            if out[j] is o and o is not r and o.label == "header" and _title_row(box, o.bbox):
                box, out[j] = union(box, o.bbox), None
        out[i] = Region(label, box, r.score, LABELS.index(label), r.order,
                        r.polygon if box == r.bbox else None)
    kept = [r for r in out if r is not None]
    if reorder:
        from docparse.layout.reading_order import order_regions

        return order_regions(kept, evidence.width, evidence.height)
    return kept


def _body_size(rows: Sequence[tuple[float, int, tuple[float, float, float, float]]]) -> float | None:
    """The page's body type size: the median size by characters (None: no text)."""
    total = sum(n for _, n, _ in rows)
    if not total:
        return None
    seen = 0
    for size, n, _ in sorted(rows, key=lambda row: row[0]):
        seen += n
        if 2 * seen >= total:
            return size
    return max(size for size, _, _ in rows)


#: A one-line text box set this much larger than the page's body is a heading, when it is
#: short (words; CJK counted as textlayer.tables.word_count does) and mostly letters.
_HEADING_SIZE = 1.25
_HEADING_WORDS = 12
_HEADING_LETTERS = 0.5
#: An amount ("319.00", "$ 12", "1,200 €") after the first word makes a line a total or a
#: price, not a heading (a first "2.10" numbers a section).
_AMOUNT = re.compile(r"\s\S*(?:\d[.,]\d{2}(?!\d)|[$€£¥₹]\s?\d|\d\s?[$€£¥₹])")


def headings_from_type(regions: Sequence[Region], evidence: LayoutEvidence) -> list[Region]:
    """A ``text`` box of one line in type well larger than the page's body, short, mostly
    letters and no sentence, with something right under it, is a heading: the small model
    calls a section heading text about as often as title, and the Markdown then loses the
    document's outline. A box whose first line is such a heading over lines set smaller is
    the heading and its paragraph: it is cut in two. Type size as in
    :func:`titles_not_headers`."""
    if not _has_words(evidence) or not any(r.label == "text" for r in regions):
        return list(regions)
    from docparse.textlayer.tables import hull, rows_of, word_count

    rows = _sized_rows(evidence)
    body = _body_size(rows)
    if body is None:
        return list(regions)
    title_id, text_id = LABELS.index("paragraph_title"), LABELS.index("text")
    # Words OCR'd in a picture (a photo's signboard, calligraphy) head nothing. A text layer's
    # words in one are the page's own text (the small model boxes brochure pages as pictures).
    pictures = [r.bbox for r in regions if r.label in ("image", "chart", "seal")
                and evidence.text_layer is None]
    out: list[Region] = []
    for r in regions:
        # Cheap tests first: a map page's text box holds thousands of lines.
        inside = ([(size, box) for size, _, box in rows if centre_in(box, r.bbox)]
                  if r.label == "text" and not any(centre_in(r.bbox, p) for p in pictures) else [])
        if not inside or max(size for size, _ in inside) < _HEADING_SIZE * body:
            out.append(r)
            continue
        lines = rows_of(_words_in(evidence, r.bbox))
        first = hull(lines[0]) if lines else r.bbox
        own = [size for size, box in inside if centre_in(box, first)]
        if not lines or not own or min(own) < _HEADING_SIZE * body:
            out.append(r)
            continue
        text = " ".join(t for t, _ in lines[0]).strip()
        chars = text.replace(" ", "")
        if (not chars or word_count(text) > _HEADING_WORDS or text[-1] in ".;,!?。；，"
                or sum(c.isalpha() for c in chars) < _HEADING_LETTERS * len(chars)
                or _AMOUNT.search(text)):
            out.append(r)
            continue
        if len(lines) > 1:
            if text[-1] in ":：":
                # A label over its value ("Ordered Through :"), not a heading over a paragraph.
                out.append(r)
                continue
            # The heading and its first paragraph in one box: the rest is set smaller.
            cut = (first[3] + hull(lines[1])[1]) / 2
            rest = [size for size, box in inside if (box[1] + box[3]) / 2 > cut]
            if not rest or max(rest) * _HEADING_SIZE > min(own):
                out.append(r)
                continue
            out += [Region("paragraph_title", (r.bbox[0], r.bbox[1], r.bbox[2], cut), r.score, title_id),
                    Region("text", (r.bbox[0], cut, r.bbox[2], r.bbox[3]), r.score, text_id)]
            continue
        if _gap_below(r, regions) > _TITLE_GAP * (r.bbox[3] - r.bbox[1]):
            out.append(r)
            continue
        out.append(Region("paragraph_title", r.bbox, r.score, title_id, r.order, r.polygon))
    return out


def _gap_below(r: Region, regions: Sequence[Region]) -> float:
    """How far under ``r`` the nearest region it overlaps in width starts (page furniture
    aside); infinite when there is none."""
    height = r.bbox[3] - r.bbox[1]
    return min((o.bbox[1] - r.bbox[3] for o in regions
                if o is not r and o.label not in ("header", "footer", "number")
                and o.bbox[1] >= r.bbox[3] - 0.5 * height
                and min(o.bbox[2], r.bbox[2]) > max(o.bbox[0], r.bbox[0])), default=math.inf)


def _title_row(title: Sequence[float], other: Sequence[float]) -> bool:
    """Whether box ``other`` stands on the row of ``title``, at most a title height apart."""
    height = title[3] - title[1]
    overlap = min(title[3], other[3]) - max(title[1], other[1])
    gap = max(other[0] - title[2], title[0] - other[2])
    return overlap >= 0.5 * min(height, other[3] - other[1]) and gap <= height


def _sized_rows(
    evidence: LayoutEvidence,
) -> list[tuple[float, int, tuple[float, float, float, float]]]:
    """(type size, characters, box) of the page's text: each text-layer span with its font
    size, or each OCR line with its height (a detector's line box is the same multiple of the
    type size on every line of a page)."""
    layer = evidence.text_layer
    if layer is not None:
        return [(span.size, len(span.text.strip()), line.bbox) for line in layer.lines
                for span in line.spans if span.text.strip()]
    # A column of vertical text is no line of type of its height.
    return [(b[3] - b[1], len(text.strip()), b) for text, b in evidence.ocr_lines or ()
            if text.strip() and b[3] - b[1] <= 2 * (b[2] - b[0])]


def running_heads(regions: Sequence[Region], evidence: LayoutEvidence) -> list[Region]:
    """A one-line text box on the row of a header (footer) box in the page's top (bottom)
    margin is the rest of that running head: the small model boxes a book's "400   BRITISH
    HUSBANDRY.   [Ch. XIX." as a header (the page number) and two text boxes. Left as text,
    the title and chapter would be read into the body."""
    if not _has_words(evidence) or not evidence.furniture:
        return list(regions)
    height = float(evidence.height) or 1.0
    # Only header boxes holding words: a logo the model calls a header ("IBM" beside "Front
    # cover" on a report's cover) says nothing of the text beside it.
    furniture = {"header": [r.bbox for r in regions if r.label == "header"
                            and r.bbox[3] <= _MARGIN * height and _words_in(evidence, r.bbox)],
                 "footer": [r.bbox for r in regions if r.label == "footer"
                            and r.bbox[1] >= (1 - _MARGIN) * height
                            and _words_in(evidence, r.bbox)]}
    # A page number found on its own (page_numbers) marks its row as well.
    for r in regions:
        if r.label == "number":
            side = "header" if r.bbox[3] <= _NUMBER_MARGIN * height else "footer"
            furniture[side].append(r.bbox)
    if not furniture["header"] and not furniture["footer"]:
        return list(regions)
    out: list[Region] = []
    for r in regions:
        if r.label in _HEAD_PARTS:
            for label, boxes in furniture.items():
                if any(_same_row(r.bbox, b) for b in boxes):
                    r = Region(label, r.bbox, r.score, LABELS.index(label), None)
                    break
        out.append(r)
    # Words on such a row that no box holds (the model boxed only the page number) are part
    # of it too; unboxed, they would come back as extra text at the top of the page.
    for piece_text, box in _words_in(evidence, (0, 0, evidence.width, evidence.height)):
        if not piece_text.strip() or any(centre_in(box, o.bbox) for o in out):
            continue
        for label, boxes in furniture.items():
            if any(_same_row(box, b) for b in boxes):
                out.append(Region(label, box, 0.5, LABELS.index(label), None))
                break
    return out


#: The page's last line is a footer when it lies in this bottom share of the page, stands
#: this many of its heights below the text above it, and holds at most this many words.
_FOOT_MARGIN = 0.12
#: A footnote opens with its mark: a number or a dagger, asterisk or section sign.
_FOOTNOTE = re.compile(r"\s*(?:\d{1,3}|[*†‡§¶])(?![\d.,:/-])")
_FOOT_GAP = 2.5
_FOOT_WORDS = 12
#: ... or sits right under the text, its items short and spread over this share of its width.
_FOOT_ITEM_WORDS = 4
_FOOT_SPREAD = 0.7
#: ... or is a running foot: a page number and a title ("416 Chapter 9 Use Factors and
#: Multiples", "Annual Report 2024   17"), no sentence, at least this many of its heights
#: below the text (the body's lines are closer; a footnote's number is a mark, and its text
#: a sentence).
_RUNNING_FOOT = re.compile(r"(?:\d{1,4}\s+\D.*[^.:;,!?]|\D.*\D\s+\d{1,4})")
_RUNNING_FOOT_GAP = 1.0
#: Labels a box of the footer line alone may carry (the model calls a running foot a
#: caption too).
_FOOT_LINE_LABELS = _HEAD_PARTS | {"figure_title"}


#: A caption stands at most this many of its line heights above its table or picture.
_CAPTION_GAP = 3.0


def captions_not_heads(regions: Sequence[Region], evidence: LayoutEvidence) -> list[Region]:
    """A "header" that opens as a caption ("Table 1. Summary of ...") right above a table or
    a picture is its caption. On a landscape table's page (a sideways page turned upright) the
    caption runs along the top edge beside the page number, where running heads stand."""
    if not _has_words(evidence):
        return list(regions)
    from docparse.textlayer.tables import caption_start

    out = list(regions)
    for i, r in enumerate(regions):
        if r.label != "header":
            continue
        words = _words_in(evidence, r.bbox)
        if not words:
            continue
        first = min(words, key=lambda w: w[1][0])[0]
        if not caption_start(first):
            continue
        # "Table 3-2 lists the nine built-in variables." is a sentence about the table.
        tokens = first.split()
        if len(tokens) >= 3 and not tokens[1].endswith((".", ":")) and tokens[2][:1].islower():
            continue
        unit = _line_height([b for _, b in words])
        x1, _, x2, y2 = r.bbox
        if any(o.label in ("table", "image", "chart") and 0 <= o.bbox[1] - y2 <= _CAPTION_GAP * unit
               and min(x2, o.bbox[2]) > max(x1, o.bbox[0]) for o in regions):
            out[i] = dataclasses.replace(r, label="figure_title", cls_id=LABELS.index("figure_title"))
    return out


def equations_not_furniture(regions: Sequence[Region], evidence: LayoutEvidence) -> list[Region]:
    """A "header" or "footer" the model found that states a relation ("X² + Y² = Z" alone
    at the foot of a page) is text: a displayed equation is set apart from the prose as
    page furniture is, but running heads and footers state no equations."""
    out = list(regions)
    for i, r in enumerate(regions):
        if r.label in ("header", "footer") and _RELATION.search(
                " ".join(text for text, _ in _words_in(evidence, r.bbox))):
            out[i] = Region("text", r.bbox, r.score, LABELS.index("text"), r.order, r.polygon)
    return out


#: A relation sign set between spaces, as an equation has it (not "a=b" in a web address).
_RELATION = re.compile(r"\S\s+[=<>\u2260\u2264\u2265\u2248\u2261]\s+\S")


def footer_lines(regions: Sequence[Region], evidence: LayoutEvidence) -> list[Region]:
    """The page's last line of text, set apart at its foot, is a footer even inside a text
    box: a form's issue date, a cover's "Revision: 2.4   P/N 119-036   10 June 2019". Body
    text runs on at its line spacing to the bottom margin; a footer keeps its distance, or
    spreads short items over the width under the last line of prose. The line becomes a
    ``footer`` region and the box holding it ends above it."""
    if not _has_words(evidence) or not evidence.furniture:
        return list(regions)
    from docparse.textlayer.tables import hull, rows_of

    height = float(evidence.height) or 1.0
    rows = rows_of([p for p in _words_in(evidence, (0, 0, evidence.width, evidence.height))
                    if p[0].strip()])
    # Under a page number or footer the model found (a slide's "1" in its corner), the
    # row above it is the candidate.
    under_furniture = False
    while rows and _is_furniture_row(rows[-1], regions):
        rows.pop()
        under_furniture = True
    if len(rows) < 3:
        return list(regions)
    last, above = rows[-1], rows[-2]
    # There, a footnote ("1 See the appendix.") is the last line of the page's text.
    if under_furniture and _FOOTNOTE.match(last[0][0]):
        return list(regions)
    x1, top, x2, bottom = hull(last)
    line = bottom - top
    gap = top - max(p[1][3] for p in above)
    words = sum(len(p[0].split()) for p in last)
    # Or set as footers are, right under the text: short items at the left, the middle and
    # the right of the line under a line of prose ("Revision 2.4   P/N 119-036   10 June").
    span = max(p[1][2] for p in above) - min(p[1][0] for p in above)
    spread = (len(last) >= 2 and len(above) == 1
              and all(len(p[0].split()) <= _FOOT_ITEM_WORDS for p in last)
              and x2 - x1 >= _FOOT_SPREAD * span)
    text = " ".join(p[0].strip() for p in sorted(last, key=lambda p: p[1][0]))
    running = (gap >= _RUNNING_FOOT_GAP * line and _RUNNING_FOOT.fullmatch(text) is not None
               and _title_cased(text))
    if top < (1 - _FOOT_MARGIN) * height or words > _FOOT_WORDS or (
            gap < _FOOT_GAP * line and not spread and not running):
        return list(regions)
    # A displayed equation keeps its distance from the text too ("X² + Y² = Z" ending a
    # page); a footer states no relation.
    if _RELATION.search(" ".join(p[0] for p in last)):
        return list(regions)
    # The gap must be blank: a picture or a table in it makes the line its caption or note.
    foot = (0, top - gap / 2, evidence.width, height)
    if any(r.label not in _HEAD_PARTS and r.bbox[3] > top - gap + line and r.bbox[1] < top
           and not (r.label in _FOOT_LINE_LABELS and centre_in(r.bbox, foot)) for r in regions):
        return list(regions)
    out: list[Region] = []
    for r in regions:
        if r.label in _HEAD_PARTS and r.bbox[1] < top - gap / 2 and r.bbox[3] > top:
            # The box ran down over the footer: it ends above it.
            r = dataclasses.replace(r, bbox=(r.bbox[0], r.bbox[1], r.bbox[2], top - gap / 2))
        elif r.label in _FOOT_LINE_LABELS and centre_in(r.bbox, foot):
            continue  # a box of the footer line alone: the footer region replaces it
        out.append(r)
    out.append(Region("footer", (x1, top, x2, bottom), 0.5, LABELS.index("footer"), None))
    return out


#: A footnote block is at most this many words ("Corresponding author: name@example.org").
_NOTE_WORDS = 20
#: ... set at most this many of its line heights under its separator rule, the rule standing
#: at least ``_NOTE_SEPARATED`` line heights clear of the text above it.
_NOTE_UNDER_RULE = 1.5
_NOTE_SEPARATED = 2.0


def footnotes_under_rules(regions: Sequence[Region], evidence: LayoutEvidence) -> list[Region]:
    """The page's last block, short, unnumbered and set right under a rule that stands apart
    from the text above it, is a footnote (a corresponding author's address under the
    separator at the foot of an article's first page, an invoice's contact line). The small
    model has no footnote class and calls it text; upstream's layout models call it a
    footnote (or footer), which Markdown leaves out; the JSON keeps it."""
    layer = evidence.text_layer
    if layer is None or not layer.rules or not evidence.furniture:
        return list(regions)
    body = [i for i, r in enumerate(regions) if r.label not in FURNITURE_LABELS]
    if not body:
        return list(regions)
    last = max(body, key=lambda i: regions[i].bbox[3])
    note = regions[last]
    x1, y1, _, y2 = note.bbox
    words = _words_in(evidence, note.bbox)
    if note.label not in _HEAD_PARTS or not words or y1 < 0.5 * evidence.height:
        return list(regions)
    unit = _line_height([b for _, b in words])
    if sum(len(t.split()) for t, _ in words) > _NOTE_WORDS or y2 - y1 > 2.5 * unit:
        return list(regions)
    # A numbered footnote ("1 Diese Metrik ...") is text the reader follows from its mark in
    # the body, and references (docling's among them) keep it: only an unnumbered note is
    # set aside.
    first = min(words, key=lambda w: (w[1][1], w[1][0]))[0]
    if _FOOTNOTE.match(first):
        return list(regions)
    if any(r.bbox[3] > y1 and r.bbox[1] < y2 for i, r in enumerate(regions)
           if i != last and r.label not in FURNITURE_LABELS):
        return list(regions)  # a block beside it: a row of the page, not its foot
    rules = [r for r in layer.rules
             if r[3] <= y1 and y1 - r[3] <= _NOTE_UNDER_RULE * unit and r[0] <= x1 + unit
             and r[2] - r[0] >= 3 * unit]
    if not rules:
        return list(regions)
    rule = max(rules, key=lambda r: r[3])
    above = [b for _, b in _words_in(evidence, (0, 0, evidence.width, rule[1]))]
    if above and rule[1] - max(b[3] for b in above) < _NOTE_SEPARATED * unit:
        return list(regions)  # a table's or a box's rule, with its text right above
    out = list(regions)
    out[last] = dataclasses.replace(note, label="footnote", cls_id=LABELS.index("footnote"))
    return out


def _title_cased(text: str) -> bool:
    """Whether most of the words of four letters or more start with a capital, as a running
    title's do ("Chapter 9 Use Factors and Multiples"), and a sentence's do not."""
    words = [w for w in text.split() if len(w) >= 4 and w[0].isalpha()]
    return bool(words) and 2 * sum(w[0].isupper() for w in words) > len(words)


def _is_furniture_row(row: Sequence[Piece], regions: Sequence[Region]) -> bool:
    """Whether the model or the rules above already made the row furniture."""
    from docparse.textlayer.tables import hull

    _, top, _, bottom = hull(row)
    return any(r.label in ("footer", "number", "header") and r.bbox[1] < bottom and r.bbox[3] > top
               for r in regions)


#: Labels a ruled grid takes into its table: the text the model boxed inside it (not page
#: furniture, which the grid's rules cannot be about).
_RULED_MEMBERS = frozenset({"text", "reference_content", "paragraph_title", "doc_title", "abstract",
                            "content", "footnote", "vertical_text", "figure_title", "table"})
#: A picture or chart covering this share of a grid is what the rules belong to (its axes,
#: gridlines or frame).
_RULED_PICTURE = 0.5


def ruled_tables(regions: Sequence[Region], evidence: LayoutEvidence) -> list[Region]:
    """A lattice of rules drawn on a page, with text in its cells, is a table
    (:mod:`docparse.textlayer.lattice`): the text regions the model boxed inside it become
    that one table. Word processors draw every table's borders; the small model reads ruled
    tables of ODT and DOCX exports, nested ones above all, as paragraphs side by side, and
    a scanned form's grid as lines of text. The rules come from the text layer's drawing,
    or on pages read by OCR from the page's pixels (:class:`~docparse.layout.DrawnRules`)."""
    layer = evidence.text_layer
    if layer is not None:
        horizontal, vertical, scale = layer.rules, layer.vertical_rules, layer.scale
    elif evidence.drawn_rules is not None:  # a scan's or photo's rules, from its pixels
        drawn = evidence.drawn_rules
        horizontal, vertical, scale = drawn.horizontal, drawn.vertical, drawn.scale
    else:
        return list(regions)
    if not horizontal or not vertical:
        return list(regions)
    from docparse.textlayer.lattice import ruled_grids
    from docparse.textlayer.tables import rows_of

    out = list(regions)
    table_id = LABELS.index("table")
    for grid in ruled_grids(horizontal, vertical, scale=scale):
        if len(rows_of(_words_in(evidence, grid))) < 2:
            continue  # no text in its cells: a frame, a chart's plot area
        size = max(1.0, area(grid))
        pictures = [i for i, r in enumerate(out)
                    if r.label in ("image", "chart") and intersection(r.bbox, grid) >= _RULED_PICTURE * size]
        if pictures:
            i = pictures[0]
            if _picture_is_the_table(out[i], grid, evidence):
                p = out[i].bbox
                out[i] = Region("table", (min(p[0], grid[0]), min(p[1], grid[1]), max(p[2], grid[2]),
                                          max(p[3], grid[3])), out[i].score, table_id, None)
            continue
        holders = [i for i, r in enumerate(out)
                   if r.label == "table" and intersection(r.bbox, grid) >= 0.9 * size]
        if holders:  # a table already; the lines of text set above or below it are not
            out[holders[0]:holders[0] + 1] = _table_cut_to_grid(out[holders[0]], grid, evidence)
            continue
        if (cut := _cut_around_grid(out, grid, evidence)) is not None:
            out = cut
            continue
        members = [i for i, r in enumerate(out) if r.label in _RULED_MEMBERS and centre_in(r.bbox, grid)]
        if not members:
            if any(intersection(r.bbox, grid) > 0 for r in out if r.label in _RULED_MEMBERS):
                continue  # text reaching into the grid from a box of its own: unclear
            # A grid no box touches (the model saw nothing there): its own table, in place.
            out.insert(insert_position([r.bbox for r in out], grid),
                       Region("table", grid, 0.5, table_id, None))
            continue
        table = Region("table", grid, max(out[i].score for i in members), table_id, None)
        out = [table if i == members[0] else r for i, r in enumerate(out)
               if i == members[0] or i not in members]
    return out


def _table_cut_to_grid(table: Region, grid: tuple[float, float, float, float],
                       evidence: LayoutEvidence) -> list[Region]:
    """A table box holding a ruled grid and, above or below it, lines of one piece each
    (a heading and a sentence before a word processor's table, a sentence after it: the
    text a text box called a table by its grid also held) cut in three: those lines are
    text. Rows of several cells outside the rules (a header row over a ruled body) keep the
    box whole."""
    from docparse.textlayer.tables import rows_of

    words = _words_in(evidence, table.bbox)
    above = rows_of([w for w in words if (w[1][1] + w[1][3]) / 2 < grid[1]])
    below = rows_of([w for w in words if (w[1][1] + w[1][3]) / 2 > grid[3]])
    if any(len(row) > 1 for row in above + below) or not (above or below):
        return [table]
    inside = [w for w in words if grid[1] <= (w[1][1] + w[1][3]) / 2 <= grid[3]]
    # The table keeps its box (widened to the grid's sides) but for the lines cut off.
    box = (min(table.bbox[0], grid[0]), table.bbox[1], max(table.bbox[2], grid[2]), table.bbox[3])
    return _grid_with_prose([w for row in above for w in row], inside,
                            [w for row in below for w in row], table.score, box)


#: A picture is the table its ruled grid draws when the grid covers this share of it and
#: holds this share of its words, in this many rows at least.
_TABLE_PICTURE_AREA = 0.6
_TABLE_PICTURE_WORDS = 0.6
_TABLE_PICTURE_ROWS = 3


def _picture_is_the_table(picture: Region, grid: tuple[float, float, float, float],
                          evidence: LayoutEvidence) -> bool:
    """A "picture" (not a chart) that is mostly a ruled grid with the picture's words in its
    cells, in a table's rows: a Word table of filled cells the model took for an image. A
    chart's gridlines hold no rows of words (its labels stand outside the plot area)."""
    from docparse.textlayer.tables import looks_like_table, rows_of

    if picture.label != "image" or area(grid) < _TABLE_PICTURE_AREA * area(picture.bbox):
        return False
    words = _words_in(evidence, picture.bbox)
    inside = [w for w in words if centre_in(w[1], grid)]
    # ... and those words form a table's rows: the rules framing a cover's columns of prose
    # (a back cover's sidebar, blurb and banner) make a lattice too.
    # A diagram's letters ("X", "U", "2") stand between its arrows like cells: a table's
    # cells hold words and amounts.
    worded = sum(1 for w in inside if sum(ch.isalnum() for ch in w[0]) >= 2)
    return (len(rows_of(inside)) >= _TABLE_PICTURE_ROWS
            and len(inside) >= _TABLE_PICTURE_WORDS * max(1, len(words))
            and worded >= 0.5 * len(inside)
            and looks_like_table(inside))


#: Boxes a ruled grid may sit inside of, with text of their own above or below it.
_RULED_HOSTS = _RULED_MEMBERS - {"table"} | {"display_formula"}


def _cut_around_grid(regions: Sequence[Region], grid: tuple[float, float, float, float],
                     evidence: LayoutEvidence) -> list[Region] | None:
    """The regions with the smallest box that holds the ruled ``grid`` and text above or
    below it cut in three: its text above the grid, the table, its text below (the small
    model boxes a question with its table and answers as one paragraph or "formula"). Boxes
    centred in the grid go into the table. None when no box holds the grid so."""
    size = max(1.0, area(grid))
    hosts = [i for i, r in enumerate(regions) if r.label in _RULED_HOSTS
             and intersection(r.bbox, grid) >= 0.9 * size and area(r.bbox) >= 1.2 * size]
    if not hosts:
        return None
    index = min(hosts, key=lambda i: area(regions[i].bbox))
    host = regions[index]
    words = _words_in(evidence, host.bbox)
    above = [b for _, b in words if (b[1] + b[3]) / 2 < grid[1]]
    below = [b for _, b in words if (b[1] + b[3]) / 2 > grid[3]]
    if not above and not below:
        return None
    x1, _, x2, _ = host.bbox
    parts: list[Region] = []
    if above:
        top = max(host.bbox[1], min(b[1] for b in above))
        parts.append(Region(host.label, (x1, top, x2, min(grid[1], max(b[3] for b in above))),
                            host.score, host.cls_id, None))
    parts.append(Region("table", grid, host.score, LABELS.index("table"), None))
    if below:
        bottom = min(host.bbox[3], max(b[3] for b in below))
        parts.append(Region(host.label, (x1, max(grid[3], min(b[1] for b in below)), x2, bottom),
                            host.score, host.cls_id, None))
    out: list[Region] = []
    for i, r in enumerate(regions):
        if i == index:
            out.extend(parts)
        elif not (r.label in _RULED_MEMBERS and centre_in(r.bbox, grid)):
            out.append(r)
    return out


def _same_row(box: Sequence[float], head: Sequence[float]) -> bool:
    """One line beside ``head``: about its height, and overlapping most of it vertically."""
    h, hh = box[3] - box[1], head[3] - head[1]
    overlap = min(box[3], head[3]) - max(box[1], head[1])
    return 0 < h <= 2.5 * max(hh, 1.0) and overlap >= 0.5 * min(h, hh)


def tables_outside_boxes(regions: Sequence[Region], evidence: LayoutEvidence) -> list[Region]:
    """Add a ``table`` region where text-layer words that no box covers form a grid.

    The small model misses whole tables (a slide's coloured table with bulleted cells); their
    words would otherwise come out as scattered one-cell paragraphs."""
    if not _has_words(evidence):
        return list(regions)
    from docparse.textlayer.tables import bands_of, hull, looks_like_table

    def covered(box: tuple[float, float, float, float]) -> bool:
        return any(centre_in(box, r.bbox) for r in regions)

    loose = [p for p in _words_in(evidence, (0, 0, evidence.width, evidence.height))
             if not covered(p[1])]
    if len(loose) < 6:
        return list(regions)
    out = list(regions)
    for band in bands_of(loose):
        if looks_like_table(band):
            # Where it stands in the reading order, not after everything else on the page.
            box = hull(band)
            out.insert(insert_position([r.bbox for r in out], box),
                       Region("table", box, 0.5, LABELS.index("table"), None))
    return out


def read_big_pictures(regions: Sequence[Region], evidence: LayoutEvidence) -> list[Region]:
    """On pages without a text layer, also read what the built-in model calls a big picture
    (on born-digital pages only a picture that is nearly the whole page: a cover, a poster).

    On scans and photos the small model often calls a whole table or half a page a picture;
    a picture that big is read too (as the official ``use_ocr_for_image_block`` does): a
    ``text`` region with the same box follows it, and is dropped again if nothing is read."""
    from docparse.labels import TEXT_LIKE_LABELS

    page_area = float(evidence.width * evidence.height) or 1.0
    out: list[Region] = []
    for r in regions:
        out.append(r)
        x1, y1, x2, y2 = r.bbox
        if evidence.page_has_text:
            # A born-digital page that is one picture (a cover, a poster) with no text box
            # in it: its words are in the picture, the few the PDF has as text among them.
            if (r.label != "image" or (x2 - x1) * (y2 - y1) < _COVER_PICTURE * page_area
                    or any(o.label in TEXT_LIKE_LABELS and centre_in(o.bbox, r.bbox)
                           for o in regions)):
                continue
            out.append(Region("text", r.bbox, r.score, LABELS.index("text"), None,
                              tentative=True))
            continue
        if r.label == "image" and (x2 - x1) * (y2 - y1) >= _BIG_PICTURE * page_area:
            if not _read_already(r, regions, evidence):
                out.append(Region("text", r.bbox, r.score, LABELS.index("text"), None,
                                  tentative=True))
    return out


def _read_already(picture: Region, regions: Sequence[Region], evidence: LayoutEvidence) -> bool:
    """With the page's OCR lines (or the lines pre-processing found) as evidence, a picture
    whose every line lies in a text region or table inside it was read already (tables_from_text,
    prose_out_of_pictures, the model's own boxes): read again, its text would repeat. Without
    them, a text box the model found inside it says nothing of the rest."""
    from docparse.labels import TEXT_LIKE_LABELS

    if evidence.ocr_lines is not None:
        lines = [box for _, box in _words_in(evidence, picture.bbox)]
    elif evidence.line_boxes is not None:
        lines = [box for box in evidence.line_boxes if centre_in(box, picture.bbox)]
    else:
        return False
    inside = [o.bbox for o in regions if o is not picture
              and (o.label in TEXT_LIKE_LABELS or o.label == "table")
              and centre_in(o.bbox, picture.bbox)]
    return bool(lines) and all(any(centre_in(line, box) for box in inside) for line in lines)


def tables_from_text(regions: Sequence[Region], evidence: LayoutEvidence) -> list[Region]:
    """Relabel as ``table`` the built-in model's text or picture boxes whose PDF characters
    form a grid (see :mod:`docparse.textlayer.tables`). Pictures need more evidence: chart
    tick labels also line up."""
    if not _has_words(evidence):
        return _prose_tables_by_lines(regions, evidence)
    from docparse.textlayer.tables import (
        bands_of,
        clearly_not_table,
        grid_inside,
        hull,
        looks_like_table,
    )

    table_id = LABELS.index("table")
    out: list[Region] = []
    reorder = False
    for r in regions:
        if r.label == "table":
            # Lessons of the built-in model: its "tables" sometimes swallow prose or lists.
            pieces = _words_in(evidence, r.bbox)
            if clearly_not_table(pieces) or _gapless_lines(evidence, r.bbox):
                r = Region("text", r.bbox, r.score, LABELS.index("text"), None)
            elif (parts := prose_columns_split(r, pieces, _loose_gutter(evidence))) is not None:
                out.extend(parts)
                reorder = True
                continue
            for part in _prose_edges_split(r, pieces):
                # A caption or note line set flush against the grid (no blank line between)
                # is no band of its own: cut off here.
                out.extend(_table_regions(part, _words_in(evidence, part.bbox))
                           if part.label == "table" else [part])
            continue
        if r.label not in _TABLE_SUSPECTS:
            out.append(r)
            continue
        pieces = _words_in(evidence, r.bbox)
        if r.label != "image" and looks_like_table(pieces) and not _gapless_lines(evidence, r.bbox):
            out.extend(_table_regions(r, pieces))
            continue
        # A region mixing prose and a table (or a picture that is really born-digital text):
        # split it at blank bands and keep the table bands as tables.
        if len(pieces) < (_MIN_PICTURE_PIECES if r.label == "image" else 6) and not (
                r.label == "image" and evidence.text_layer is None
                and _filled_with_lines(pieces, r.bbox)):
            out.append(r)
            continue
        bands = bands_of(pieces)
        kinds = [looks_like_table(b) and not _gapless_lines(evidence, hull(b)) for b in bands]
        if r.label == "image":
            # Keep the picture, and read its born-digital text too (as the official
            # `use_ocr_for_image_block` does for pictures): the small model calls whole
            # brochure pages and ruled invoice tables pictures.
            out.append(r)
            if not any(kinds):
                # Text in columns (side-by-side cards, a two-column brochure, a newspaper
                # page): bands across the whole box would read the columns line by line, so
                # the words are cut at their gutters and blank bands (an XY-cut) and the
                # page's reading order takes the blocks column-wise.
                bands = _cut_blocks(pieces, _loose_gutter(evidence))
                kinds = [_is_grid(b) and not _gapless_lines(evidence, hull(b)) for b in bands]
        elif not any(kinds):
            out.append(r)
            continue
        for band, is_table in zip(bands, kinds, strict=True):
            box = hull(band)
            if is_table:
                out.extend(_table_regions(Region("table", box, r.score, table_id, None), band))
            elif (r.label == "image" and evidence.text_layer is None
                  and (inner := grid_inside(band)) is not None
                  and not _gapless_lines(evidence, hull(inner[1]))):
                # A picture read as text (a photographed page of notes the model boxed
                # whole) with a small table between its lines. In a box the model called
                # text, rows of spaced words (a pinyin drill, a text line cut by inline
                # math) look as much like a grid: the model's label stands. A born-digital
                # picture's words are the text layer's: a form or an invoice the model
                # boxed whole keeps the rules above (an inner grid there cut its label
                # and value columns into tables).
                out.extend(_grid_with_prose(*inner, r.score))
            else:
                out.append(Region("text", box, r.score, LABELS.index("text"), None))
    if reorder:
        # The parts of a page-sized "table" are the page's own columns and articles: the
        # order the model's boxes had no longer holds, so the page is ordered again.
        from docparse.layout.reading_order import order_regions

        return order_regions(out, evidence.width, evidence.height)
    return out


#: A picture on a page read by OCR is read whatever its number of lines when it holds at
#: least this many rows of them, covering :data:`_TEXT_PICTURE_COVERAGE` of it.
_FILLED_ROWS = 8
#: ... with this many pieces a row at most, on average.
_FILLED_PIECES_PER_ROW = 2.5


def _filled_with_lines(pieces: Sequence[Piece], box: tuple[float, float, float, float]) -> bool:
    """Whether OCR lines fill a picture as a page's text fills it: many rows, whose extents
    cover much of the box (a receipt's items and totals, a form's rows, which the small model
    boxes as one picture). A chart's or a diagram's labels cover far less of it, a photo's
    few words less still."""
    from docparse.textlayer.tables import hull, rows_of

    rows = rows_of(pieces)
    # Lines of text: a row is one line or a label and its value, not a diagram's row of
    # labels spread across it.
    if len(rows) < _FILLED_ROWS or len(pieces) > _FILLED_PIECES_PER_ROW * len(rows):
        return False
    return sum(area(hull(row)) for row in rows) >= _TEXT_PICTURE_COVERAGE * area(box)


def _table_regions(region: Region, pieces: Sequence[Piece]) -> list[Region]:
    """``region`` as a table, and the paragraphs set right above and below its grid with no
    blank line between (a survey question over its checkbox matrix) as text regions."""
    from docparse.textlayer.tables import has_gutter, prose_margins

    head, grid, tail = prose_margins(pieces)
    if not has_gutter(grid):
        # No upright line between its cells: one column of lines (a receipt the model boxed
        # whole), which reads as text.
        return [Region("text", region.bbox, region.score, LABELS.index("text"), None)]
    if not head and not tail:
        return [Region("table", region.bbox, region.score, LABELS.index("table"), None)]
    return _grid_with_prose(head, grid, tail, region.score, region.bbox)


def _grid_with_prose(head: Sequence[Piece], grid: Sequence[Piece], tail: Sequence[Piece],
                     score: float, box: Sequence[float] | None = None) -> list[Region]:
    """A text region over the ``head`` pieces (if any), a table over the ``grid``, and a
    text region over the ``tail`` (if any), top to bottom.

    With the table's own ``box``, the table keeps all of it but the prose: the rules drawn
    around a grid (its frame, the rule under its last row) lie outside its words, and the
    table's rules are read from the box's image."""
    from docparse.textlayer.tables import hull

    text_id = LABELS.index("text")
    parts = [Region("text", hull(head), score, text_id, None)] if head else []
    x1, y1, x2, y2 = hull(grid)
    if box is not None:
        x1, x2 = min(x1, box[0]), max(x2, box[2])
        y1 = min(y1, max(box[1], hull(head)[3])) if head else min(y1, box[1])
        y2 = max(y2, min(box[3], hull(tail)[1])) if tail else max(y2, box[3])
    parts.append(Region("table", (x1, y1, x2, y2), score, LABELS.index("table"), None))
    if tail:
        parts.append(Region("text", hull(tail), score, text_id, None))
    return parts


#: A band of a picture's text is prose when its rows average this many words, mostly words
#: of letters (chart labels and legends are short).
_PROSE_BAND_WORDS = 5.0
_PROSE_BAND_ALPHA = 0.7


#: Glyphs further apart than this many font sizes stand in different cells.
_CELL_GAP = 1.0
#: Rows this long in glyphs, on average, are lines of text.
_LINE_GLYPHS = 25


#: A table box whose found lines are prose: this many rows at least, nearly all one run of
#: text, most of them nearly as wide as the widest, filling most of the box's height.
_PROSE_LINE_ROWS = 3
_PROSE_SINGLE_SHARE = 0.8
_PROSE_LINE_WIDTH = 0.6
_PROSE_LINE_COVER = 0.5


def _prose_tables_by_lines(regions: Sequence[Region], evidence: LayoutEvidence) -> list[Region]:
    """With only the found lines' positions (:attr:`LayoutEvidence.line_boxes`), a ``table``
    whose rows never split into cells is prose: text.

    The lines are found by closing the gaps between letters and words, not wider ones, so a
    row of cells falls into pieces and a line of prose stays one. A ruled table's text runs
    into its rules and is not found as lines at all: too few rows, the label stands."""
    if evidence.line_boxes is None or not any(r.label == "table" for r in regions):
        return list(regions)
    from docparse.textlayer.tables import rows_of

    out: list[Region] = []
    # Parts of a page-sized "table" cut into its prose columns: their boxes, and the boxes
    # they get once padded to the letters.
    widened: dict[tuple[float, float, float, float], tuple[float, float, float, float]] = {}
    for r in regions:
        if r.label == "table":
            lines: list[Piece] = [("", b) for b in evidence.line_boxes if centre_in(b, r.bbox)]
            # The found lines hold the letters' x-height band. Padded to the letters in
            # height, a paragraph's lines are as close as lines of text are; in width only
            # once the page is ordered: padded lines would close a narrow gutter.
            heights = sorted(b[3] - b[1] for _, b in lines) or [0.0]
            dx = _MISSED_PAD_X * heights[len(heights) // 2]
            dy = _MISSED_PAD_Y * heights[len(heights) // 2]
            padded = [(t, (b[0], max(r.bbox[1], b[1] - dy), b[2], min(r.bbox[3], b[3] + dy)))
                      for t, b in lines]
            if (parts := prose_columns_split(r, padded, _LOOSE_GUTTER_OCR)) is not None:
                # A page-sized "table" of prose columns, as with words (tables_from_text).
                for part in parts:
                    x1, y1, x2, y2 = part.bbox
                    widened[part.bbox] = (max(r.bbox[0], x1 - dx), y1, min(r.bbox[2], x2 + dx), y2)
                out.extend(parts)
                continue
            y1, y2 = r.bbox[1], r.bbox[3]
            rows = rows_of(lines)
            single = [row for row in rows if len(row) == 1]
            # Prose lines run the width of their column, all but a paragraph's last.
            widest = max((p[1][2] - p[1][0] for row in rows for p in row), default=0.0)
            wide = [row for row in single
                    if row[0][1][2] - row[0][1][0] >= _PROSE_LINE_WIDTH * widest]
            span = (max(p[1][3] for p in rows[-1]) - min(p[1][1] for p in rows[0])) if rows else 0.0
            if (len(rows) >= _PROSE_LINE_ROWS
                    and len(single) >= _PROSE_SINGLE_SHARE * len(rows)
                    and len(wide) >= 0.5 * len(single)
                    and span >= _PROSE_LINE_COVER * (y2 - y1)):
                r = Region("text", r.bbox, r.score, LABELS.index("text"), None)
        out.append(r)
    if widened:
        from docparse.layout.reading_order import order_regions

        return [dataclasses.replace(r, bbox=widened.get(r.bbox, r.bbox))
                for r in order_regions(out, evidence.width, evidence.height)]
    return out


#: A block of text is prose when most of its rows are one run of text this long on average
#: (characters: CJK prose has no word spaces), mostly letters, and most rows nearly as wide as
#: the block (a column's lines run its width, all but a paragraph's last).
_PROSE_ROW_CHARS = 12
_PROSE_LETTERS = 0.6
_PROSE_SINGLE = 0.8
_PROSE_WIDE = 0.75
#: A "table" is prose columns when its prose blocks hold this share of its characters.
_PROSE_COLUMNS_SHARE = 0.4


def _prose_block(pieces: Sequence[Piece]) -> bool:
    from docparse.textlayer.tables import rows_of

    rows = rows_of(pieces)
    if len(rows) < 2:
        return False
    chars = "".join(p[0] for p in pieces).replace(" ", "")
    # Found lines carry no text (the server path on scans): their shapes must do.
    if chars and sum(1 for c in chars if c.isalpha()) < _PROSE_LETTERS * len(chars):
        return False
    if _row_chars(pieces) < _PROSE_ROW_CHARS:
        return False
    if sum(1 for row in rows if len(row) == 1) < _PROSE_SINGLE * len(rows):
        return False
    x1 = min(p[1][0] for p in pieces)
    x2 = max(p[1][2] for p in pieces)
    wide = sum(1 for row in rows if row[-1][1][2] - row[0][1][0] >= _PROSE_WIDE * (x2 - x1))
    return wide >= 0.5 * len(rows)


#: Pieces that may cross a column gutter: this share of the rows (a detector joins the odd
#: line across a narrow gutter), and the fewest rows a column holds.
_GUTTER_CROSSING = 0.05
_COLUMN_ROWS = 3
#: A group of pieces this short on average per row is list markers or item numbers.
_MARKER_CHARS = 4
#: The narrowest gutter on OCR lines, in line heights: none. The detector does not split a
#: line at a word space, so any strip between its lines is a gutter. (Text-layer pieces break
#: at cell-wide gaps, so there a gutter is as wide as everywhere else: _GUTTER_TEXT_LAYER.)
_LOOSE_GUTTER_OCR = 0.0


def _loose_gutter(evidence: LayoutEvidence) -> float:
    return _GUTTER_TEXT_LAYER if evidence.text_layer is not None else _LOOSE_GUTTER_OCR


def _columns_loose(pieces: Sequence[Piece], gutter: float) -> list[list[Piece]]:
    """Pieces split at the vertical strips at least ``gutter`` line heights wide that (nearly)
    no piece crosses. On OCR lines any width will do: their boxes are padded, and a Federal
    Register or newspaper gutter between them is a pixel or two (and a detector does not
    split a line at a word space). A few pieces may cross (lines joined across it), and each
    side must hold rows of its own. Left to right; one group when there is no such strip."""
    from docparse.textlayer.tables import rows_of

    rows = rows_of(pieces)
    if len(rows) < 2 * _COLUMN_ROWS:
        return [list(pieces)]
    heights = sorted(p[1][3] - p[1][1] for p in pieces)
    min_gap = gutter * heights[len(heights) // 2]
    allowance = int(_GUTTER_CROSSING * len(rows))
    x_lo = min(p[1][0] for p in pieces)
    x_hi = max(p[1][2] for p in pieces)
    # Coverage as a step function: +1 where a piece starts, -1 past where it ends.
    events = sorted([(p[1][0], 1) for p in pieces] + [(p[1][2], -1) for p in pieces],
                    key=lambda e: (e[0], e[1]))
    cuts: list[float] = []
    depth = 0
    start: float | None = None
    for x, step in events:
        depth += step
        if depth <= allowance and start is None and x_lo < x < x_hi:
            start = x
        elif depth > allowance and start is not None:
            if x > start and x - start >= min_gap:
                cuts.append((start + x) / 2)
            start = None
    if not cuts:
        return [list(pieces)]
    groups: list[list[Piece]] = [[] for _ in range(len(cuts) + 1)]
    for piece in pieces:
        centre = (piece[1][0] + piece[1][2]) / 2
        groups[sum(1 for c in cuts if centre > c)].append(piece)
    # A ragged edge or a stray label is not a column, nor are list markers or item numbers
    # ("■", "23."): such groups join the next one (the text they mark), or the last.
    merged: list[list[Piece]] = []
    pending: list[Piece] = []
    for group in groups:
        if len(rows_of(group)) < _COLUMN_ROWS or _row_chars(group) < _MARKER_CHARS:
            pending.extend(group)
            continue
        merged.append(pending + list(group))
        pending = []
    if pending:
        if not merged:
            return [list(pieces)]
        merged[-1].extend(pending)
    return merged if len(merged) > 1 else [list(pieces)]


def _grids_joined(columns: list[list[Piece]]) -> list[list[Piece]]:
    """Neighbouring columns that form a table together (a sidebar's labels and values) are
    one part: their gutter is between cells, not between columns of text."""
    from docparse.textlayer.tables import bands_of

    def has_prose(column: list[Piece]) -> bool:
        return any(_prose_block(b) for b in bands_of(column))

    out = [columns[0]]
    for column in columns[1:]:
        if _is_grid(out[-1] + column) and not has_prose(out[-1]) and not has_prose(column):
            out[-1] = out[-1] + column
        else:
            out.append(column)
    return out


def _cut_blocks(pieces: list[Piece], gutter: float, top: bool = False) -> list[list[Piece]]:
    """Pieces cut recursively at the gutters and blank bands that run through them (an XY-cut
    of the words, columns first), in reading order. A part that looks like a table on its own
    is not cut further: its columns are cells."""
    from docparse.textlayer.tables import bands_of

    if not top and _is_grid(pieces):
        return [pieces]
    columns = _grids_joined(_columns_loose(pieces, gutter))
    if len(columns) > 1:
        if heads := _headline_over(columns, pieces):
            rest = [p for p in pieces if p not in heads]
            return [heads, *_cut_blocks(rest, gutter)]
        return [b for c in columns for b in _cut_blocks(c, gutter)]
    bands = bands_of(pieces)
    if len(bands) > 1:
        return [b for band in bands for b in _cut_blocks(band, gutter)]
    return [pieces]


#: A headline is set at least this many times the height of the block's median line.
_HEADLINE_HEIGHT = 1.6


def _headline_over(columns: Sequence[Sequence[Piece]], pieces: Sequence[Piece]) -> list[Piece]:
    """The rows of large type leading ``pieces`` (a newspaper article's headline) when they
    run over two or more of its ``columns``; [] otherwise. The columns' cut lets a few pieces
    cross a gutter (a detector joins the odd line across a narrow one) and files each with
    the column its centre falls in: a headline over the article's columns would be filed
    with the middle one, and the box of that column would then hold its neighbours' lines."""
    from docparse.textlayer.tables import rows_of

    heights = sorted(p[1][3] - p[1][1] for p in pieces)
    median = heights[len(heights) // 2]
    rows = rows_of(pieces)
    heads: list[Piece] = []
    for k, row in enumerate(rows[:-1]):
        if any(p[1][3] - p[1][1] < _HEADLINE_HEIGHT * median for p in row):
            break
        if max(p[1][3] for p in row) > min(p[1][1] for r in rows[k + 1:] for p in r):
            break  # not clear of what follows
        heads.extend(row)
    if not heads:
        return []
    x1, x2 = min(p[1][0] for p in heads), max(p[1][2] for p in heads)
    spanned = 0
    for column in columns:
        body = [p for p in column if p not in heads]
        if body and min(p[1][2] for p in body) > x1 and max(p[1][0] for p in body) < x2:
            spanned += 1
    return heads if spanned >= 2 else []


def prose_columns_split(table: Region, pieces: Sequence[Piece], gutter: float) -> list[Region] | None:
    """A "table" that is the page's columns of prose (the small model boxes a whole
    newspaper or Federal Register page, or a report's sidebar and body, as one table): its
    words cut at the gutters and blank bands that run through them, each part a text region,
    or a table where the part is a grid on its own. None when the box is a table after all.

    A table whose rows split into columns of long cells (a term and its explanation) is not
    cut: one of its columns then holds only short labels, or its cells start level with
    each other row after row, or its prose is one cell level with the grid's rows beside it."""
    from docparse.textlayer.tables import hull

    columns = _grids_joined(_columns_loose(pieces, gutter))
    if len(columns) < 2:
        return None
    parts = _cut_blocks(list(pieces), gutter, top=True)
    grids = [_is_grid(p) for p in parts]
    prose = [not g and _prose_block(p) for p, g in zip(parts, grids, strict=True)]
    size = sum(_piece_chars(p) for p in pieces)
    in_prose = sum(_piece_chars(q) for p, is_prose in zip(parts, prose, strict=True)
                   if is_prose for q in p)
    if not size or in_prose < _PROSE_COLUMNS_SHARE * size:
        return None
    for column in columns:
        column_parts = [i for i, p in enumerate(parts) if p[0] in column]
        # A column of labels beside explanations: short rows, no prose and no grid of its own.
        if not any(prose[i] or grids[i] for i in column_parts) and _row_chars(column) < _PROSE_ROW_CHARS:
            return None
    if _cells_level(columns, parts) or _cell_beside_grid(parts, prose, grids):
        return None
    table_id, text_id = LABELS.index("table"), LABELS.index("text")
    return [Region("table", hull(p), table.score, table_id, None) if g
            else Region("text", hull(p), table.score, text_id, None)
            for p, g in zip(parts, grids, strict=True)]


def _row_chars(pieces: Sequence[Piece]) -> float:
    from docparse.textlayer.tables import rows_of

    rows = rows_of(pieces)
    return sum(_piece_chars(p) for p in pieces) / len(rows) if rows else 0.0


def _piece_chars(piece: Piece) -> float:
    """Characters in a piece; for a found line without text (padded to the letters), its
    length in half its heights, about a character's width."""
    text, box = piece
    if text.strip():
        return float(len(text.replace(" ", "")))
    return (box[2] - box[0]) / max(1.0, 0.5 * (box[3] - box[1]))


def _is_grid(pieces: Sequence[Piece]) -> bool:
    """Does a part look like a table on its own: by its words (textlayer.tables), or for
    found lines without text, by rows split into several lines, row after row."""
    from docparse.textlayer.tables import MIN_SHARE, MIN_TABLE_ROWS, looks_like_table, rows_of

    if any(p[0].strip() for p in pieces):
        return looks_like_table(pieces)
    rows = rows_of(pieces)
    multi = [row for row in rows if len(row) > 1]
    return len(multi) >= MIN_TABLE_ROWS and len(multi) >= MIN_SHARE * len(rows)


def _cell_beside_grid(parts: Sequence[Sequence[Piece]], prose: Sequence[bool],
                      grids: Sequence[bool]) -> bool:
    """Is a block of prose level with a grid beside it, within the grid's rows? Then it is
    one of the table's cells (a note spanning the rows of a rating scale), not a column."""
    from docparse.textlayer.tables import hull

    for p, is_prose in zip(parts, prose, strict=True):
        if not is_prose:
            continue
        x1, y1, x2, y2 = hull(p)
        for g, is_grid in zip(parts, grids, strict=True):
            if not is_grid:
                continue
            gx1, gy1, gx2, gy2 = hull(g)
            beside = gx1 >= x2 or gx2 <= x1
            within = min(y2, gy2) - max(y1, gy1) >= 0.8 * (y2 - y1)
            if beside and within:
                return True
    return False


def _cells_level(columns: Sequence[Sequence[Piece]], parts: Sequence[Sequence[Piece]]) -> bool:
    """Do the blocks of one column start level with blocks of the next, block after block
    (a table's rows of long cells), rather than where the text happens to break?"""
    tops = []
    for column in columns:
        own = [p for p in parts if p[0] in column]
        tops.append([min(q[1][1] for q in p) for p in own])
    height = sorted(q[1][3] - q[1][1] for c in columns for q in c)
    unit = height[len(height) // 2]
    for a, b in itertools.pairwise(tops):
        if min(len(a), len(b)) < 3:
            continue
        level = sum(1 for t in a if any(abs(t - u) < 0.5 * unit for u in b))
        if level >= 0.8 * len(a):
            return True
    return False


def _gapless_lines(evidence: LayoutEvidence, box: Sequence[float]) -> bool:
    """Long lines of glyphs with no gap wider than a word space in any but a few of them:
    prose, however its pieces fell apart. Inline math and font changes cut a line of
    a LaTeX paragraph into spans and pieces, which then line up like cells; the glyphs
    themselves still run on, a cell gap nowhere. Born-digital pages only."""
    if evidence.text_layer is None:
        return False
    from docparse.textlayer.math import glyphs_in_box, rows_of

    rows = [r for r in rows_of(glyphs_in_box(evidence.text_layer, box)) if len(r) > 1]
    if len(rows) < 3 or sum(len(r) for r in rows) < _LINE_GLYPHS * len(rows):
        return False
    gapped = 0
    for row in rows:
        size = sorted(g.size for g in row)[len(row) // 2]
        if any(b.x0 - a.x1 > _CELL_GAP * size for a, b in itertools.pairwise(row)):
            gapped += 1
    return gapped <= 0.2 * len(rows)


def prose_out_of_pictures(regions: Sequence[Region], evidence: LayoutEvidence) -> list[Region]:
    """Cut prose off the top or bottom of a picture box: the small model's pictures swallow
    the paragraph or list under a figure, whose text would then be lost.

    The picture's text-layer words are banded at blank gaps; a run of prose bands at the
    box's bottom (or top) becomes text: a text-like region already there grows over it, or a
    new ``text`` region is added, and the picture shrinks to the rest."""
    if not _has_words(evidence):
        return list(regions)
    from docparse.labels import TEXT_LIKE_LABELS
    from docparse.textlayer.tables import bands_of, columns_of, hull

    out = list(regions)
    # New text regions by the index of their picture, and whether they read before it: the
    # list is the page's reading order, and prose cut off a picture is read where it stands
    # (under the figure: right after it), not after everything else on the page.
    added: dict[int, tuple[bool, Region]] = {}
    #: Text regions that took the prose cut off a picture's top: index -> the picture's index.
    moved_before: dict[int, int] = {}
    for i, r in enumerate(regions):
        if r.label != "image":
            continue
        pieces = _words_in(evidence, r.bbox)
        bands = bands_of(pieces) if len(pieces) >= 3 else []
        if not bands:
            continue
        prose = [_is_prose_band(b) for b in bands]
        x1, y1, x2, y2 = r.bbox
        cut: tuple[float, float, float, float] | None = None
        on_top = False
        if prose[-1]:
            k = len(prose) - 1
            while k > 0 and prose[k - 1]:
                k -= 1
            cut_pieces = [p for b in bands[k:] for p in b]
            text_box = hull(cut_pieces)
            picture = (x1, y1, x2, min(y2, text_box[1] - 1))
            cut = text_box
        elif prose[0]:
            k = 0
            while k + 1 < len(prose) and prose[k + 1]:
                k += 1
            cut_pieces = [p for b in bands[: k + 1] for p in b]
            text_box = hull(cut_pieces)
            picture = (x1, max(y1, text_box[3] + 1), x2, y2)
            cut = text_box
            on_top = True
        # What is left must still be a real picture, not a margin of the text.
        if cut is None or picture[3] - picture[1] < 0.25 * (y2 - y1):
            continue
        # Prose in side-by-side columns (cards) is read column by column (tables_from_text):
        # one cut across the columns would read them line by line.
        if len(columns_of(cut_pieces, gutter=_gutter(evidence))) > 1:
            continue
        out[i] = Region("image", picture, r.score, r.cls_id, None)
        # A text-like region inside the picture that overlaps the prose takes all of it.
        mates = [
            j for j, o in enumerate(out)
            if o.label in TEXT_LIKE_LABELS and intersection(o.bbox, cut) > 0.3 * area(cut)
        ]
        if mates:
            j = max(mates, key=lambda j: intersection(out[j].bbox, cut))
            o = out[j]
            out[j] = Region(o.label, union(o.bbox, cut), o.score, o.cls_id, None)
            if on_top and j > i:
                moved_before[j] = i  # read where it stands: before its picture
        else:
            added[i] = (on_top, Region("text", cut, r.score, LABELS.index("text"), None))
    if not added and not moved_before:
        return out
    before = {pic: j for j, pic in moved_before.items()}
    ordered: list[Region] = []
    for i, region in enumerate(out):
        if i in moved_before:
            continue  # placed before its picture
        if i in before:
            ordered.append(out[before[i]])
        if i not in added:
            ordered.append(region)
            continue
        on_top, text = added[i]
        ordered.extend([text, region] if on_top else [region, text])
    return ordered


#: A picture whose unread text-layer rows cover this share of it holds text, not a graphic
#: with labels (a chart's or a diagram's labels cover far less).
_TEXT_PICTURE_COVERAGE = 0.3
#: ... when this share of those words stand in columns of running lines: at least three rows,
#: one or two pieces a row (labels spread over a diagram make many), two words a row.
_TEXT_PICTURE_LINES = 0.7
#: Where the text's hull covers this share of the picture, the box is the text's: relabelled.
#: Otherwise the picture keeps its box and a text region over the text follows it.
_TEXT_PICTURE_FILLS = 0.7


def text_in_pictures(regions: Sequence[Region], evidence: LayoutEvidence) -> list[Region]:
    """On born-digital pages, read the running text the small model boxed as a picture.

    The model calls a table of contents, a slide's bulleted body or an invoice's footer of
    addresses a picture, and the picture's text (all in the PDF's text layer) was lost. A
    picture box whose text no region inside it reads fills it in rows of running lines (the
    words of a table of contents or a list, in one or more columns) is text: relabelled when
    the text is most of the box, or followed by a ``text`` region over the text when a graphic
    (a logo, a screenshot) takes the rest. Charts and diagrams keep their labels unread: few
    rows, or rows broken into many pieces. Where other blocks stand inside the picture (a
    stamp laid over paragraphs, two of them boxed as text), the text covers the rest of it,
    and is read where it stands among them."""
    if evidence.text_layer is None:
        return list(regions)
    from docparse.labels import TEXT_LIKE_LABELS
    from docparse.textlayer.tables import columns_of, hull, rows_of

    out: list[Region] = []
    # Text read out of a picture that other blocks stand in (a stamp over paragraphs): it
    # goes where it stands among them, not right after the picture.
    among: list[tuple[Region, Region]] = []
    for r in regions:
        if r.label != "image":
            out.append(r)
            continue
        readers = [o.bbox for o in regions if o is not r and centre_in(o.bbox, r.bbox)
                   and (o.label in TEXT_LIKE_LABELS or o.label == "table")]
        pieces = [p for p in _words_in(evidence, r.bbox)
                  if not any(centre_in(p[1], box) for box in readers)]
        words = sum(len(t.split()) for t, _ in pieces)
        if len(pieces) < 3 or not words:
            out.append(r)
            continue
        covered = sum(area(hull(row)) for row in rows_of(pieces))
        # Only the part of the picture no reader inside it holds has this text to cover (a
        # stamp laid over a page's paragraphs, boxed as one picture with two of them).
        own = max(area(r.bbox) - sum(intersection(box, r.bbox) for box in readers),
                  0.1 * area(r.bbox))
        if covered < _TEXT_PICTURE_COVERAGE * own:
            out.append(r)
            continue
        lines = 0
        columns = columns_of(pieces, gutter=_gutter(evidence))
        for column in columns:
            rows = rows_of(column)
            n = sum(len(t.split()) for t, _ in column)
            if len(rows) >= 3 and len(column) <= 2 * len(rows) and n >= 2 * len(rows):
                lines += n
        if lines < _TEXT_PICTURE_LINES * words:
            out.append(r)
            continue
        # One text region a column: read across, an address column would run into the next.
        texts = [Region("text", hull(column), r.score, LABELS.index("text"), None)
                 for column in columns]
        if area(hull(pieces)) >= _TEXT_PICTURE_FILLS * area(r.bbox):
            if len(texts) == 1:
                texts = [Region("text", r.bbox, r.score, LABELS.index("text"), None)]
            out += texts
        elif readers:
            out.append(r)
            among += [(r, t) for t in texts]
        else:
            out += [r, *texts]
    for picture, text in among:
        skip = [o is picture or o.label in FURNITURE_LABELS for o in out]
        out.insert(insert_position([o.bbox for o in out], text.bbox, skip), text)
    return out


def _is_prose_band(band: Sequence[tuple[str, tuple[float, float, float, float]]]) -> bool:
    from docparse.textlayer.tables import rows_of

    rows = rows_of(band)
    words = [w for _, box in band for w in _.split()]
    if len(rows) < 2 or not words:
        return False
    alpha = sum(1 for w in words if w.strip(".,;:()'\"").isalpha()) / len(words)
    return len(words) / len(rows) >= _PROSE_BAND_WORDS and alpha >= _PROSE_BAND_ALPHA


def _prose_edges_split(
    table: Region, pieces: Sequence[tuple[str, tuple[float, float, float, float]]]
) -> list[Region]:
    """A "table" box that also holds paragraphs above or below its grid (the small model's
    giant regions): the prose bands at its top and bottom become text regions, the grid in
    between stays a table. Only when that grid still looks like a table on its own."""
    if table.label != "table" or len(pieces) < 6:
        return [table]
    from docparse.textlayer.tables import bands_of, looks_like_table

    bands = bands_of(pieces)
    prose = [_is_prose_band(b) for b in bands]
    first, last = 0, len(bands)
    while first < last and prose[first]:
        first += 1
    while last > first and prose[last - 1]:
        last -= 1
    if (first == 0 and last == len(bands)) or first >= last:
        return [table]
    grid = [p for b in bands[first:last] for p in b]
    if not looks_like_table(grid):
        return [table]
    return _grid_with_prose([p for b in bands[:first] for p in b], grid,
                            [p for b in bands[last:] for p in b], table.score)


#: Glyphs in this top or bottom share of the page are furniture (as the built-in recogniser
#: leaves them out of the text it finds outside every box).
_MISSED_MARGIN = FURNITURE_BAND
#: A line thinner than this share of the page's typical line is a rule or a speck.
_MISSED_MIN_THICKNESS = 0.5
#: Padding around found lines, in line heights: their boxes hold the x-height band, the
#: letters reach above and below it.
_MISSED_PAD_Y = 0.4
_MISSED_PAD_X = 0.6


def text_the_model_missed(regions: Sequence[Region], evidence: LayoutEvidence) -> list[Region]:
    """On scans read by a recogniser of crops, box the text lines no region holds.

    The small model leaves whole paragraphs of a scan unboxed (a workbook's second column of
    answers, a section heading beside a title); a recogniser of crops never sees them. The
    lines page pre-processing found (:attr:`LayoutEvidence.line_boxes`) are grouped into
    paragraphs and rows, each group becomes a tentative ``text`` region (dropped if nothing is
    read in it: the lines of a photo's edges), placed in reading order before the first
    region below it.

    With the page's OCR lines (the built-in recogniser read the page first), the lines no
    region holds are boxed the same way, and the page is then ordered again: the model's
    regions were ordered without them, and a column whose top the model missed was read
    after the column beside it (a report's sidebar after the body's first paragraph)."""
    if evidence.ocr_lines is not None:
        return _ocr_text_the_model_missed(regions, evidence)
    if evidence.text_layer is not None:
        return _text_layer_the_model_missed(regions, evidence)
    if evidence.line_boxes is None:
        return list(regions)
    from docparse.geometry import in_furniture_band, inside_share

    boxes = evidence.line_boxes
    if not boxes:
        return list(regions)
    heights = sorted(b[3] - b[1] for b in boxes)
    unit = max(1.0, heights[len(heights) // 2])
    height, width = float(evidence.height), float(evidence.width)
    # Padded to the letters first: then the lines of a paragraph are as far apart as OCR
    # lines are, and group as they do.
    loose = [(max(0.0, b[0] - _MISSED_PAD_X * unit), max(0.0, b[1] - _MISSED_PAD_Y * unit),
              min(width, b[2] + _MISSED_PAD_X * unit), min(height, b[3] + _MISSED_PAD_Y * unit))
             for b in boxes
             if b[3] - b[1] >= _MISSED_MIN_THICKNESS * unit
             and not in_furniture_band(b, height, unit)
             and not any(inside_share(b, r.bbox) >= 0.5 for r in regions)]
    out = list(regions)
    for found in _missed_regions(loose, (1 + 2 * _MISSED_PAD_Y) * unit):
        out.insert(_body_position(out, found.bbox), found)
    return out


def _body_position(regions: Sequence[Region], box: tuple[float, float, float, float]) -> int:
    """Where a region of text the model missed goes among ``regions``: by the body's blocks,
    never by the page's furniture (:func:`docparse.geometry.insert_position`)."""
    return insert_position([r.bbox for r in regions], box, [r.label in FURNITURE_LABELS for r in regions])


def _missed_regions(lines: Sequence[tuple[float, float, float, float]], unit: float) -> list[Region]:
    """A tentative ``text`` region over each group of nearby ``lines`` (paragraphs and rows,
    :func:`docparse.geometry.nearby_groups`); recognition drops it if nothing is read in it."""
    from docparse.geometry import nearby_groups

    text_id = LABELS.index("text")
    return [Region("text", functools.reduce(union, (lines[i] for i in group)), 0.5, text_id,
                   None, tentative=True)
            for group in nearby_groups(lines, unit)]


#: OCR lines shorter than this (in characters) are fragments, not text the model missed.
_MISSED_MIN_CHARS = 4
#: An OCR line this many times taller than wide is set vertically (a side tab); the
#: recogniser leaves those out of the text it finds outside every box, and so does this.
_VERTICAL_LINE = 1.5


def _ocr_text_the_model_missed(regions: Sequence[Region], evidence: LayoutEvidence) -> list[Region]:
    from docparse.geometry import in_furniture_band, inside_share
    from docparse.layout.reading_order import order_regions

    every = [b for t, b in evidence.ocr_lines or () if t.strip()]
    # Fragments (a fraction's digits, an answer's letter, a logo's initial) stay with the
    # recogniser, which files them beside what they belong to: boxed and ordered on their
    # own they would scatter.
    lines = [b for t, b in evidence.ocr_lines or () if len(t.replace(" ", "")) >= _MISSED_MIN_CHARS]
    if not lines:
        return list(regions)
    heights = sorted(b[3] - b[1] for b in every)
    unit = max(1.0, heights[len(heights) // 2])
    loose = [b for b in lines
             if b[3] - b[1] <= _VERTICAL_LINE * (b[2] - b[0])
             and not in_furniture_band(b, evidence.height, unit)
             # OCR boxes are padded: a line whose centre a region holds is that region's.
             and not any(centre_in(b, r.bbox) or inside_share(b, r.bbox) >= 0.5
                         for r in regions)]
    if not loose:
        return list(regions)
    # ... but a fragment set in a missed line's row, a word space or so from it ("TAX" of a
    # receipt's "TAX INVOICE"), is that line's: filed apart, it came after it.
    loose += [b for t, b in evidence.ocr_lines or ()
              if t.strip() and len(t.replace(" ", "")) < _MISSED_MIN_CHARS
              and not any(centre_in(b, r.bbox) for r in regions)
              and any(_row_neighbour(b, line, unit) for line in loose)]
    out = [*regions, *_missed_regions(loose, unit)]
    # The text read out of a page-sized picture follows the picture; ordered as a block, the
    # picture would cut the page in two at its middle.
    return order_regions(out, evidence.width, evidence.height, backdrops=True)


def _row_neighbour(box: Sequence[float], line: Sequence[float], unit: float) -> bool:
    """Whether ``box`` is in ``line``'s row, at most a line height (``unit``) before or
    after it."""
    return same_row(box, line) and max(box[0] - line[2], line[0] - box[2]) <= unit


def _text_layer_the_model_missed(regions: Sequence[Region], evidence: LayoutEvidence) -> list[Region]:
    """The text-layer lines clear of every region, boxed as tentative text regions.

    They are placed where :mod:`docparse.textlayer.outside` would place them after ordering
    (before the first block below them), so what is read and where is as before; boxed, the
    rules that follow see them: a numbered card whose every line the model missed is then
    ordered with its numbered neighbours (:func:`numbered_items_in_order`). Ordering the page
    again with them was tried and taken back: it undid where the earlier rules had put what
    they cut out of tables, and invoices' totals and notes read worse."""
    from docparse.geometry import in_furniture_band, inside_share
    from docparse.layout.reading_order import number_regions

    layer = evidence.text_layer
    assert layer is not None
    visible = [(text, line.bbox, line.spans[0].direction) for line in layer.lines
               if (text := "".join(s.text for s in line.spans if s.render_mode != 3)).strip()]
    if not visible:
        return list(regions)
    heights = sorted(box[3] - box[1] for _, box, _ in visible)
    unit = max(1.0, heights[len(heights) // 2])
    lines = [box for text, box, (dx, dy) in visible
             if abs(dy) <= 0.2 * max(abs(dx), 1e-6)  # not rotated or vertical side text
             and len(text.replace(" ", "")) >= _MISSED_MIN_CHARS
             and not in_furniture_band(box, evidence.height, unit)
             and not any(centre_in(box, r.bbox) or inside_share(box, r.bbox) > 0.0 for r in regions)]
    if not lines:
        return list(regions)
    out = list(regions)
    others = [box for _, box, _ in visible]
    for found in _missed_regions(lines, unit):
        # A region is read from every line its box holds: a group whose hull reaches over a
        # region or over a line of another group (a caption's lines beside a column) is left
        # to be read line by line after ordering, as before.
        own = [b for b in lines if centre_in(b, found.bbox)]
        if (any(intersection(found.bbox, r.bbox) > 0 for r in out)
                or sum(1 for b in others if intersection(found.bbox, b) > 0) > len(own)):
            continue
        out.insert(_body_position(out, found.bbox), found)
    return number_regions(out)


#: A numbered item's head: "3. The Fundamental Theorem", "12) Compute", "4." alone.
_ITEM_NUMBER = re.compile(r"\s*(\d{1,2})[.)](?:\s|$)")
#: Fewest numbered items that make a sequence to follow.
_MIN_ITEMS = 3
#: Labels whose blocks can open a numbered item.
_ITEM_LABELS = frozenset({"text", "paragraph_title", "doc_title"})


def numbered_items_in_order(regions: Sequence[Region], evidence: LayoutEvidence) -> list[Region]:
    """Numbered cards laid out in a grid read in their numbers' order.

    Geometry cannot say whether a grid of cards (an infographic's equations, a worksheet's
    steps) reads row by row or column by column: the same design is numbered either way, and
    XY-cut reads it one way or the other depending on how the boxes happen to line up. The
    numbers can. When the blocks opening with "1.", "2.", ... (a run of at least three
    consecutive numbers, each once) stand in two or more columns and the page's order
    visits them out of sequence, each numbered block takes the blocks below it in its column
    (down to the next numbered one) as its card, and the cards are read in number order.
    Blocks above every card, and running heads, keep their place before them; the others,
    and footers, after them."""
    if not _has_words(evidence):
        return list(regions)
    heads = _numbered_heads(regions, evidence)
    numbers = sorted(heads.values())
    if (len(numbers) < _MIN_ITEMS or len(set(numbers)) != len(numbers)
            or numbers[-1] - numbers[0] != len(numbers) - 1
            or [heads[i] for i in sorted(heads)] == numbers):
        return list(regions)
    # Columns of heads: left edges within a head's height of each other.
    starts = sorted(regions[i].bbox[0] for i in heads)
    tolerance = min(regions[i].bbox[3] - regions[i].bbox[1] for i in heads)
    columns = [starts[0]]
    for x in starts[1:]:
        if x - columns[-1] > tolerance:
            columns.append(x)
    if len(columns) < 2:
        return list(regions)

    def column(x: float) -> int:
        return max((k for k, left in enumerate(columns) if x >= left - tolerance), default=-1)

    cards: dict[int, list[int]] = {n: [] for n in numbers}
    loose: list[int] = []
    for i, r in enumerate(regions):
        if i in heads:
            cards[heads[i]].append(i)
            continue
        if r.label in FURNITURE_LABELS:  # running heads lead and footers trail, as ordered
            loose.append(i)
            continue
        where = column((r.bbox[0] + r.bbox[2]) / 2)
        above = [(regions[h].bbox[1], n) for h, n in heads.items()
                 if column(regions[h].bbox[0]) == where and regions[h].bbox[1] <= r.bbox[1] + tolerance]
        if above:
            cards[max(above)[1]].append(i)
        else:
            loose.append(i)
    first = min(heads)
    order = [i for i in loose if i < first]
    order += [i for n in numbers for i in cards[n]]
    order += [i for i in loose if i > first]
    from docparse.layout.reading_order import number_regions

    return number_regions([regions[i] for i in order])


def _numbered_heads(regions: Sequence[Region], evidence: LayoutEvidence) -> dict[int, int]:
    """Index of each region opening with an item number -> that number. The number must be
    the first word of the region's first line: the piece is level with the region's top and
    starts at its left edge (within a line's height of both)."""
    candidates = [(t, b) for t, b in _words_in(evidence, (0, 0, evidence.width, evidence.height))
                  if t.lstrip()[:1].isdigit()]
    heads: dict[int, int] = {}
    for text, box in candidates:
        match = _ITEM_NUMBER.match(text)
        if match is None:
            continue
        height = box[3] - box[1]
        for i, r in enumerate(regions):
            if (r.label in _ITEM_LABELS and centre_in(box, r.bbox)
                    and box[1] - r.bbox[1] < height and box[0] - r.bbox[0] < height):
                heads[i] = int(match.group(1))
                break
    return heads


def equation_numbers_in_order(regions: Sequence[Region], evidence: LayoutEvidence) -> list[Region]:
    """Equation numbers read right after the block on their row.

    A paper sets its equation numbers ("(15)") flush right, a gutter away from the equations;
    the small model boxes them apart, often several numbers in one tall box, and XY-cut reads
    that thin right-hand strip as a column after the whole page (a scanned paper's "(15)" to
    "(24)" after its last paragraph). A text box holding nothing but equation numbers, one per
    row, is cut into one box per number, and each is read right after the block that stands
    left of it on its row (the formula, or the paragraph holding an equation the model did not
    box apart). Born-digital pages join most numbers into their formula first
    (:func:`formulas_from_text`); this places the rest. A box inside another box (a table's
    column of "(1)", "(2)") and a row of numbers side by side are left alone."""
    if not _has_words(evidence):
        return list(regions)
    numbers: dict[int, list[Piece]] = {}
    for i, r in enumerate(regions):
        if r.label != "text" or any(j != i and centre_in(r.bbox, o.bbox) for j, o in enumerate(regions)):
            continue
        pieces = sorted(_words_in(evidence, r.bbox), key=lambda p: p[1][1])
        if (pieces and all(_EQUATION_NUMBER.fullmatch(t.strip()) for t, _ in pieces)
                and all(b[1] >= a[3] - 0.5 * (a[3] - a[1]) for (_, a), (_, b) in itertools.pairwise(pieces))):
            numbers[i] = pieces
    if not numbers:
        return list(regions)
    after: dict[int, list[Region]] = {}
    placed: set[int] = set()
    for i, pieces in numbers.items():
        partners = [_row_partner(regions, numbers, box) for _, box in pieces]
        if any(p is None for p in partners):
            continue
        placed.add(i)
        r = regions[i]
        for (_, box), partner in zip(pieces, partners, strict=True):
            assert partner is not None
            part = r if len(pieces) == 1 else dataclasses.replace(
                r, bbox=(r.bbox[0], max(r.bbox[1], box[1]), r.bbox[2], min(r.bbox[3], box[3])))
            after.setdefault(partner, []).append(part)
    if not placed:
        return list(regions)
    ordered: list[Region] = []
    for i, r in enumerate(regions):
        if i in placed:
            continue
        ordered.append(r)
        ordered.extend(sorted(after.get(i, ()), key=lambda n: n.bbox[1]))
    from docparse.layout.reading_order import number_regions

    return number_regions(ordered)


def _row_partner(regions: Sequence[Region], numbers: dict[int, list[Piece]],
                 box: tuple[float, float, float, float]) -> int | None:
    """The block nearest left of an equation number on its row (at least half the number's
    height shared), or None."""
    height = box[3] - box[1]
    best: tuple[float, int] | None = None
    for j, o in enumerate(regions):
        if j in numbers or o.label in FURNITURE_LABELS or o.bbox[2] > box[0] + 0.5 * height:
            continue
        if min(o.bbox[3], box[3]) - max(o.bbox[1], box[1]) < 0.5 * height:
            continue
        if best is None or o.bbox[2] > best[0]:
            best = (o.bbox[2], j)
    return None if best is None else best[1]

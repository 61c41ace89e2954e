"""Refinements the built-in layout backend declares: its boxes checked against the page's own text.

The small CDLA PicoDet model calls born-digital tables "text" or even pictures, and some of its
"tables" are prose; on scans it calls whole tables or half a page a picture. These rules use the
PDF's characters (or, on pages without a text layer, nothing) to correct the labels. They belong
to this backend: PP-DocLayoutV2/V3 have their own post-processing and never run them.
"""

from __future__ import annotations

from collections.abc import Sequence

from docparse.labels import LABELS
from docparse.layout import LayoutEvidence, Region

#: Labels the built-in layout model gives born-digital tables it does not recognise.
_TABLE_SUSPECTS = frozenset({"text", "reference_content", "image"})
#: A picture is re-read as text only when it holds this many pieces of born-digital text.
_MIN_PICTURE_PIECES = 30
#: A picture covering this share of the page is read as well (see read_big_pictures).
_BIG_PICTURE = 0.4


def refine_builtin(regions: Sequence[Region], evidence: LayoutEvidence) -> list[Region]:
    """Tables found in the text layer, prose "tables" relabelled, big pictures on scans read."""
    return read_big_pictures(tables_from_text(regions, evidence), evidence)


def read_big_pictures(regions: Sequence[Region], evidence: LayoutEvidence) -> list[Region]:
    """On pages without a text layer, also read what the built-in model calls a big picture.

    On scans and photos the small model often calls a whole table or half a page a picture;
    a picture that big is read too (as the official ``use_ocr_for_image_block`` does): a
    ``text`` region with the same box follows it, and is dropped again if nothing is read."""
    if evidence.page_has_text:
        return list(regions)
    area = float(evidence.width * evidence.height) or 1.0
    out: list[Region] = []
    for r in regions:
        out.append(r)
        x1, y1, x2, y2 = r.bbox
        if r.label == "image" and (x2 - x1) * (y2 - y1) >= _BIG_PICTURE * area:
            out.append(Region("text", r.bbox, r.score, LABELS.index("text"), None))
    return out


def tables_from_text(regions: Sequence[Region], evidence: LayoutEvidence) -> list[Region]:
    """Relabel as ``table`` the built-in model's text or picture boxes whose PDF characters
    form a grid (see :mod:`docparse.textlayer.tables`). Pictures need more evidence: chart
    tick labels also line up."""
    text_layer = evidence.text_layer
    if text_layer is None:
        return list(regions)
    from docparse.textlayer.pieces import pieces_in_box
    from docparse.textlayer.tables import bands_of, clearly_not_table, hull, looks_like_table

    table_id = LABELS.index("table")
    out: list[Region] = []
    for r in regions:
        if r.label == "table":
            # Lessons of the built-in model: its "tables" sometimes swallow prose or lists.
            if clearly_not_table(pieces_in_box(text_layer, r.bbox)):
                r = Region("text", r.bbox, r.score, LABELS.index("text"), None)
            out.append(r)
            continue
        if r.label not in _TABLE_SUSPECTS:
            out.append(r)
            continue
        pieces = pieces_in_box(text_layer, r.bbox)
        if r.label != "image" and looks_like_table(pieces):
            out.append(Region("table", r.bbox, r.score, table_id, None))
            continue
        # A region mixing prose and a table (or a picture that is really born-digital text):
        # split it at blank bands and keep the table bands as tables.
        if len(pieces) < (_MIN_PICTURE_PIECES if r.label == "image" else 6):
            out.append(r)
            continue
        bands = bands_of(pieces)
        kinds = [looks_like_table(b) for b in bands]
        if r.label == "image":
            # Keep the picture, and read its born-digital text too (as the official
            # `use_ocr_for_image_block` does for pictures): the small model calls whole
            # brochure pages and ruled invoice tables pictures.
            out.append(r)
        elif not any(kinds):
            out.append(r)
            continue
        for band, is_table in zip(bands, kinds, strict=True):
            box = hull(band)
            if is_table:
                out.append(Region("table", box, r.score, table_id, None))
            else:
                out.append(Region("text", box, r.score, LABELS.index("text"), None))
    return out

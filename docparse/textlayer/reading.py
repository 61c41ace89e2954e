"""The one entry point from the page path into the PDF's own text: :func:`read_page`.

Given the page's text layer and the blocks the plan asks about, it returns everything the page
needs from that text in one record: the content of the text-like blocks the quality gate
trusts (a merged group only when every member passes, so each box keeps its own text), the
boxes grown to the whole lines their text came from, the trustworthy text outside every box,
and how many requests the official client would have sent for what the text layer gave.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from docparse.content import BlockContent, ExtraBlock
from docparse.geometry import Box, IntBox, area, intersection
from docparse.textlayer.model import TextLayerPage

TextLayerMode = Literal["auto", "prefer"]


@dataclass(frozen=True)
class TextLayerQuery:
    """What the text layer needs to know of one planned block."""

    block_id: int
    label: str
    bbox: IntBox
    #: Text-like and not sent as a table/formula/chart: its words may come from the text layer.
    wants_text: bool
    #: Every block of its merge group (just its own id when not merged).
    group: tuple[int, ...]
    #: Whether the official client would send a request for it.
    official_request: bool


@dataclass(frozen=True)
class TextLayerReading:
    #: block_id → content taken from the text layer.
    contents: Mapping[int, BlockContent] = field(default_factory=dict)
    #: block_id → the box grown to the whole lines its text came from (blocks in ``contents``).
    boxes: Mapping[int, IntBox] = field(default_factory=dict)
    #: Trustworthy text lying outside every (grown) box.
    outside: tuple[ExtraBlock, ...] = ()
    #: Requests the official client would send for the blocks the text layer answered.
    requests_saved: int = 0


def read_page(
    layer: TextLayerPage | None, queries: Sequence[TextLayerQuery], mode: TextLayerMode
) -> TextLayerReading:
    """Everything the page takes from its own text (empty when it has none)."""
    if layer is None:
        return TextLayerReading()
    from docparse.textlayer.gate import decide
    from docparse.textlayer.inline_math import INLINE_MATH_LABELS, with_inline_math
    from docparse.textlayer.outside import blocks_outside
    from docparse.textlayer.snap import snap_to_lines

    # Furniture counts as text-like here: its text costs nothing and helps find repeats.
    snapped = snap_to_lines(layer, [q.bbox for q in queries], [q.wants_text for q in queries])
    texts: dict[int, str] = {}
    grown: dict[int, IntBox] = {}
    owners = _owners(queries, snapped)
    for q, box in zip(queries, snapped, strict=True):
        if not q.wants_text:
            continue
        decision = decide(layer, box, q.label, mode, exclude=owners[q.block_id])
        if decision.text is not None:
            # Inline math as LaTeX, as a recognition server writes it in a paragraph.
            texts[q.block_id] = (with_inline_math(layer, box, decision.text, owners[q.block_id])
                                 if q.label in INLINE_MATH_LABELS else decision.text)
            grown[q.block_id] = (int(box[0]), int(box[1]), int(box[2] + 0.999), int(box[3] + 0.999))
    taken = [q for q in queries if all(m in texts for m in q.group)]
    contents = {q.block_id: BlockContent(texts[q.block_id], "text-layer") for q in taken}
    boxes = {q.block_id: grown[q.block_id] for q in taken}
    final_boxes = [boxes.get(q.block_id, q.bbox) for q in queries]
    return TextLayerReading(
        contents=contents,
        boxes=boxes,
        outside=tuple(blocks_outside(layer, final_boxes, mode=mode)),
        requests_saved=sum(1 for q in taken if q.official_request),
    )


def _owners(queries: Sequence[TextLayerQuery], boxes: Sequence[Box]) -> dict[int, list[Box]]:
    """block_id → the boxes of other text blocks that own the characters where they overlap it.

    Layout boxes overlap (the small model boxes a nested table's cell and the table around it,
    two paragraphs over one line); each character is read once, by the smaller box holding
    it (as OCR lines go to the smallest box), the earlier block on a tie: read by both, the
    overlap's text would come out twice."""
    wanting = [(q, b) for q, b in zip(queries, boxes, strict=True) if q.wants_text]
    out: dict[int, list[Box]] = {q.block_id: [] for q, _ in wanting}

    for q, b in wanting:
        for other, ob in wanting:
            if other.block_id != q.block_id and intersection(b, ob) > 0 and (
                    (area(ob), other.block_id) < (area(b), q.block_id)):
                out[q.block_id].append(ob)
    return out

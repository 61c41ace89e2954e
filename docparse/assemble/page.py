"""Assemble one page's blocks from the plan and the recognition results (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from docparse.blocks import PlannedBlock
from docparse.content import BlockContent, ExtraBlock
from docparse.document import (
    Block,
    BlockError,
    ErrorItem,
    LayoutBox,
    LayoutDetResult,
    Page,
)
from docparse.geometry import insert_position, same_row
from docparse.labels import FURNITURE_LABELS, SKIP_ORDER_LABELS
from docparse.layout import Region


def layout_det_result(regions: Sequence[Region]) -> LayoutDetResult:
    """The raw detector output as the official ``layout_det_res`` (before clean-up)."""
    return LayoutDetResult(
        boxes=tuple(
            LayoutBox(
                cls_id=r.cls_id,
                label=r.label,
                score=round(float(r.score), 6),
                coordinate=(int(r.bbox[0]), int(r.bbox[1]), int(r.bbox[2]), int(r.bbox[3])),
                order=r.order,
                polygon_points=r.polygon,
            )
            for r in regions
        )
    )


def _extra_position(
    rows: Sequence[tuple[tuple[int, int, int, int], tuple[PlannedBlock | None, ExtraBlock | None]]],
    bbox: tuple[int, int, int, int],
) -> int:
    """Where a block found outside every box goes among ``rows``: placed among the body's
    blocks, never by the page's furniture (:func:`docparse.geometry.insert_position`)."""
    position = insert_position([b for b, _ in rows], bbox,
                               [p is not None and p.label in FURNITURE_LABELS for _, (p, _e) in rows])
    # Found blocks of one row (a question's answer choices) go left to right, whichever
    # was placed first at the same spot.
    def found_beside(i: int, left: bool) -> bool:
        box, (planned, _) = rows[i]
        return planned is None and same_row(box, bbox) and (box[0] < bbox[0]) == left

    while position > 0 and found_beside(position - 1, left=False):
        position -= 1
    while position < len(rows) and found_beside(position, left=True):
        position += 1
    return position


def _member_contents(
    planned: Sequence[PlannedBlock], contents: Mapping[int, BlockContent]
) -> dict[int, BlockContent]:
    out = {}
    for member in planned:
        if member.is_member and member.block_id not in contents:
            leader = contents.get(member.group_id)
            out[member.block_id] = BlockContent("", leader.source if leader else "none", "merged")
    return out


def assemble_page(
    *,
    input_path: str,
    page_index: int | None,
    page_count: int | None,
    width: int,
    height: int,
    model_settings: Mapping[str, Any],
    planned: Sequence[PlannedBlock],
    contents: Mapping[int, BlockContent],
    extra_blocks: Sequence[ExtraBlock] = (),
    regions: Sequence[Region] = (),
    doc_preprocessor_res: Mapping[str, Any] | None = None,
    warnings: Sequence[str] = (),
) -> Page:
    """Build the :class:`Page`. Block ids are renumbered when extra blocks are inserted, so
    ``block_id`` stays the index within the page and ``order`` the reading-order position.
    Members of a merged group have no content of their own: they are ``merged`` and carry
    their leader's source."""
    contents = {**contents, **_member_contents(planned, contents)}
    rows: list[tuple[tuple[int, int, int, int], tuple[PlannedBlock | None, ExtraBlock | None]]] = [
        (p.bbox, (p, None)) for p in planned
    ]
    for extra in extra_blocks:
        rows.insert(_extra_position(rows, extra.bbox), (extra.bbox, (None, extra)))

    new_id: dict[int, int] = {}
    for idx, (_, (p, _)) in enumerate(rows):
        if p is not None:
            new_id[p.block_id] = idx

    blocks: list[Block] = []
    running = 0
    for idx, (bbox, (p, maybe_extra)) in enumerate(rows):
        if p is not None:
            c = contents.get(p.block_id) or BlockContent("", "none", "failed", BlockError(
                reason="missing_result", message="no recognition result for this block"))
            block_order = p.block_order
            if block_order is not None:
                running += 1
                block_order = running
            blocks.append(
                Block(
                    block_label=p.label,
                    block_content=c.content,
                    block_bbox=bbox,
                    block_id=idx,
                    block_order=block_order,
                    group_id=new_id.get(p.group_id, idx),
                    order=idx,
                    source=c.source,
                    status=c.status,
                    error=c.error,
                    image=c.image,
                    block_polygon_points=p.polygon,
                )
            )
        else:
            assert maybe_extra is not None
            extra = maybe_extra
            # Furniture found outside the boxes (a disclaimer at the page's foot) takes no
            # place in the reading order, as the layout's own furniture does not.
            extra_order: int | None = None
            if extra.label not in SKIP_ORDER_LABELS:
                running += 1
                extra_order = running
            blocks.append(
                Block(
                    block_label=extra.label,
                    block_content=extra.content,
                    block_bbox=bbox,
                    block_id=idx,
                    block_order=extra_order,
                    group_id=idx,
                    order=idx,
                    source=extra.source,
                )
            )
    det = layout_det_result(regions)
    return Page(
        input_path=input_path,
        page_index=page_index,
        page_count=page_count,
        width=width,
        height=height,
        model_settings=dict(model_settings),
        parsing_res_list=tuple(blocks),
        layout_det_res=det,
        doc_preprocessor_res=dict(doc_preprocessor_res) if doc_preprocessor_res else None,
        warnings=tuple(warnings),
    )


def page_errors(page: Page) -> list[ErrorItem]:
    """One error item per failed block, naming its final ``block_id``."""
    return [
        ErrorItem(page_index=page.page_index, block_id=b.block_id, reason=b.error.reason,
                  message=b.error.message)
        for b in page.parsing_res_list
        if b.status == "failed" and b.error is not None
    ]

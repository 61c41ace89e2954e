"""From layout regions to planned blocks: clean-up, merge groups and routing (reference §3).

Pure functions. :func:`plan_blocks` applies the official clean-up (:mod:`.overlap`), the
official text-block merging (:mod:`.merge`, only where the recognizer benefits from it) and
routing (:mod:`.routing`) to whatever layout backend produced the regions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from docparse.blocks.routing import Route, route_label
from docparse.labels import SKIP_ORDER_LABELS
from docparse.layout import Region


@dataclass(frozen=True)
class PlannedBlock:
    block_id: int
    label: str
    bbox: tuple[int, int, int, int]
    #: Position in the page's reading order (0-based, over every block).
    order: int
    #: Official running index (1-based) skipping unordered and Markdown-ignored labels.
    block_order: int | None
    route: Route
    #: Leader's block_id for members of a merged group; own id otherwise.
    group_id: int
    #: For a group leader: the ids of every member stacked into its crop (leader first).
    members: tuple[int, ...] = ()
    #: How each member joins the stack (the official per-join alignments).
    alignments: tuple[str, ...] = ("left",)
    score: float = 0.0
    #: Outline from a polygon layout model (PP-DocLayoutV3): crops are white outside it.
    polygon: tuple[tuple[float, float], ...] | None = None

    @property
    def is_member(self) -> bool:
        return self.group_id != self.block_id


def _int_box(b: tuple[float, float, float, float]) -> tuple[int, int, int, int]:
    return (int(b[0]), int(b[1]), int(b[2]), int(b[3]))


def plan_blocks(
    regions: Sequence[Region],
    *,
    page_width: int,
    page_height: int,
    chart_recognition: bool,
    keep_furniture: bool,
    markdown_ignore_labels: Sequence[str],
    merge_text_blocks: bool,
    clean_overlaps: bool = True,
    seal_recognition: bool = False,
) -> list[PlannedBlock]:
    """Clean up ``regions`` (in reading order) and decide what each block needs."""
    from docparse.blocks.overlap import filter_overlap_boxes

    kept = filter_overlap_boxes(regions) if clean_overlaps else list(regions)
    if merge_text_blocks:
        from docparse.blocks.merge import NON_MERGE_LABELS, group_text_blocks

        non_merge = NON_MERGE_LABELS - {"chart"} if chart_recognition else NON_MERGE_LABELS
        groups = [
            (g.indices, g.step_alignments or (g.alignment,))
            for g in group_text_blocks(kept, page_width, page_height, non_merge_labels=non_merge)
        ]
    else:
        groups = [((i,), ("left",)) for i in range(len(kept))]

    # The official output order: each group's members together, in group order (a non-merge
    # block that sat between two members comes after the group). block_id is the position.
    sequence = [i for indices, _ in groups for i in indices]
    position = {region_index: pos for pos, region_index in enumerate(sequence)}
    leader_of: dict[int, int] = {}
    members_of: dict[int, tuple[int, ...]] = {}
    align_of: dict[int, tuple[str, ...]] = {}
    for indices, alignments in groups:
        leader = position[indices[0]]
        for i in indices:
            leader_of[position[i]] = leader
        if len(indices) > 1:
            members_of[leader] = tuple(position[i] for i in indices)
            align_of[leader] = tuple(alignments)

    ignore = set(markdown_ignore_labels)
    planned: list[PlannedBlock] = []
    running = 0
    for pos, region_index in enumerate(sequence):
        region = kept[region_index]
        block_order: int | None = None
        if region.label not in SKIP_ORDER_LABELS and region.label not in ignore:
            running += 1
            block_order = running
        planned.append(
            PlannedBlock(
                block_id=pos,
                label=region.label,
                bbox=_int_box(region.bbox),
                order=pos,
                block_order=block_order,
                route=route_label(
                    region.label, chart_recognition=chart_recognition, keep_furniture=keep_furniture,
                    seal_recognition=seal_recognition,
                ),
                group_id=leader_of.get(pos, pos),
                members=members_of.get(pos, ()),
                alignments=align_of.get(pos, ("left",)),
                score=region.score,
                polygon=region.polygon,
            )
        )
    return planned

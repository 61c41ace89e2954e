"""From layout regions to planned blocks: clean-up, merge groups and routing (reference §3).

Pure functions. :func:`plan_blocks` applies the official clean-up (:mod:`.overlap`), the
official text-block merging (:mod:`.merge`, only where the recognizer benefits from it) and
routing (:mod:`.routing`) to whatever layout backend produced the regions.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from docparse.blocks.routing import Route, official_sends, route_label
from docparse.content import BlockContent
from docparse.geometry import IntBox, to_int
from docparse.labels import SKIP_ORDER_LABELS, TEXT_LIKE_LABELS
from docparse.layout import Region
from docparse.textlayer.reading import TextLayerQuery, TextLayerReading


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
    #: From a tentative region (:attr:`docparse.layout.Region.tentative`).
    tentative: bool = False

    @property
    def is_member(self) -> bool:
        return self.group_id != self.block_id


@dataclass(frozen=True)
class Plan:
    """A page's planned blocks in reading order, and what the official client would send."""

    blocks: tuple[PlannedBlock, ...]
    #: Requests the official routing would send for these blocks (furniture included, one per
    #: merged group), for the requests-per-page comparison.
    official_requests: int
    chart_recognition: bool = False
    seal_recognition: bool = False

    def _sends(self, label: str) -> bool:
        return official_sends(label, chart_recognition=self.chart_recognition,
                              seal_recognition=self.seal_recognition)

    def by_id(self) -> dict[int, PlannedBlock]:
        return {p.block_id: p for p in self.blocks}

    def boxes(self) -> tuple[IntBox, ...]:
        return tuple(p.bbox for p in self.blocks)

    def text_layer_queries(self) -> list[TextLayerQuery]:
        """What the text layer is asked about each block (:func:`docparse.textlayer.reading.read_page`)."""
        by_id = self.by_id()
        return [
            TextLayerQuery(
                block_id=p.block_id,
                label=p.label,
                bbox=p.bbox,
                # Furniture ("skip") too: its text costs nothing and helps find repeats.
                wants_text=p.route in ("ocr", "skip") and p.label in TEXT_LIKE_LABELS,
                group=by_id[p.group_id].members or (p.block_id,),
                official_request=self._sends(p.label),
            )
            for p in self.blocks
        ]

    def with_text_layer(self, reading: TextLayerReading) -> Plan:
        """Blocks the text layer answered leave their merge group (every member was answered,
        so each keeps its own text) and take the box grown to their whole lines."""
        out = []
        for p in self.blocks:
            if p.block_id in reading.contents:
                if p.members or p.is_member:
                    p = dataclasses.replace(p, group_id=p.block_id, members=())
                p = dataclasses.replace(p, bbox=reading.boxes[p.block_id])
            out.append(p)
        return dataclasses.replace(self, blocks=tuple(out))

    def requests_saved(self, contents: Mapping[int, BlockContent], source: str) -> int:
        """Requests the official client would send for blocks whose content came from
        ``source`` instead (``text-layer``)."""
        return sum(1 for p in self.blocks
                   if not p.is_member and p.block_id in contents
                   and contents[p.block_id].source == source
                   and self._sends(p.label))

    def without_unread_tentative(self, contents: Mapping[int, BlockContent]) -> Plan:
        """Drop tentative blocks (text a refinement rule guessed at) in which nothing was read."""
        kept = tuple(
            p for p in self.blocks
            if not (p.tentative and not p.members and not p.is_member
                    and not contents[p.block_id].content and contents[p.block_id].status == "ok")
        )
        return dataclasses.replace(self, blocks=kept)


def plan_page(
    regions: Sequence[Region],
    *,
    page_width: int,
    page_height: int,
    chart_recognition: bool,
    keep_furniture: bool,
    markdown_ignore_labels: Sequence[str],
    merge_text_blocks: bool,
    seal_recognition: bool = False,
) -> Plan:
    """:func:`plan_blocks` as a :class:`Plan` record, with the official request count."""
    blocks = plan_blocks(regions, page_width=page_width, page_height=page_height,
                         chart_recognition=chart_recognition, keep_furniture=keep_furniture,
                         markdown_ignore_labels=markdown_ignore_labels,
                         merge_text_blocks=merge_text_blocks, seal_recognition=seal_recognition)
    plan = Plan(tuple(blocks), 0, chart_recognition, seal_recognition)
    official = sum(1 for p in blocks if not p.is_member and plan._sends(p.label))
    return dataclasses.replace(plan, official_requests=official)


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
                bbox=to_int(region.bbox),
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
                tentative=region.tentative,
            )
        )
    return planned

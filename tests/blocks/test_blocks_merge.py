from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest
from blocks_generators import cluttered_page, column_page

from docparse.blocks.merge import NON_MERGE_LABELS, BlockGroup, group_text_blocks
from docparse.blocks.overlap import filter_overlap_boxes
from docparse.blocks.stack import stack_group_image
from docparse.layout import Region


def _r(label: str, box: tuple[float, float, float, float]) -> Region:
    return Region(label, box, 0.9)


def _indices(groups: list[BlockGroup]) -> list[tuple[int, ...]]:
    return [g.indices for g in groups]


def test_up_down_merge_needs_one_aligned_edge_and_a_touching_image() -> None:
    a = _r("text", (80, 150, 450, 300))
    b = _r("text", (80, 310, 400, 400))  # left edges equal, right edges 50 px apart
    image = _r("image", (420, 150, 920, 380))  # the union (80..450) reaches into it
    groups = group_text_blocks([a, b, image], 1000, 1400)
    assert groups == [BlockGroup((0, 1), "left", ("left",)), BlockGroup((2,), "left")]
    # Without anything to overlap, the same pair stays apart.
    assert _indices(group_text_blocks([a, b], 1000, 1400)) == [(0,), (1,)]


def test_up_down_right_alignment_and_both_edges_aligned() -> None:
    image = _r("table", (0, 0, 1000, 160))
    a = _r("text", (100, 150, 450, 300))
    b = _r("text", (180, 305, 453, 400))
    assert group_text_blocks([image, a, b], 1000, 1400)[1] == BlockGroup(
        (1, 2), "right", ("right",)
    )
    # Both edges aligned is "the same column": upstream's xor rule does not merge it.
    c = _r("text", (102, 305, 447, 400))
    assert _indices(group_text_blocks([image, a, c], 1000, 1400)) == [(0,), (1,), (2,)]


def test_cross_merge_of_side_by_side_text() -> None:
    c = _r("text", (80, 490, 450, 550))
    d = _r("text", (500, 490, 920, 550))
    assert group_text_blocks([c, d], 1000, 1400) == [BlockGroup((0, 1), "center", ("center",))]
    # A gap of 30 % of the wider block or more: no merge.
    far = _r("text", (450 + 127, 490, 997, 550))
    assert _indices(group_text_blocks([c, far], 1000, 1400)) == [(0,), (1,)]


def test_only_text_pairs_merge() -> None:
    c = _r("paragraph_title", (80, 490, 450, 550))
    d = _r("text", (500, 490, 920, 550))
    assert _indices(group_text_blocks([c, d], 1000, 1400)) == [(0,), (1,)]


def test_tall_stack_is_not_merged() -> None:
    # Two 100 x 160 crops stack to 100 x 320: ratio 3.2 >= 3, so both stay single.
    a = _r("text", (0, 0, 100, 160))
    b = _r("text", (110, 0, 210, 160))
    assert _indices(group_text_blocks([a, b], 1000, 1400)) == [(0,), (1,)]


def test_non_merge_block_between_members_moves_after_the_group() -> None:
    a = _r("text", (80, 490, 450, 550))
    image = _r("image", (0, 700, 300, 900))
    b = _r("text", (500, 490, 920, 550))
    tail = _r("text", (80, 1000, 900, 1100))
    groups = group_text_blocks([a, image, b, tail], 1000, 1400)
    assert _indices(groups) == [(0, 2), (1,), (3,)]


def test_chart_is_a_merge_candidate_when_charts_are_recognised() -> None:
    a = _r("text", (80, 490, 450, 550))
    chart = _r("chart", (0, 700, 300, 900))
    b = _r("text", (500, 490, 920, 550))
    assert _indices(group_text_blocks([a, chart, b], 1000, 1400)) == [(0, 2), (1,)]
    labels = NON_MERGE_LABELS - {"chart"}
    assert _indices(group_text_blocks([a, chart, b], 1000, 1400, non_merge_labels=labels)) == [
        (0,),
        (1,),
        (2,),
    ]


def _official_groups(
    regions: list[Region], page: np.ndarray[Any, Any], non_merge: list[str]
) -> tuple[list[tuple[int, ...]], dict[int, tuple[np.ndarray[Any, Any], list[str]]]]:
    from paddlex.inference.pipelines.paddleocr_vl.uilts import merge_blocks

    blocks = []
    for i, r in enumerate(regions):
        x1, y1, x2, y2 = (int(v) for v in r.bbox)
        blocks.append(
            {"idx": i, "img": page[y1:y2, x1:x2].copy(), "box": list(r.bbox), "label": r.label}
        )
    groups: list[list[int]] = []
    images: dict[int, tuple[np.ndarray[Any, Any], list[str]]] = {}
    for block in merge_blocks(blocks, non_merge_labels=non_merge):
        leader = block.get("group_id")
        if leader is not None and leader != block["idx"]:
            assert groups[-1][0] == leader
            groups[-1].append(block["idx"])
        else:
            groups.append([block["idx"]])
            if block.get("merge_aligns"):
                images[block["idx"]] = (block["img"], block["merge_aligns"])
    return [tuple(g) for g in groups], images


@pytest.mark.paddle
def test_identical_to_paddlex_on_generated_pages() -> None:
    pytest.importorskip("paddlex")
    rng = random.Random(99)
    merged_groups = mixed = 0
    for n in range(400):
        width, height = rng.choice([(600, 800), (850, 1100), (1000, 700)])
        page = np.random.default_rng(n).integers(0, 255, (height, width, 3), dtype=np.uint8)
        make = column_page if n % 4 else cluttered_page
        regions = filter_overlap_boxes(make(rng, width, height, floats=n % 5 == 0))
        non_merge = sorted(NON_MERGE_LABELS if n % 7 else NON_MERGE_LABELS - {"chart"})
        expected, images = _official_groups(regions, page, non_merge)
        groups = group_text_blocks(regions, width, height, non_merge_labels=non_merge)
        assert _indices(groups) == expected, f"page {n}"
        assert sorted(i for g in groups for i in g.indices) == list(range(len(regions)))
        for g in groups:
            if len(g.indices) < 2:
                continue
            merged_groups += 1
            mixed += len(set(g.step_alignments)) > 1
            crops = [
                page[
                    int(regions[i].bbox[1]) : int(regions[i].bbox[3]),
                    int(regions[i].bbox[0]) : int(regions[i].bbox[2]),
                ]
                for i in g.indices
            ]
            image, aligns = images[g.indices[0]]
            assert list(g.step_alignments) == aligns
            assert g.alignment == aligns[0]
            assert np.array_equal(stack_group_image(crops, g.step_alignments), image)
    assert merged_groups > 150, merged_groups

"""Pure parts of the built-in layout backend: label mapping, clean-up, doc_title, decoding."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from docparse.errors import InputError, ModelNotFoundError
from docparse.labels import LABELS
from docparse.layout import Region
from docparse.layout.builtin import (
    CDLA_LABELS,
    BuiltinLayout,
    clean_regions,
    default_model_path,
    line_height,
    map_detections,
    promote_doc_title,
    resolve_containers,
)
from docparse.layout.picodet import Detection, hard_nms


def region(label: str, bbox: tuple[float, float, float, float], score: float = 0.9) -> Region:
    return Region(label, bbox, score, cls_id=LABELS.index(label))


def test_every_cdla_class_maps_to_the_pp_doclayoutv2_vocabulary() -> None:
    detections = [Detection(i, 0.9, (0, 0, 10, 10)) for i in range(len(CDLA_LABELS))]
    mapped = [(r.label, r.cls_id) for r in map_detections(detections)]
    expected = [
        "text", "paragraph_title", "image", "figure_title", "table", "figure_title",
        "header", "footer", "reference_content", "display_formula",
    ]  # fmt: skip
    assert mapped == [(label, LABELS.index(label)) for label in expected]
    assert LABELS.index("paragraph_title") == 17 and LABELS.index("table") == 21


def test_model_metadata_lists_cdla_classes_in_our_order() -> None:
    ort = pytest.importorskip("onnxruntime")
    session = ort.InferenceSession(str(default_model_path()), providers=["CPUExecutionProvider"])
    meta = session.get_modelmeta().custom_metadata_map["character"].splitlines()
    assert tuple(meta) == CDLA_LABELS


def test_clean_regions_clips_drops_degenerate_and_cross_class_duplicates() -> None:
    regions = [
        region("text", (-20, 10, 300, 200), 0.95),
        region("reference_content", (-18, 12, 298, 204), 0.6),  # IoU > 0.8 with the text
        region("image", (500, 700, 700, 900)),  # runs off a 600 x 800 page
        region("text", (100, 300, 101.5, 400)),  # 1.5 px wide
        region("paragraph_title", (0, 250, 200, 280)),
    ]
    cleaned = clean_regions(regions, 600, 800)
    assert [(r.label, r.bbox) for r in cleaned] == [
        ("text", (0.0, 10, 300, 200)),
        ("image", (500, 700, 600.0, 800.0)),
        ("paragraph_title", (0, 250, 200, 280)),
    ]


def test_sparse_table_around_text_boxes_becomes_one_text_block() -> None:
    table = region("table", (50, 100, 550, 700))
    inner = [region("text", (60, 110, 540, 200)), region("paragraph_title", (60, 400, 300, 430))]
    other = region("text", (50, 720, 550, 780))
    result = resolve_containers([table, *inner, other])
    assert [(r.label, r.bbox, r.cls_id) for r in result] == [
        ("text", table.bbox, LABELS.index("text")),
        ("text", other.bbox, LABELS.index("text")),
    ]


def test_table_filled_by_text_boxes_is_dropped_and_the_boxes_kept() -> None:
    table = region("table", (50, 100, 550, 500))
    inner = [region("text", (50, 100, 550, 290)), region("text", (50, 300, 550, 500))]
    assert resolve_containers([table, *inner]) == inner


def test_table_with_one_text_box_inside_stays_a_table() -> None:
    table = region("table", (50, 100, 550, 500))
    cell = region("text", (60, 110, 200, 130))
    assert resolve_containers([table, cell]) == [table, cell]


def test_reference_list_absorbs_its_nested_entries() -> None:
    outer = region("reference_content", (270, 240, 1100, 1430))
    nested = [
        region("text", (272, 265, 990, 306)),
        region("reference_content", (272, 365, 1098, 496)),
    ]
    assert resolve_containers([outer, *nested]) == [outer]


def test_doc_title_is_the_top_large_title_not_blocked_by_furniture() -> None:
    regions = [
        region("header", (50, 10, 550, 30)),
        region("paragraph_title", (80, 50, 520, 100)),
        region("text", (50, 120, 550, 400)),
        region("paragraph_title", (50, 420, 250, 440)),
    ]
    promoted = promote_doc_title(regions, [None, 40.0, 16.0, 19.0])
    assert [(r.label, r.cls_id) for r in promoted][:2] == [
        ("header", LABELS.index("header")),
        ("doc_title", LABELS.index("doc_title")),
    ]
    assert promoted[3].label == "paragraph_title"


@pytest.mark.parametrize(
    ("regions", "heights"),
    [
        # Body text above the title: a section heading, not the document title.
        (
            [region("text", (50, 20, 550, 80)), region("paragraph_title", (50, 100, 300, 130))],
            [16.0, 40.0],
        ),
        # Not clearly larger than the running text.
        (
            [region("paragraph_title", (50, 20, 300, 45)), region("text", (50, 60, 550, 400))],
            [18.0, 16.0],
        ),
        # Another title of nearly the same size.
        (
            [
                region("paragraph_title", (50, 20, 300, 60)),
                region("paragraph_title", (50, 300, 300, 335)),
            ],
            [30.0, 27.0],
        ),
        # Unmeasurable (no contrast).
        ([region("paragraph_title", (50, 20, 300, 60))], [None]),
    ],
)
def test_doc_title_not_promoted(regions: list[Region], heights: list[float | None]) -> None:
    assert promote_doc_title(regions, heights) == regions


def test_line_height_measures_ink_rows() -> None:
    page = np.full((400, 300, 3), 255, np.uint8)
    for top in (20, 70, 120):  # three 22 px "lines" of dark glyph-like blocks
        page[top : top + 22, 30:270:12] = 0
    assert line_height(page, (10, 10, 290, 160)) == 22.0
    assert line_height(page, (10, 200, 290, 390)) is None  # blank


def test_hard_nms_keeps_best_of_overlapping_boxes() -> None:
    boxes = np.array([[0, 0, 10, 10], [1, 1, 10, 10], [20, 20, 30, 30]], dtype=np.float64)
    scores = np.array([0.6, 0.9, 0.7], dtype=np.float32)
    assert hard_nms(boxes, scores, 0.5) == [1, 2]


def test_missing_model_file_raises_model_not_found(tmp_path: Path) -> None:
    layout = BuiltinLayout(tmp_path / "nope.onnx")
    with pytest.raises(ModelNotFoundError, match=r"nope\.onnx"):
        layout.detect([np.zeros((10, 10, 3), np.uint8)])


def test_non_uint8_image_is_rejected() -> None:
    with pytest.raises(InputError, match="uint8"):
        BuiltinLayout(num_threads=1).detect([np.zeros((100, 80, 3), np.float32)])  # type: ignore[list-item]


def test_nested_duplicate_heading_keeps_the_outer_box() -> None:
    outer = region("paragraph_title", (270, 507, 1085, 611))
    inner = region("paragraph_title", (292, 509, 1084, 558), 0.72)
    assert resolve_containers([inner, outer]) == [outer]

"""PP-DocLayoutV2 through paddlex's real predictor, on the tiny model (no download)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml  # type: ignore[import-untyped]

from docparse.blocks.merge import BlockGroup, group_text_blocks
from docparse.blocks.overlap import filter_overlap_boxes
from docparse.errors import ModelError, ModelNotFoundError
from docparse.labels import LABELS
from docparse.layout import Region
from docparse.layout.ppdoclayoutv2 import (
    DEFAULT_MERGE_MODES,
    DEFAULT_THRESHOLDS,
    PPDocLayoutV2,
    boxes_to_regions,
    validate_model_dir,
)
from docparse.testing.tiny_layout_model import TinyBox, build_tiny_layout_model

pytestmark = pytest.mark.paddle

paddle_missing = (
    importlib.util.find_spec("paddle") is None or importlib.util.find_spec("paddlex") is None
)
# paddlex builds every image predictor with a PDF reader and refuses to start without pypdfium2.
pdfium_missing = importlib.util.find_spec("pypdfium2") is None
needs_paddle = pytest.mark.skipif(paddle_missing, reason="needs paddlepaddle + paddlex")
needs_predictor = pytest.mark.skipif(
    paddle_missing or pdfium_missing,
    reason="paddlex's predictor needs paddlepaddle, paddlex and pypdfium2",
)

PAGE = (1100, 850)  # h, w of a letter page at 100 dpi


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if paddle_missing:
        pytest.skip("needs paddlepaddle + paddlex")
    return build_tiny_layout_model(tmp_path_factory.mktemp("tiny") / "PP-DocLayoutV2")


@pytest.fixture(scope="module")
def layout(tiny_dir: Path) -> PPDocLayoutV2:
    if pdfium_missing:
        pytest.skip("paddlex's predictor needs pypdfium2")
    return PPDocLayoutV2(tiny_dir)


def _page(h: int = PAGE[0], w: int = PAGE[1]) -> np.ndarray[Any, Any]:
    return np.full((h, w, 3), 255, dtype=np.uint8)


def _summary(regions: list[Region]) -> list[tuple[str, tuple[float, ...], int | None]]:
    return [(r.label, r.bbox, r.order) for r in regions]


@needs_paddle
def test_tiny_model_files_are_small_and_in_the_official_format(tmp_path: Path) -> None:
    out = build_tiny_layout_model(tmp_path / "m", seed=3)
    names = sorted(p.name for p in out.iterdir())
    assert names == ["inference.json", "inference.pdiparams", "inference.yml"]
    assert sum(p.stat().st_size for p in out.iterdir()) < 100_000
    config = yaml.safe_load((out / "inference.yml").read_text())
    assert config["Global"]["model_name"] == "PP-DocLayoutV2"
    assert config["label_list"] == list(LABELS)
    assert config["Preprocess"][0] == {
        "type": "Resize",
        "target_size": [800, 800],
        "keep_ratio": False,
        "interp": 2,
    }
    assert validate_model_dir(out) == config


@needs_predictor
def test_official_post_processing_through_paddlex(layout: PPDocLayoutV2) -> None:
    (regions,) = layout.detect([_page()])
    # Gone: the full-page image (large-image filter), the NMS duplicate, the inline formula
    # inside the paragraph title and the text inside the display formula ("large" modes),
    # the 0.35 text (threshold). Kept in the model's order; ties broken by votes.
    assert _summary(regions) == [
        ("header", (68.0, 22.0, 510.0, 44.0), None),
        ("doc_title", (128.0, 66.0, 722.0, 110.0), 1),
        ("paragraph_title", (68.0, 132.0, 382.0, 160.0), 2),
        ("text", (68.0, 165.0, 382.0, 330.0), 3),
        ("text", (68.0, 341.0, 340.0, 440.0), 4),
        ("image", (357.0, 165.0, 782.0, 418.0), None),
        ("figure_title", (425.0, 424.0, 722.0, 440.0), None),
        ("display_formula", (170.0, 462.0, 680.0, 517.0), 5),
        ("text", (68.0, 539.0, 382.0, 605.0), 6),
        ("text", (425.0, 539.0, 782.0, 605.0), 7),
        ("table", (68.0, 660.0, 782.0, 880.0), None),
        ("text", (85.0, 682.0, 425.0, 726.0), 8),
        ("text", (68.0, 902.0, 782.0, 968.0), 9),
        ("inline_formula", (255.0, 913.0, 340.0, 930.0), 10),
        ("reference", (68.0, 979.0, 782.0, 1045.0), 11),
        ("reference_content", (68.0, 984.0, 782.0, 1040.0), 12),
        ("number", (416.0, 1058.0, 421.0, 1076.0), 13),
        ("footer", (68.0, 1056.0, 340.0, 1078.0), None),
    ]
    assert regions[1].cls_id == LABELS.index("doc_title")
    assert regions[1].score == pytest.approx(0.95)


@needs_predictor
def test_pipeline_clean_up_and_merging_on_model_output(layout: PPDocLayoutV2) -> None:
    (regions,) = layout.detect([_page()])
    kept = filter_overlap_boxes(regions)
    # Dropped: the text inside the table, the inline formula over the text line, the
    # reference container and the 5 px wide page number.
    assert [r.label for r in kept] == [
        "header", "doc_title", "paragraph_title", "text", "text", "image", "figure_title",
        "display_formula", "text", "text", "table", "text", "reference_content", "footer",
    ]  # fmt: skip
    groups = group_text_blocks(kept, PAGE[1], PAGE[0])
    merged = [g for g in groups if len(g.indices) > 1]
    assert [(tuple(kept[i].bbox for i in g.indices), g.step_alignments) for g in merged] == [
        (((68.0, 165.0, 382.0, 330.0), (68.0, 341.0, 340.0, 440.0)), ("left",)),
        (((68.0, 539.0, 382.0, 605.0), (425.0, 539.0, 782.0, 605.0)), ("center",)),
    ]


@needs_predictor
def test_options_change_the_result(tiny_dir: Path) -> None:
    page = [_page()]
    flat = PPDocLayoutV2(tiny_dir, threshold=0.5).detect(page)[0]
    assert "display_formula" not in [r.label for r in flat]  # 0.45 < 0.5
    no_nms = PPDocLayoutV2(tiny_dir, layout_nms=False).detect(page)[0]
    assert [r.bbox for r in no_nms].count((72.0, 167.0, 382.0, 330.0)) == 1  # the duplicate
    union = PPDocLayoutV2(tiny_dir, merge_bboxes_mode="union").detect(page)[0]
    assert ("inline_formula", (255.0, 135.0, 340.0, 154.0)) in [(r.label, r.bbox) for r in union]


@needs_predictor
def test_batch_of_pages_of_different_sizes(layout: PPDocLayoutV2) -> None:
    portrait, landscape = layout.detect([_page(), _page(1000, 1400)])
    assert portrait[1].bbox == (128.0, 66.0, 722.0, 110.0)
    assert landscape[1].label == "doc_title" and landscape[1].bbox == (210.0, 60.0, 1190.0, 100.0)
    assert layout.detect([]) == []


@needs_predictor
def test_same_as_paddlex_with_the_official_pipeline_settings(
    tiny_dir: Path, layout: PPDocLayoutV2
) -> None:
    import paddlex

    cfg = _official_layout_config()
    model = paddlex.create_model(
        "PP-DocLayoutV2",
        model_dir=str(tiny_dir),
        device="cpu",
        threshold=cfg["threshold"],
        layout_nms=cfg["layout_nms"],
        layout_unclip_ratio=cfg["layout_unclip_ratio"],
        layout_merge_bboxes_mode=cfg["layout_merge_bboxes_mode"],
    )
    page = np.random.default_rng(0).integers(0, 255, (1584, 1224, 3), dtype=np.uint8)
    (expected,) = list(model.predict([page[:, :, ::-1]], filter_overlap_boxes=False))
    assert layout.detect([page])[0] == boxes_to_regions(expected["boxes"])


def _official_layout_config() -> dict[str, Any]:
    import paddlex

    path = Path(paddlex.__file__).parent / "configs" / "pipelines" / "PaddleOCR-VL.yaml"
    return yaml.safe_load(path.read_text())["SubModules"]["LayoutDetection"]  # type: ignore[no-any-return]


@needs_paddle
def test_defaults_match_the_paddlex_pipeline_yaml() -> None:
    cfg = _official_layout_config()
    assert dict(DEFAULT_THRESHOLDS) == cfg["threshold"]
    assert dict(DEFAULT_MERGE_MODES) == cfg["layout_merge_bboxes_mode"]
    assert cfg["layout_nms"] is True and cfg["layout_unclip_ratio"] == [1.0, 1.0]


def test_boxes_to_regions_keeps_order_and_none() -> None:
    boxes = [
        {"cls_id": 12, "label": "header", "score": 0.9, "coordinate": [1, 2, 3, 4], "order": None},
        {"cls_id": 22, "label": "text", "score": 0.8, "coordinate": [5, 6, 70, 80], "order": 1},
    ]
    assert boxes_to_regions(boxes) == [
        Region("header", (1.0, 2.0, 3.0, 4.0), 0.9, cls_id=12, order=None),
        Region("text", (5.0, 6.0, 70.0, 80.0), 0.8, cls_id=22, order=1),
    ]


def _write_model(
    d: Path,
    config: dict[str, Any],
    files: tuple[str, ...] = ("inference.json", "inference.pdiparams"),
) -> Path:
    d.mkdir(parents=True)
    for name in files:
        (d / name).write_bytes(b"x")
    (d / "inference.yml").write_text(yaml.safe_dump(config))
    return d


def _good_config() -> dict[str, Any]:
    return {
        "Global": {"model_name": "PP-DocLayoutV2"},
        "Preprocess": [{"type": "Resize", "target_size": [800, 800], "keep_ratio": False}],
        "label_list": list(LABELS),
    }


def test_validation_errors_name_the_file_and_problem(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="does not exist"):
        PPDocLayoutV2(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelNotFoundError, match=r"empty/inference.yml: missing"):
        PPDocLayoutV2(tmp_path / "empty")
    no_weights = _write_model(tmp_path / "w", _good_config(), ("inference.json",))
    with pytest.raises(ModelNotFoundError, match=r"no inference\.pdiparams"):
        validate_model_dir(no_weights)
    no_graph = _write_model(tmp_path / "g", _good_config(), ("inference.pdiparams",))
    with pytest.raises(ModelNotFoundError, match=r"no inference\.json or inference\.pdmodel"):
        validate_model_dir(no_graph)
    pdmodel = _write_model(
        tmp_path / "old", _good_config(), ("inference.pdmodel", "inference.pdiparams")
    )
    assert validate_model_dir(pdmodel)["Global"]["model_name"] == "PP-DocLayoutV2"

    v3 = _good_config() | {"Global": {"model_name": "PP-DocLayoutV3"}}
    with pytest.raises(ModelError, match="model_name is 'PP-DocLayoutV3'"):
        validate_model_dir(_write_model(tmp_path / "v3", v3))
    custom = _good_config() | {"label_list": ["text", "title"]}
    with pytest.raises(ModelError, match="label_list differs"):
        validate_model_dir(_write_model(tmp_path / "labels", custom))
    small = _good_config() | {"Preprocess": [{"type": "Resize", "target_size": [640, 640]}]}
    with pytest.raises(ModelError, match=r"target_size is \[640, 640\]"):
        validate_model_dir(_write_model(tmp_path / "size", small))
    (tmp_path / "bad").mkdir()
    for name in ("inference.json", "inference.pdiparams"):
        (tmp_path / "bad" / name).write_bytes(b"x")
    (tmp_path / "bad" / "inference.yml").write_text("Global: [unclosed")
    with pytest.raises(ModelError, match="cannot read the model config"):
        validate_model_dir(tmp_path / "bad")


@needs_predictor
def test_corrupt_weights_raise_model_error(tmp_path: Path, tiny_dir: Path) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    for p in tiny_dir.iterdir():
        (broken / p.name).write_bytes(p.read_bytes())
    (broken / "inference.pdiparams").write_bytes(b"not weights")
    layout = PPDocLayoutV2(broken)
    with pytest.raises(ModelError, match="broken"):
        layout.detect([_page()])


@needs_paddle
def test_custom_script(tmp_path: Path) -> None:
    if pdfium_missing:
        pytest.skip("paddlex's predictor needs pypdfium2")
    script = (
        TinyBox("text", (0.1, 0.5, 0.9, 0.6), 0.9, 2.0),
        TinyBox("doc_title", (0.1, 0.1, 0.9, 0.2), 0.9, 1.0),
    )
    out = build_tiny_layout_model(tmp_path / "m", seed=5, script=script)
    (regions,) = PPDocLayoutV2(out).detect([_page(1000, 500)])
    assert _summary(regions) == [
        ("doc_title", (50.0, 100.0, 450.0, 200.0), 1),
        ("text", (50.0, 500.0, 450.0, 600.0), 2),
    ]
    assert BlockGroup((0,), "left") in group_text_blocks(regions, 500, 1000)


@pytest.mark.skipif(paddle_missing or not pdfium_missing, reason="only without pypdfium2")
def test_missing_pypdfium2_is_a_clear_model_error(tiny_dir: Path) -> None:
    with pytest.raises(ModelError, match="pypdfium2"):
        PPDocLayoutV2(tiny_dir).detect([_page()])

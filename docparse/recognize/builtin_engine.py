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
from docparse.ort import rapidocr_model_dir
from docparse.recognize.line_order import OcrLine

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
            out = self._ocr(bgr, use_det=True, use_cls=False, use_rec=True)
        boxes = getattr(out, "boxes", None)
        txts = getattr(out, "txts", None)
        scores = getattr(out, "scores", None)
        if boxes is None or txts is None or scores is None:
            return []
        lines: list[OcrLine] = []
        for quad, text, score in zip(boxes, txts, scores, strict=True):
            xs = [float(p[0]) for p in quad]
            ys = [float(p[1]) for p in quad]
            angle = math.degrees(math.atan2(ys[1] - ys[0], xs[1] - xs[0]))
            lines.append(
                OcrLine(
                    text=str(text),
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


"""PP-OCRv6 recognition of single-line crops, straight on ONNX Runtime.

The born-digital path needs only the line recogniser: to judge a font without a Unicode map
(:mod:`docparse.preprocess.fonts`) and to read symbols drawn as tiny images
(:mod:`docparse.preprocess.glyphs`). Building rapidocr's full engine for that costs about a
second per process, nearly all of it rapidocr's import (its module level parses its YAML
model tables with OmegaConf), on pages that otherwise take a fifth of that. This reader loads
the same model file from the rapidocr wheel (``PP-OCRv6_rec_small.onnx``, its character list in
the ONNX metadata) in one ONNX Runtime session and never imports rapidocr.

It reads as :meth:`docparse.recognize.builtin_engine.RapidOcrEngine.read` does, to the same
text and score: rapidocr's pre-processing of an image given without detection (a side under
30 px or over 2000 px scaled, both sides then rounded to multiples of 32), its resize to 48 px
high padded to at least 320 px wide, its normalisation to [-1, 1], greedy CTC decoding (blank
first, a space last) and the mean of the kept characters' probabilities rounded to five places.
``tests/recognize/test_crop_reader.py`` holds the two to that on real crops.
"""

from __future__ import annotations

import math
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from docparse.errors import ModelError, ModelNotFoundError
from docparse.ort import onnxruntime_module, rapidocr_model_dir

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

REC_MODEL = "PP-OCRv6_rec_small.onnx"

#: rapidocr's ``Global.min_side_len`` / ``max_side_len`` (pre-processing of any input).
_MIN_SIDE = 30
_MAX_SIDE = 2000
#: rapidocr's ``Rec.rec_img_shape``: 3 channels, 48 px high, at least 320 px wide.
_HEIGHT = 48
_MIN_WIDTH = 320


class CropReader:
    """Reads single-line RGB crops with the PP-OCRv6 recogniser; loaded on first use,
    thread-safe.

    Args:
        model_dir: Folder with :data:`REC_MODEL`; defaults to the ``rapidocr`` wheel's own.

    Example:
        >>> reader = CropReader()
        >>> reader.read([line_rgb])  # doctest: +SKIP
        [('Phone', 0.99812)]
    """

    def __init__(self, model_dir: Path | None = None) -> None:
        self._model_dir = model_dir
        self._session: Any = None
        self._characters: list[str] = []
        self._lock = threading.Lock()

    def load(self) -> None:
        """Load the model now; raises :class:`~docparse.errors.ModelError` when it cannot."""
        with self._lock:
            if self._session is None:
                self._load()

    def _load(self) -> None:
        path = (self._model_dir or rapidocr_model_dir()) / REC_MODEL
        if not path.is_file():
            raise ModelNotFoundError(
                f"{path}: PP-OCRv6 model file missing (reinstall the rapidocr wheel, which ships it)"
            )
        ort = onnxruntime_module()
        try:
            options = ort.SessionOptions()
            options.log_severity_level = 4
            # As rapidocr makes it: no memory arena (crops differ in width, so an arena only
            # grows), every graph optimisation.
            options.enable_cpu_mem_arena = False
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            provider = ("CPUExecutionProvider", {"arena_extend_strategy": "kSameAsRequested"})
            session = ort.InferenceSession(str(path), sess_options=options, providers=[provider])
            listed = session.get_modelmeta().custom_metadata_map.get("character")
        except Exception as exc:
            raise ModelError(f"{path}: cannot load the PP-OCRv6 recogniser: {exc}") from exc
        if not listed:
            raise ModelError(f"{path}: the model lists no characters in its metadata")
        # CTC's blank is class 0; the model's last class is the space.
        self._characters = ["", *listed.splitlines(), " "]
        self._session = session

    def read(self, crops: list[npt.NDArray[np.uint8]]) -> list[tuple[str, float]]:
        """``(text, score)`` for each single-line RGB crop; ``("", 0.0)`` for an empty one."""
        self.load()
        out: list[tuple[str, float]] = []
        with self._lock:
            for crop in crops:
                batch = _model_input(crop)
                if batch is None:
                    out.append(("", 0.0))
                    continue
                name = self._session.get_inputs()[0].name
                probs = self._session.run(None, {name: batch})[0][0]
                out.append(_decode(probs, self._characters))
        return out


def _model_input(crop: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32] | None:
    """The recogniser's input for one RGB crop, as rapidocr makes it (None: nothing to read)."""
    import cv2
    import numpy as np

    if crop.ndim == 2:
        crop = np.stack([crop] * 3, axis=-1)
    if crop.shape[0] == 0 or crop.shape[1] == 0:
        return None
    # The models were trained on OpenCV's channel order.
    image = _within_bounds(np.ascontiguousarray(crop[:, :, 2::-1]))
    if image is None:
        return None
    h, w = image.shape[:2]
    width = int(_HEIGHT * max(_MIN_WIDTH / _HEIGHT, w / h))
    resized_w = min(width, math.ceil(_HEIGHT * (w / h)))
    resized = cv2.resize(image, (resized_w, _HEIGHT)).astype("float32")
    resized = resized.transpose((2, 0, 1)) / 255
    resized -= 0.5
    resized /= 0.5
    padded = np.zeros((3, _HEIGHT, width), dtype=np.float32)
    padded[:, :, :resized_w] = resized
    return padded[np.newaxis]


def _within_bounds(image: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8] | None:
    """rapidocr's pre-processing of an image read without detection: the longer side brought
    down to 2000 px, then the shorter up to 30 px, each time both sides rounded to multiples of
    32 (None where that leaves a side of 0, which rapidocr refuses)."""
    import cv2

    h, w = image.shape[:2]
    out: npt.NDArray[np.uint8] | None = image
    if max(h, w) > _MAX_SIDE:
        out = _resize_rounded(cv2, image, _MAX_SIDE / (h if h > w else w))
    if out is not None and min(out.shape[:2]) < _MIN_SIDE:
        h, w = out.shape[:2]
        out = _resize_rounded(cv2, out, _MIN_SIDE / (h if h < w else w))
    return out


def _resize_rounded(cv2: Any, image: npt.NDArray[np.uint8], ratio: float
                    ) -> npt.NDArray[np.uint8] | None:
    h, w = image.shape[:2]
    new_h = round(int(h * ratio) / 32) * 32
    new_w = round(int(w * ratio) / 32) * 32
    if new_h <= 0 or new_w <= 0:
        return None
    resized: npt.NDArray[np.uint8] = cv2.resize(image, (new_w, new_h))
    return resized


def _decode(probs: npt.NDArray[np.float32], characters: list[str]) -> tuple[str, float]:
    """Greedy CTC: the most likely class per step, repeats merged, blanks dropped; the score is
    the mean probability of the kept steps rounded to five places, as rapidocr gives it."""
    import numpy as np

    best = probs.argmax(axis=1)
    best_prob = probs.max(axis=1)
    keep = np.ones(len(best), dtype=bool)
    keep[1:] = best[1:] != best[:-1]
    keep &= best != 0
    confs = [round(float(p), 5) for p in best_prob[keep]] or [0.0]
    text = "".join(characters[i] for i in best[keep])
    return text, float(np.mean(confs).round(5))


__all__ = ["REC_MODEL", "CropReader"]

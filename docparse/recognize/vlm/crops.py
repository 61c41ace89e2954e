"""Crop preparation for the VLM: formula trimming, padding to what vLLM accepts, JPEG data URLs.

Pure numpy/PIL. Crops arrive as RGB ``uint8`` arrays.

Deliberate difference from the official client (reference §1.2, §7 items 7–8): the official
client sends every crop as is, so a 900×4 formula strip or a 3-pixel-high crop makes vLLM
reject the request ("absolute aspect ratio must be smaller than 200") or crash, and that one
crop fails the whole batch. docparse pads such crops with white until the shorter side is at
least :data:`MIN_SIDE` px and the aspect ratio is at most :data:`MAX_ASPECT_RATIO`. Crops that
were already acceptable are sent unchanged, byte for byte as the official client would.
"""

from __future__ import annotations

import base64
import io
import math
from typing import TYPE_CHECKING, Final

import numpy as np

if TYPE_CHECKING:
    import numpy.typing as npt

    from docparse.recognize import TaskKind

#: vLLM resizes with factor patch 14 × merge 2 = 28 and mishandles sides below it.
MIN_SIDE: Final[int] = 28
#: vLLM rejects ratios above 200; 180 leaves room for its own rounding when it resizes.
MAX_ASPECT_RATIO: Final[int] = 180
#: PIL's default JPEG quality, which is what the official client ends up using.
JPEG_QUALITY: Final[int] = 75
#: Below this (after trimming) the official client keeps the untrimmed formula crop.
_MIN_TRIMMED_SIDE: Final[int] = 2
_DARK_THRESHOLD: Final[int] = 200


def _gray(img: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """Luma as OpenCV's fixed-point ``cvtColor`` computes it, so trimming matches upstream."""
    if img.ndim == 2:
        return img
    rgb = img[..., :3].astype(np.uint32)
    # cv2's RGB2GRAY coefficients in Q14 (0.299, 0.587, 0.114) with rounding.
    y = (rgb[..., 0] * 4899 + rgb[..., 1] * 9617 + rgb[..., 2] * 1868 + 8192) >> 14
    return y.astype(np.uint8)


def crop_margin(img: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """The official ``crop_margin``: the bounding box of the dark pixels.

    Grey levels are min/max-stretched to 0..255, pixels at or below 200 count as dark.
    A flat or all-light image is returned unchanged.
    """
    gray = _gray(img)
    lo, hi = int(gray.min()), int(gray.max())
    if lo == hi:
        return img
    values = np.arange(256, dtype=np.float64)
    # Same truncating integer LUT as upstream, which normalises with int().
    lut = np.clip(((values - lo) / (hi - lo) * 255).astype(np.int64), 0, 255).astype(np.uint8)
    dark = lut[gray] <= _DARK_THRESHOLD
    rows = np.flatnonzero(dark.any(axis=1))
    cols = np.flatnonzero(dark.any(axis=0))
    if rows.size == 0:
        return img
    return img[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def trim_formula(img: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """Trim a formula crop's white border; keep the original if the result is 2 px or thinner."""
    trimmed = crop_margin(img)
    if trimmed.shape[0] > _MIN_TRIMMED_SIDE and trimmed.shape[1] > _MIN_TRIMMED_SIDE:
        return trimmed
    return img


def padded_size(
    height: int, width: int, *, min_side: int = MIN_SIDE, max_ratio: int = MAX_ASPECT_RATIO
) -> tuple[int, int]:
    """The smallest (height, width) ≥ the given one that vLLM accepts."""
    h, w = max(height, min_side), max(width, min_side)
    if h > w * max_ratio:
        w = math.ceil(h / max_ratio)
    elif w > h * max_ratio:
        h = math.ceil(w / max_ratio)
    return h, w


def pad_for_server(
    img: npt.NDArray[np.uint8], *, min_side: int = MIN_SIDE, max_ratio: int = MAX_ASPECT_RATIO
) -> npt.NDArray[np.uint8]:
    """Centre ``img`` on a white canvas of :func:`padded_size` (unchanged if already fine)."""
    height, width = int(img.shape[0]), int(img.shape[1])
    new_h, new_w = padded_size(height, width, min_side=min_side, max_ratio=max_ratio)
    if (new_h, new_w) == (height, width):
        return img
    canvas = np.full((new_h, new_w, *img.shape[2:]), 255, dtype=np.uint8)
    top, left = (new_h - height) // 2, (new_w - width) // 2
    canvas[top : top + height, left : left + width] = img
    return canvas


def encode_jpeg_data_url(img: npt.NDArray[np.uint8], *, quality: int = JPEG_QUALITY) -> str:
    """``data:image/jpeg;base64,...`` of an RGB (or grey) array, as the official client."""
    from PIL import Image

    pil = Image.fromarray(np.ascontiguousarray(img))
    if pil.mode != "RGB":
        pil = pil.convert("RGB")
    buf = io.BytesIO()
    pil.save(buf, format="JPEG", quality=quality)
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def prepare_crop(crop: npt.NDArray[np.uint8], kind: TaskKind) -> str:
    """The image part for one task: trim formulas, pad for the server, encode as JPEG."""
    if kind == "formula":
        crop = trim_formula(crop)
    return encode_jpeg_data_url(pad_for_server(crop))

"""Shared helpers for the PaddleOCR-VL end-to-end tests: synthetic pages with known boxes,
the crops the official client would send for them, and the request body it would send.

The expected crops are computed here independently of docparse (PIL slicing and encoding,
numpy for the formula margin), so the tests compare docparse with the reference, not with
itself.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFont

from docparse.layout import Region
from docparse.layout.fixed import FixedLayout

Box = tuple[int, int, int, int]
Pixels = npt.NDArray[np.uint8]

#: reference §1.3, the captured official request minus the model and the image/prompt parts.
OFFICIAL_SAMPLING: dict[str, Any] = {
    "max_completion_tokens": 4096,
    "temperature": 0,
    "skip_special_tokens": True,
    "mm_processor_kwargs": {"min_pixels": 112896, "max_pixels": 1003520},
}

#: The formula strokes drawn inside the formula box, relative to its top-left corner. Solid
#: black rectangles, so the official ``crop_margin`` result is exactly their bounding box.
FORMULA_STROKES: tuple[Box, ...] = ((60, 22, 120, 30), (140, 14, 148, 52), (170, 30, 260, 38))


@dataclass(frozen=True)
class Spec:
    """One layout box of a synthetic page and the text drawn in it."""

    label: str
    bbox: Box
    text: str = ""


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size)


def draw_page(width: int, height: int, specs: Sequence[Spec]) -> Pixels:
    """A white RGB page with something recognisable drawn inside every box."""
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    for spec in specs:
        x1, y1, x2, y2 = spec.bbox
        if spec.label == "display_formula":
            for sx1, sy1, sx2, sy2 in FORMULA_STROKES:
                draw.rectangle((x1 + sx1, y1 + sy1, x1 + sx2 - 1, y1 + sy2 - 1), fill="black")
        elif spec.label in ("image", "header_image", "seal"):
            draw.rectangle((x1 + 4, y1 + 4, x2 - 5, y2 - 5), fill=(40, 90, 200))
            draw.ellipse((x1 + 20, y1 + 20, x2 - 20, y2 - 20), fill=(230, 160, 30))
        elif spec.label == "chart":
            draw.line((x1 + 10, y2 - 10, x2 - 10, y2 - 10), fill="black", width=2)
            for k in range(4):
                bx = x1 + 20 + k * (x2 - x1 - 40) // 4
                draw.rectangle((bx, y1 + 30 + 20 * k, bx + 30, y2 - 11), fill=(200, 40, 40))
        elif spec.label == "table":
            rows, cols = 3, 3
            for r in range(rows + 1):
                y = y1 + r * (y2 - y1 - 1) // rows
                draw.line((x1, y, x2 - 1, y), fill="black", width=1)
            for c in range(cols + 1):
                x = x1 + c * (x2 - x1 - 1) // cols
                draw.line((x, y1, x, y2 - 1), fill="black", width=1)
            draw.text((x1 + 8, y1 + 8), spec.text or "cell", fill="black", font=_font(20))
        else:
            size = max(10, min(28, (y2 - y1) - 12))
            draw.text((x1 + 6, y1 + 4), spec.text or spec.label, fill="black", font=_font(size))
    pixels: Pixels = np.asarray(image, dtype=np.uint8).copy()
    return pixels


def png_bytes(pixels: Pixels) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="PNG")
    return buf.getvalue()


def write_png(path: Path, pixels: Pixels) -> Path:
    path.write_bytes(png_bytes(pixels))
    return path


def jpeg_bytes(pixels: Pixels) -> bytes:
    """The official client's encoding: PIL JPEG at its default quality (reference §1.2)."""
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(pixels)).save(buf, format="JPEG")
    return buf.getvalue()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def crop(page: Pixels, bbox: Box) -> Pixels:
    """``img[y1:y2, x1:x2]`` as the official ``CropByBoxes``."""
    x1, y1, x2, y2 = bbox
    return page[y1:y2, x1:x2]


def formula_crop(page: Pixels, bbox: Box) -> Pixels:
    """The official trimmed formula crop for a box drawn with :data:`FORMULA_STROKES`."""
    x1, y1 = bbox[0], bbox[1]
    left = min(s[0] for s in FORMULA_STROKES)
    top = min(s[1] for s in FORMULA_STROKES)
    right = max(s[2] for s in FORMULA_STROKES)
    bottom = max(s[3] for s in FORMULA_STROKES)
    return page[y1 + top : y1 + bottom, x1 + left : x1 + right]


def crop_sha(page: Pixels, spec: Spec) -> str:
    """sha256 of the JPEG the official client sends for ``spec``'s box."""
    pixels = (
        formula_crop(page, spec.bbox) if spec.label == "display_formula" else crop(page, spec.bbox)
    )
    return sha256(jpeg_bytes(pixels))


def official_body(model: str, image_sha: str, prompt: str) -> dict[str, Any]:
    """The captured official request (reference §1.3) as the fake server records it (the
    image data URL replaced by ``sha256:<hex>``)."""
    return {
        "model": model,
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "image_url", "image_url": {"url": f"sha256:{image_sha}"}},
                    {"type": "text", "text": prompt},
                ],
            }
        ],
        **OFFICIAL_SAMPLING,
    }


def layout_of(specs: Sequence[Spec]) -> FixedLayout:
    """A layout backend returning ``specs``' boxes (in page pixels, in the given order)."""
    return FixedLayout([Region(s.label, tuple(float(v) for v in s.bbox), 0.9) for s in specs])  # type: ignore[arg-type]


def chat_records(records: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Recorded requests keyed by image sha256 (each crop of a test page is unique)."""
    out: dict[str, dict[str, Any]] = {}
    for record in records:
        image = record.get("image") or {}
        out[str(image.get("sha256"))] = record
    return out


def grid_specs(width: int, height: int, rows: int, cols: int, labels: Sequence[str]) -> list[Spec]:
    """``rows × cols`` non-overlapping boxes covering the page, labels taken in turn."""
    specs: list[Spec] = []
    cell_w, cell_h = width // cols, height // rows
    for r in range(rows):
        for c in range(cols):
            k = r * cols + c
            box = (c * cell_w + 10, r * cell_h + 10, (c + 1) * cell_w - 10, (r + 1) * cell_h - 10)
            specs.append(Spec(labels[k % len(labels)], box, f"block {k}"))
    return specs


def write_pdf(path: Path, pages: int, *, width: float = 595, height: float = 842) -> Path:
    """A born-digital PDF of ``pages`` pages with a few lines of text on each."""
    import pymupdf

    fitz: Any = pymupdf  # untyped
    doc = fitz.open()
    for i in range(pages):
        page = doc.new_page(width=width, height=height)
        for k in range(8):
            page.insert_text((60, 80 + 90 * k), f"Page {i + 1} line {k}: some words", fontsize=14)
    doc.save(str(path))
    doc.close()
    return path

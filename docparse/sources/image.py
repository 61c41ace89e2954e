"""Image input via Pillow: EXIF orientation applied, every mode turned into RGB uint8.

The file stays open and frames are decoded on demand, so a 500-page TIFF holds one
frame in memory at a time. Pillow's decompression-bomb checks become
:class:`ImageTooLargeError`, never a warning or a traceback.
"""

from __future__ import annotations

import logging
import struct
import threading
import warnings
from typing import TYPE_CHECKING, Any, BinaryIO

from docparse.errors import (
    ConfigurationError,
    CorruptInputError,
    ImageTooLargeError,
    InputError,
)
from docparse.options import MAX_PAGE_PIXELS
from docparse.sources import PageImage
from docparse.sources.sniff import Format

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    from PIL import Image

    from docparse.document import Attachment

logger = logging.getLogger(__name__)

_PIL_FORMATS: dict[Format, str] = {
    "png": "PNG",
    "jpeg": "JPEG",
    "bmp": "BMP",
    "webp": "WEBP",
    "tiff": "TIFF",
}

# What Pillow raises for undecodable data besides OSError (struct errors and
# SyntaxError come out of its header parsers).
_DECODE_ERRORS: tuple[type[Exception], ...] = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    struct.error,
    IndexError,
    KeyError,
)

_EXIF_ERRORS: tuple[type[Exception], ...] = (*_DECODE_ERRORS, TypeError)

_EXIF_ORIENTATION = 0x0112


def pixel_limit() -> int:
    """Most pixels an image may have: Pillow's bomb limit, never above the page cap."""
    from PIL import Image

    limit = Image.MAX_IMAGE_PIXELS
    return MAX_PAGE_PIXELS if limit is None else min(int(limit), MAX_PAGE_PIXELS)


class ImageSource:
    """An opened image (one page, or one page per TIFF frame). One thread at a time."""

    kind = "image"

    def __init__(
        self,
        fp: BinaryIO,
        *,
        input_path: str,
        fmt: Format,
        owns_file: bool = True,
        max_pixels: int | None = None,
    ) -> None:
        """Read the header of the image in ``fp``; pixels are decoded by :meth:`render`.

        ``owns_file``: close ``fp`` in :meth:`close`.

        Raises:
            CorruptInputError: the header cannot be decoded.
            ImageTooLargeError: the image exceeds the pixel limit.
        """
        from PIL import Image

        self.input_path = input_path
        self.format = fmt
        self.max_pixels = pixel_limit() if max_pixels is None else max_pixels
        self._fp = fp
        self._owns_file = owns_file
        self._lock = threading.Lock()
        self._orientations: dict[int, int] = {}
        try:
            with warnings.catch_warnings():
                # Between Pillow's limit and twice it, Pillow only warns; refuse those too.
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                image = Image.open(fp, formats=[_PIL_FORMATS[fmt]])
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            self._close_file()
            raise ImageTooLargeError(
                input_path, f"image exceeds Pillow's decompression-bomb limit: {exc}"
            ) from exc
        except _DECODE_ERRORS as exc:
            self._close_file()
            raise CorruptInputError(
                input_path, f"cannot decode {fmt.upper()} image: {_reason(exc)}"
            ) from exc
        self._image: Image.Image | None = image
        try:
            self._check_size(image.size, None)
            self.page_count: int = self._count_frames(image)
        except BaseException:
            self.close()
            raise
        self.single_image = self.page_count == 1

    def _count_frames(self, image: Image.Image) -> int:
        # Only TIFF pages are document pages: APNG/WebP animation frames and the
        # preview frames of camera MPO JPEGs are not.
        if self.format != "tiff":
            return 1
        try:
            return int(getattr(image, "n_frames", 1))
        except _DECODE_ERRORS as exc:
            raise CorruptInputError(
                self.input_path, f"TIFF page directory is damaged: {_reason(exc)}"
            ) from exc

    def _check_size(self, size: tuple[int, int], index: int | None) -> None:
        w, h = size
        if w * h > self.max_pixels:
            what = "image" if index is None else f"page {index + 1}"
            raise ImageTooLargeError(
                self.input_path,
                f"{what} is {w}x{h} = {w * h} pixels, over the {self.max_pixels} pixel limit",
            )

    def render(
        self, index: int, *, dpi: int = 144, with_text_layer: bool = False, turn: bool = False
    ) -> PageImage:
        """Decode page ``index`` (a TIFF frame; 0 for other images) as upright RGB.

        ``dpi``, ``with_text_layer`` and ``turn`` do not apply to images (pixels are used as
        they are; scale is 1.0, there is no text layer; pre-processing turns scans).

        Raises:
            CorruptInputError: the pixel data cannot be decoded.
            ImageTooLargeError: the frame exceeds the pixel limit.
        """
        from PIL import Image

        with self._lock:
            image = self._require_open(index)
            where = "image" if self.single_image else f"page {index + 1}"
            meta: dict[str, Any] = {"format": self.format}
            try:
                if index or self.page_count > 1:
                    image.seek(index)
                self._check_size(image.size, None if self.single_image else index)
                # TIFF load() turns the frame upright itself and drops the tag, so read it first.
                self._note_orientation(image, index, meta)
                image.load()
            except Image.DecompressionBombError as exc:
                raise ImageTooLargeError(self.input_path, f"{where}: {exc}") from exc
            except _DECODE_ERRORS as exc:
                raise CorruptInputError(
                    self.input_path, f"{where} cannot be decoded: {_reason(exc)}"
                ) from exc
            meta["mode"] = image.mode
            source_dpi = image.info.get("dpi")
            # Pillow reports (1, 1) for files that store no real resolution.
            if source_dpi and min(source_dpi) > 1:
                meta["source_dpi"] = tuple(float(v) for v in source_dpi)
            try:
                pixels = to_rgb_array(self._upright(image, meta))
            except _DECODE_ERRORS as exc:
                raise CorruptInputError(
                    self.input_path, f"{where} cannot be converted to RGB: {_reason(exc)}"
                ) from exc
        return PageImage(
            input_path=self.input_path,
            page_index=None if self.single_image else index,
            page_count=None if self.single_image else self.page_count,
            image=pixels,
            scale=1.0,
            text_layer=None,
            meta=meta,
        )

    def attachments(self) -> tuple[Attachment, ...]:
        """Images embed no files."""
        return ()

    def _note_orientation(self, image: Image.Image, index: int, meta: dict[str, Any]) -> None:
        if index not in self._orientations:
            try:
                value = int(image.getexif().get(_EXIF_ORIENTATION, 1))
            except _EXIF_ERRORS:
                value = 1  # _upright reports the broken EXIF block
            self._orientations[index] = value
        if 2 <= self._orientations[index] <= 8:
            meta["exif_orientation"] = self._orientations[index]

    def _upright(self, image: Image.Image, meta: dict[str, Any]) -> Image.Image:
        """Apply the EXIF orientation; a broken EXIF block leaves the pixels as stored."""
        from PIL import ImageOps

        try:
            turned = ImageOps.exif_transpose(image)
        except _EXIF_ERRORS as exc:
            note = f"EXIF orientation ignored, it cannot be read: {_reason(exc)}"
            logger.info("%s: %s", self.input_path, note)
            meta.setdefault("warnings", []).append(note)
            return image
        return image if turned is None else turned

    def _require_open(self, index: int) -> Image.Image:
        if self._image is None:
            raise InputError(self.input_path, "source is already closed")
        if not 0 <= index < self.page_count:
            raise ConfigurationError(
                f"{self.input_path}: page index {index} is out of range "
                f"(the image has {self.page_count} page{'s' if self.page_count > 1 else ''})"
            )
        return self._image

    def close(self) -> None:
        """Release the file; rendering afterwards raises :class:`InputError`."""
        with self._lock:
            if self._image is not None:
                self._image.close()
                self._image = None
            self._close_file()

    def _close_file(self) -> None:
        if self._owns_file:
            self._fp.close()

    def __enter__(self) -> ImageSource:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def to_rgb_array(image: Image.Image) -> npt.NDArray[np.uint8]:
    """An ``(h, w, 3)`` uint8 copy of ``image``: alpha over white, 16-bit and float scaled."""
    import numpy as np

    mode = image.mode
    if mode == "RGB":
        return np.array(image, dtype=np.uint8)
    if mode in ("L", "1") or mode.startswith(("I", "F")):
        gray = _gray_to_uint8(image)
        return np.repeat(gray[:, :, None], 3, axis=2)
    has_alpha = mode in ("RGBA", "RGBa", "LA", "La", "PA") or (
        mode == "P" and "transparency" in image.info
    )
    if has_alpha:
        rgba = np.array(image.convert("RGBA"), dtype=np.uint16)
        alpha = rgba[:, :, 3:4]
        blended = (rgba[:, :, :3] * alpha + 255 * (255 - alpha) + 127) // 255
        return blended.astype(np.uint8)
    return np.array(image.convert("RGB"), dtype=np.uint8)


def _gray_to_uint8(image: Image.Image) -> npt.NDArray[np.uint8]:
    import numpy as np

    if image.mode in ("L", "1"):
        return np.array(image.convert("L"), dtype=np.uint8)
    values = np.array(image)
    if image.mode == "F":
        # Float images are either 0..1 intensities or 0..255 levels.
        peak = float(values.max()) if values.size else 0.0
        factor = 255.0 if peak <= 1.0 else 1.0
        return np.clip(values * factor + 0.5, 0, 255).astype(np.uint8)
    wide = values.astype(np.int64)
    if image.mode.startswith("I;16") or int(wide.max(initial=0)) > 255:
        # 16-bit samples: map 0..65535 onto 0..255 (65535 / 257 = 255).
        peak = max(65535, int(wide.max(initial=0)))
        return np.clip((wide * 255 + peak // 2) // peak, 0, 255).astype(np.uint8)
    return np.clip(wide, 0, 255).astype(np.uint8)


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]

"""Identify an input by its first bytes, never by its name.

Pure functions over a byte prefix: :func:`sniff_format` names the supported format,
:func:`describe_unsupported` says what an unsupported prefix looks like, for error messages.
"""

from __future__ import annotations

from typing import Literal

Format = Literal["pdf", "png", "jpeg", "bmp", "webp", "tiff"]

#: How many leading bytes the sniffers look at (PDF allows its header anywhere in the first KiB).
SNIFF_BYTES = 1024

#: File extensions each format is normally saved with (lower case, with the dot).
EXTENSIONS: dict[Format, tuple[str, ...]] = {
    "pdf": (".pdf",),
    "png": (".png",),
    "jpeg": (".jpg", ".jpeg", ".jpe", ".jfif"),
    "bmp": (".bmp", ".dib"),
    "webp": (".webp",),
    "tiff": (".tif", ".tiff"),
}

#: Extensions the CLI picks up when it walks a directory.
SUPPORTED_EXTENSIONS: frozenset[str] = frozenset(
    {".pdf", ".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff"}
)

# BITMAPCOREHEADER, INFOHEADER and its V2..V5 successors: a real BMP names one of these sizes,
# which keeps a text file that happens to start with "BM" from passing as an image.
_BMP_DIB_HEADER_SIZES = frozenset({12, 16, 40, 52, 56, 64, 108, 124})

# Formats people feed a document parser by mistake, so the error can say what the file is.
_KNOWN_UNSUPPORTED: tuple[tuple[int, bytes, str], ...] = (
    (0, b"GIF87a", "a GIF image"),
    (0, b"GIF89a", "a GIF image"),
    (0, b"PK\x03\x04", "a ZIP archive (DOCX, XLSX, PPTX, ODF and EPUB are not supported)"),
    (0, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "a legacy Microsoft Office file"),
    (0, b"{\\rtf", "an RTF document"),
    (0, b"%!PS", "a PostScript file"),
    (0, b"\x00\x00\x00\x0cjP  \r\n\x87\n", "a JPEG 2000 image"),
    (0, b"\xff\x0a", "a JPEG XL image"),
    (0, b"\x00\x00\x00\x0cJXL ", "a JPEG XL image"),
    (4, b"ftypheic", "a HEIC image"),
    (4, b"ftypheix", "a HEIC image"),
    (4, b"ftypmif1", "a HEIF image"),
    (4, b"ftypavif", "an AVIF image"),
    (0, b"\x1f\x8b", "a gzip archive"),
)


def sniff_format(head: bytes) -> Format | None:
    """Return the supported format whose signature ``head`` starts with, or None.

    ``head`` should hold the first :data:`SNIFF_BYTES` bytes of the input (fewer for a
    shorter file).

    >>> sniff_format(b"%PDF-1.7\\n...")
    'pdf'
    """
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "tiff"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:2] == b"BM" and len(head) >= 18:
        if int.from_bytes(head[14:18], "little") in _BMP_DIB_HEADER_SIZES:
            return "bmp"
    # Readers accept the PDF header anywhere in the first KiB (after mail or HTTP junk).
    if b"%PDF-" in head[:SNIFF_BYTES]:
        return "pdf"
    return None


def describe_unsupported(head: bytes) -> str:
    """One phrase saying what ``head`` is (if recognisable) and how it starts.

    >>> describe_unsupported(b"GIF89a\\x01\\x00")
    "looks like a GIF image; content starts with b'GIF89a\\\\x01\\\\x00'"
    """
    shown = f"content starts with {head[:16]!r}"
    for offset, magic, what in _KNOWN_UNSUPPORTED:
        if head[offset : offset + len(magic)] == magic:
            return f"looks like {what}; {shown}"
    stripped = head.lstrip()
    if stripped[:1] == b"<":
        return f"looks like HTML, XML or SVG text; {shown}"
    if _looks_like_text(head):
        return f"looks like plain text; {shown}"
    return shown


def extension_matches(suffix: str, fmt: Format) -> bool:
    """True when the file extension ``suffix`` (e.g. ``".JPG"``) is usual for ``fmt``."""
    return suffix.lower() in EXTENSIONS[fmt]


def _looks_like_text(head: bytes) -> bool:
    if not head:
        return False
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        # A multi-byte character may be cut at the end of the prefix.
        try:
            text = head[:-3].decode("utf-8")
        except UnicodeDecodeError:
            return False
    return all(ch.isprintable() or ch in "\r\n\t\f" for ch in text)

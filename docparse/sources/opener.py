"""Turn a path, bytes or a binary file object into an opened :class:`Source`.

The content decides the reader: a PNG named ``scan.pdf`` is read as a PNG (and logged),
a text file named ``x.pdf`` is refused with what its content looks like.
"""

from __future__ import annotations

import io
import logging
import os
from pathlib import Path
from typing import IO, BinaryIO

from docparse.display import display_path, display_text
from docparse.errors import (
    EmptyDocumentError,
    InputError,
    InputNotFoundError,
    UnsupportedFormatError,
)
from docparse.sources.image import ImageSource
from docparse.sources.pdf import PdfSource
from docparse.sources.sniff import (
    EXTENSIONS,
    SNIFF_BYTES,
    Format,
    describe_unsupported,
    extension_matches,
    sniff_format,
)

logger = logging.getLogger(__name__)

SourceInput = str | os.PathLike[str] | bytes | BinaryIO | IO[bytes]

_SUPPORTED = "PDF, PNG, JPEG, BMP, WebP or TIFF"


def open_source(
    source: SourceInput,
    *,
    password: str | None = None,
    name: str | None = None,
) -> PdfSource | ImageSource:
    """Open ``source`` as a :class:`PdfSource` or :class:`ImageSource`, chosen by content.

    Both satisfy :class:`docparse.sources.Source` and are context managers.

    A path is kept open and read lazily; bytes and file objects are read into memory
    (a file object is not closed). ``input_path`` is the path, or ``name`` (a file
    object's own ``name`` if it has one) or ``"<bytes>"`` for in-memory input.

    Raises:
        InputNotFoundError: the path does not exist or is a directory.
        EmptyDocumentError: zero bytes, or a PDF without pages.
        UnsupportedFormatError: the content is not a PDF or supported image.
        CorruptInputError, PasswordError, ImageTooLargeError: see the sources.

    Example::

        with open_source("scan.tiff") as src:
            first = src.render(0, dpi=144, with_text_layer=False)
    """
    if isinstance(source, (str, os.PathLike)):
        return _open_path(Path(source), password)
    if isinstance(source, (bytes, bytearray, memoryview)):
        return _open_bytes(bytes(source), display_text(name) if name else "<bytes>", password)
    return _open_bytes(read_stream(source, name), stream_name(source, name), password)


def _open_path(path: Path, password: str | None) -> PdfSource | ImageSource:
    label = display_path(path)  # the path itself still opens the file; the label is text
    if path.is_dir():
        raise InputNotFoundError(label, "is a directory, not a file")
    try:
        with path.open("rb") as fh:
            head = fh.read(SNIFF_BYTES)
    except FileNotFoundError:
        raise InputNotFoundError(label, "no such file") from None
    except OSError as exc:
        raise InputError(label, f"cannot read: {exc.strerror or exc}") from exc
    fmt = _sniff(head, label, path.suffix)
    if fmt == "pdf":
        return PdfSource(path, input_path=label, password=password)
    try:
        fh = path.open("rb")
    except OSError as exc:
        raise InputError(label, f"cannot read: {exc.strerror or exc}") from exc
    return ImageSource(fh, input_path=label, fmt=fmt, owns_file=True)


def _open_bytes(data: bytes, label: str, password: str | None) -> PdfSource | ImageSource:
    fmt = _sniff(data[:SNIFF_BYTES], label, Path(label).suffix)
    if fmt == "pdf":
        return PdfSource(data, input_path=label, password=password)
    return ImageSource(io.BytesIO(data), input_path=label, fmt=fmt, owns_file=True)


def _sniff(head: bytes, label: str, suffix: str) -> Format:
    if not head:
        raise EmptyDocumentError(label, "empty file (0 bytes)")
    fmt = sniff_format(head)
    if fmt is None:
        raise UnsupportedFormatError(
            label, f"not a {_SUPPORTED} file ({describe_unsupported(head)})"
        )
    if suffix and not extension_matches(suffix, fmt) and _is_known_suffix(suffix):
        # Mislabelled files are common (a scan saved as .pdf); the content is what counts.
        logger.info(
            "%s: content is %s despite the %s extension; reading it as %s",
            label,
            fmt.upper(),
            suffix,
            fmt.upper(),
        )
    return fmt


def _is_known_suffix(suffix: str) -> bool:
    return any(suffix.lower() in exts for exts in EXTENSIONS.values())


def read_stream(stream: BinaryIO | IO[bytes], name: str | None) -> bytes:
    """A binary file object's content (refusing text-mode and closed objects clearly)."""
    label = stream_name(stream, name)
    if isinstance(stream, io.TextIOBase):
        # Checked before reading: reading a PDF in text mode raises UnicodeDecodeError.
        raise InputError(label, "file object is in text mode; open it with 'rb'")
    if getattr(stream, "closed", False) is True:
        raise InputError(label, "file object is closed")
    try:
        data = stream.read()
    except OSError as exc:
        raise InputError(label, f"cannot read: {exc}") from exc
    except ValueError as exc:  # closed, or not readable (opened for writing only)
        raise InputError(label, f"cannot read the file object: {exc}") from exc
    except AttributeError:
        raise InputError(
            label,
            f"expected a path, bytes or a binary file object, got {type(stream).__name__}",
        ) from None
    if isinstance(data, str):
        raise InputError(label, "file object is in text mode; open it with 'rb'")
    if not isinstance(data, (bytes, bytearray)):
        raise InputError(label, f"file object returned {type(data).__name__}, not bytes")
    return bytes(data)


def stream_name(stream: object, name: str | None) -> str:
    if name:
        return display_text(name)
    own = getattr(stream, "name", None)
    return display_text(own) if isinstance(own, str) and own else "<bytes>"

"""The output-format registry: the one interface every output format implements.

JSON, Markdown, layout pictures (and any later format) are :class:`Exporter` objects that
:mod:`docparse.export` registers here; ``import docparse`` imports it, so the registry is full
before any document exists. ``Document.save_to_*``,
``Document.to_markdown``, the CLI and the service all look formats up by name here, so the
result model never imports output code (no ``document`` ↔ ``export`` cycle).

An exporter is pure: it turns a document into files (relative path → bytes) and does no I/O of
its own; writing them, safely and all-or-none, is :func:`save`'s job. Formats that draw pages
(layout pictures, the HTML viewer) get the page pictures through ``ExportRequest.pages``, an
injectable edge.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from docparse.errors import ConfigurationError

if TYPE_CHECKING:
    from docparse.document import Document, Page

#: A page's picture at its parsed size (PNG or JPEG bytes), or an error if it cannot be had.
PageImages = Callable[["Page"], bytes]


@dataclass(frozen=True)
class ExportRequest:
    #: File-name stem (``report`` for ``report.pdf``); None: derived from the document.
    stem: str | None = None
    #: One file per page where the format has that notion (Markdown).
    per_page: bool = False
    #: Folder pictures are referenced under, relative to the output (default ``imgs/<stem>``).
    image_dir: str | None = None
    #: Page pictures, for formats that draw pages (None: the exporter asks the document's origin).
    pages: PageImages | None = None


@dataclass(frozen=True)
class ExportFiles:
    """What a format produces for one document."""

    #: POSIX paths relative to the output folder → content.
    files: dict[str, bytes]
    #: Folders the format owns for this document (``imgs/<stem>``): after writing, the files
    #: an earlier write put there and this one no longer has are removed, so pictures of an
    #: earlier run do not linger (files docparse did not write there are left alone).
    owned_dirs: tuple[str, ...] = ()


class Exporter(Protocol):
    #: The name users pick it by (``--format``, ``save_to_<name>``): ``json``, ``md``, ``img``.
    name: str
    #: Sub-folder of the output folder its files go to in a batch (``""``: the folder itself).
    subdir: str

    def render(self, document: Document, request: ExportRequest) -> ExportFiles:
        """The format's files (no I/O here, except through ``request.pages``)."""
        ...


class Writer(Protocol):
    def __call__(
        self, document: Document, target: Path, formats: Sequence[str], request: ExportRequest
    ) -> list[Path]: ...


_EXPORTERS: dict[str, Exporter] = {}
_WRITER: list[Writer] = []


def register(exporter: Exporter) -> Exporter:
    """Add (or replace) a format. Returns it, so it can decorate an instance's creation."""
    _EXPORTERS[exporter.name] = exporter
    return exporter


def register_writer(writer: Writer) -> None:
    _WRITER[:] = [writer]


def names() -> tuple[str, ...]:
    return tuple(sorted(_EXPORTERS))


def get(name: str) -> Exporter:
    try:
        return _EXPORTERS[name]
    except KeyError:
        raise ConfigurationError(
            f"unknown output format {name!r}; choose from {', '.join(names())}") from None


def save(
    document: Document, target: str | Path, formats: Sequence[str], request: ExportRequest
) -> list[Path]:
    """Write ``formats`` of ``document`` under ``target`` (a folder, or a file path of the
    format's suffix); every file replaced atomically, all or none."""
    for name in formats:
        get(name)
    return _WRITER[0](document, Path(target), formats, request)

"""Writing a document's files: every format rendered first, then all files staged beside their
destinations and renamed into place, so a failure (disk full, permissions) leaves the earlier
outputs as they were rather than a JSON without its Markdown."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from docparse import formats as registry
from docparse.document import Document
from docparse.errors import OutputError
from docparse.export.atomic import file_mode
from docparse.formats import ExportRequest

#: A single-format target given as a file path: the suffix that says so.
_FILE_SUFFIX = {"json": ".json", "md": ".md", "html": ".html"}


def write_document(
    document: Document,
    target: Path,
    names: Sequence[str],
    request: ExportRequest,
    *,
    subdirs: bool = False,
) -> list[Path]:
    """Write ``names`` formats under the folder ``target`` (or to the file ``target`` when one
    format with that suffix is asked for). ``subdirs`` puts formats in their own sub-folder
    (``layout/`` for pictures of pages), as a batch does. Returns the files written, pictures
    referenced by Markdown excepted."""
    folder = target
    if target.suffix:
        if len(names) == 1 and _FILE_SUFFIX.get(names[0]) == target.suffix.lower():
            folder = target.parent
            if request.stem is None:
                request = ExportRequest(stem=target.stem, per_page=request.per_page,
                                        image_dir=request.image_dir, pages=request.pages)
        else:
            raise OutputError(f"{target}: {', '.join(names)} output needs a folder")
    plan: dict[Path, bytes] = {}
    owned: list[tuple[Path, set[Path]]] = []
    listed: list[Path] = []
    for name in names:
        exporter = registry.get(name)
        base = folder / exporter.subdir if subdirs and exporter.subdir else folder
        out = exporter.render(document, request)
        for rel, data in out.files.items():
            path = base.joinpath(*PurePosixPath(rel).parts)
            plan[path] = data
        for rel in out.owned_dirs:
            d = base.joinpath(*PurePosixPath(rel).parts)
            owned.append((d, {p for p in plan if p.parent == d}))
        owned_roots = {d for d, _ in owned}
        listed += [base.joinpath(*PurePosixPath(r).parts) for r in out.files
                   if base.joinpath(*PurePosixPath(r).parts).parent not in owned_roots]
    _commit(plan)
    for d, keep in owned:
        _prune(d, keep)
    return listed


def _commit(plan: dict[Path, bytes]) -> None:
    """Stage every file, then rename them all; on any failure nothing is replaced."""
    staged: list[tuple[str, Path]] = []
    try:
        for path, data in plan.items():
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            except OSError as exc:
                raise OutputError(f"{path}: cannot write: {exc.strerror or exc}") from exc
            staged.append((tmp, path))
            try:
                os.fchmod(fd, file_mode())
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                    fh.flush()
                    os.fsync(fh.fileno())
            except OSError as exc:
                raise OutputError(f"{path}: cannot write: {exc.strerror or exc}") from exc
        for tmp, path in staged:
            try:
                os.replace(tmp, path)
            except OSError as exc:
                raise OutputError(f"{path}: cannot write: {exc.strerror or exc}") from exc
    finally:
        for tmp, _ in staged:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def _prune(folder: Path, keep: set[Path]) -> None:
    """Remove files of an earlier run from a folder the format owns (pictures no longer
    referenced)."""
    if not folder.is_dir():
        return
    for entry in folder.iterdir():
        if entry not in keep and entry.is_file() and not entry.is_symlink():
            with contextlib.suppress(OSError):
                entry.unlink()


def write(
    document: Document, target: Path, formats: Sequence[str], request: ExportRequest
) -> list[Path]:
    """:class:`docparse.formats.Writer` for ``Document.save_to_*``."""
    return write_document(document, target, formats, request)

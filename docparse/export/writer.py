"""Writing a document's files: every format rendered first, then all files staged beside their
destinations and renamed into place, so a failure (disk full, permissions, a folder where a file
should go) leaves the earlier outputs as they were rather than a JSON without its Markdown.

The writer only ever writes inside the folder it is given (an exporter's path that would
leave it is refused) and only removes files it wrote itself: a folder a format owns
(``imgs/<stem>``) keeps a small list of the files docparse put there (:data:`OWNED_LIST`),
and only those, when no longer produced, are removed by a later write.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from docparse import formats as registry
from docparse.document import Document
from docparse.errors import OutputError
from docparse.export.atomic import file_mode
from docparse.formats import ExportRequest

#: A single-format target given as a file path: the suffix that says so.
_FILE_SUFFIX = {"json": ".json", "md": ".md", "html": ".html"}
#: In a folder a format owns (``imgs/<stem>``): the names of the files docparse wrote there.
OWNED_LIST = ".docparse-files"


@dataclass(frozen=True)
class OwnedDir:
    """A folder a format owns for one document, and the names it holds after this write."""

    path: Path
    names: frozenset[str]


@dataclass(frozen=True)
class WritePlan:
    """Every file of one document, rendered and ready to be written all or none."""

    #: Destination → content (owned folders' lists included).
    files: dict[Path, bytes] = field(default_factory=dict)
    owned: tuple[OwnedDir, ...] = ()
    #: The files a caller asked for (pictures referenced by Markdown and lists excepted).
    listed: tuple[Path, ...] = ()

    def __add__(self, other: WritePlan) -> WritePlan:
        return WritePlan({**self.files, **other.files}, self.owned + other.owned,
                         self.listed + tuple(p for p in other.listed if p not in self.listed))


def safe_join(folder: Path, rel: str) -> Path:
    """``folder/rel`` for a relative POSIX path that stays inside ``folder``; anything else (an
    absolute path, ``..``, an empty or ``.`` part, a backslash or NUL) is refused."""
    parts = PurePosixPath(rel).parts
    if (not parts or rel.startswith("/") or "\\" in rel or "\x00" in rel
            or any(p in ("", ".", "..") for p in rel.split("/"))):
        raise OutputError(f"{folder}: refusing to write {rel!r}: not a path inside the folder")
    return folder.joinpath(*parts)


def plan_document(
    document: Document,
    target: Path,
    names: Sequence[str],
    request: ExportRequest,
    *,
    subdirs: bool = False,
) -> WritePlan:
    """Render ``names`` formats of ``document`` for :func:`write_document` (no I/O)."""
    folder = target
    if target.suffix:
        if len(names) == 1 and _FILE_SUFFIX.get(names[0]) == target.suffix.lower():
            folder = target.parent
            if request.stem is None:
                request = ExportRequest(stem=target.stem, per_page=request.per_page,
                                        image_dir=request.image_dir, pages=request.pages)
        else:
            raise OutputError(f"{target}: {', '.join(names)} output needs a folder")
    files: dict[Path, bytes] = {}
    owned: list[OwnedDir] = []
    listed: list[Path] = []
    for name in names:
        exporter = registry.get(name)
        base = safe_join(folder, exporter.subdir) if subdirs and exporter.subdir else folder
        out = exporter.render(document, request)
        paths = {safe_join(base, rel): data for rel, data in out.files.items()}
        files.update(paths)
        roots = [safe_join(base, rel) for rel in out.owned_dirs]
        for d in roots:
            inside = frozenset(p.name for p in paths if p.parent == d)
            owned.append(OwnedDir(d, inside))
            if inside:  # no pictures: no folder made just to list none
                files[d / OWNED_LIST] = json.dumps({"files": sorted(inside)}, indent=1).encode()
        listed += [p for p in paths if p.parent not in roots]
    return WritePlan(files, tuple(owned), tuple(listed))


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
    plan = plan_document(document, target, names, request, subdirs=subdirs)
    commit(plan)
    return list(plan.listed)


def commit(plan: WritePlan) -> None:
    """Write every file of ``plan``, all or none, then remove the files an earlier write put
    in the plan's owned folders that this one no longer has."""
    earlier = {d.path: owned_names(d.path) for d in plan.owned}
    _commit(plan.files)
    for d in plan.owned:
        _prune(d.path, earlier[d.path] - d.names)
        if not d.names and earlier[d.path]:
            # Nothing of ours left: the list goes, and the folder if that emptied it.
            with contextlib.suppress(OSError):
                (d.path / OWNED_LIST).unlink()
                d.path.rmdir()


def _commit(plan: dict[Path, bytes]) -> None:
    """Stage every file, then rename them all; on any failure the files already renamed are
    put back as they were, so nothing is replaced."""
    staged: list[tuple[str, Path]] = []
    backups: list[tuple[Path, Path | None]] = []
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
                if path.is_dir() and not path.is_symlink():
                    raise IsADirectoryError(21, "a folder is in the way")
                backups.append((path, _backup(path)))
                os.replace(tmp, path)
            except OSError as exc:
                _restore(backups)
                raise OutputError(f"{path}: cannot write: {exc.strerror or exc}") from exc
    finally:
        for tmp, _ in staged:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        for _, backup in backups:
            if backup is not None:
                with contextlib.suppress(OSError):
                    os.unlink(backup)


def _backup(path: Path) -> Path | None:
    """A second name for the file about to be replaced (None: there is none), to put it back
    if a later file of the same document cannot be written."""
    if not os.path.lexists(path):
        return None
    backup = path.with_name(f".{path.name}.{secrets.token_hex(4)}.bak")
    try:
        os.link(path, backup, follow_symlinks=False)
    except (OSError, NotImplementedError):  # no hard links here (FAT, some shares): copy
        shutil.copy2(path, backup, follow_symlinks=False)
    return backup


def _restore(backups: list[tuple[Path, Path | None]]) -> None:
    for path, backup in reversed(backups):
        with contextlib.suppress(OSError):
            if backup is None:
                os.unlink(path)
            else:
                os.replace(backup, path)


def owned_names(folder: Path) -> frozenset[str]:
    """The files docparse listed as its own in ``folder`` (none if it never wrote there)."""
    try:
        data = json.loads((folder / OWNED_LIST).read_text(encoding="utf-8"))
        names = data["files"]
    except (OSError, ValueError, TypeError, KeyError):
        return frozenset()
    if not isinstance(names, list):
        return frozenset()
    return frozenset(n for n in names if isinstance(n, str) and _is_plain_name(n))


def _is_plain_name(name: str) -> bool:
    return name not in ("", ".", "..", OWNED_LIST) and "/" not in name and "\\" not in name


def _prune(folder: Path, names: Iterable[str]) -> None:
    """Remove files docparse wrote to ``folder`` earlier that it no longer writes (pictures no
    longer referenced); anything else there is left alone."""
    for name in names:
        entry = folder / name
        if entry.is_file() and not entry.is_symlink():
            with contextlib.suppress(OSError):
                entry.unlink()


def write(
    document: Document, target: Path, formats: Sequence[str], request: ExportRequest
) -> list[Path]:
    """:class:`docparse.formats.Writer` for ``Document.save_to_*``."""
    return write_document(document, target, formats, request)

"""Safe extraction of model archives (tar, any compression, and zip), and safe reads of local
model trees.

Model archives hold plain files and folders only (the official ``<name>_infer.tar`` has one
folder of regular files; docparse bundles are written that way), so anything else is refused
before a single byte is written: symbolic and hard links, device files, FIFOs, absolute names,
drive letters, ``..`` components, duplicate names. Checking link targets as text is not enough
(a chain ``l1 -> .``, ``l1/l1/l1/l4 -> ../../../x``, then a file ``l4`` passes every textual
check and writes through the link), so extraction never creates a link and never follows one:

- members are written into a fresh private directory (``mkdtemp`` next to the destination);
- every folder is opened relative to its parent's descriptor with ``O_NOFOLLOW|O_DIRECTORY``
  and every file is created with ``O_CREAT|O_EXCL|O_NOFOLLOW``, so even a link planted by
  someone else while we extract is refused instead of followed;
- the finished directory is renamed onto the destination in one step.

Tar members also pass :func:`tarfile.data_filter` (the standard library's reference policy),
which refuses anything our own checks might have missed. Regular files get mode 0644 (0755 if
executable); ownership is never applied.

Local trees (``--from DIR``, the cache when writing a bundle) are read through
:func:`regular_file_inside`: the file's real path must stay inside the tree and be a regular file.
"""

from __future__ import annotations

import os
import shutil
import stat
import tarfile
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

from docparse.errors import ModelFetchError

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_NEW_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
_DATA_FILTER: Callable[[tarfile.TarInfo, str], tarfile.TarInfo | None] | None = getattr(
    tarfile, "data_filter", None
)


@dataclass(frozen=True)
class _Member:
    """One archive member reduced to what is extracted: a folder or a regular file."""

    parts: tuple[str, ...]
    is_dir: bool
    executable: bool
    handle: tarfile.TarInfo | zipfile.ZipInfo


def member_parts(archive: Path, name: str) -> tuple[str, ...]:
    """The path components of a member name, or :class:`ModelFetchError` when it is unsafe.

    Backslashes count as separators (a Windows-made archive must not smuggle ``..\\``).
    """
    text = name.replace("\\", "/")
    p = PurePosixPath(text)
    parts = tuple(part for part in p.parts if part not in ("", "."))
    if p.is_absolute() or ".." in parts or (parts and ":" in parts[0]) or "\0" in text or not parts:
        raise ModelFetchError(f"{archive}: unsafe member path {name!r}; archive refused")
    return parts


def _tar_members(archive: Path, tf: tarfile.TarFile, dest: Path) -> list[_Member]:
    try:
        infos = tf.getmembers()
    except (OSError, tarfile.TarError, EOFError) as exc:
        raise ModelFetchError(f"{archive}: damaged tar archive: {exc}") from exc
    members = []
    for m in infos:
        parts = member_parts(archive, m.name)
        if m.issym() or m.islnk():
            raise ModelFetchError(
                f"{archive}: link {m.name!r} -> {m.linkname!r}; model archives hold plain "
                "files only, refused"
            )
        if not (m.isfile() or m.isdir()):
            raise ModelFetchError(f"{archive}: special file {m.name!r} (device/FIFO); refused")
        if _DATA_FILTER is not None:
            # The standard library's reference policy on top of ours (ours is stricter; kept
            # so a gap in our checks is still caught). Python < 3.10.12 lacks it.
            try:
                _DATA_FILTER(m, str(dest))
            except tarfile.TarError as exc:  # FilterError derives from TarError
                raise ModelFetchError(f"{archive}: member {m.name!r} refused: {exc}") from exc
        members.append(_Member(parts, m.isdir(), bool(m.mode & 0o111), m))
    return members


def _zip_members(archive: Path, zf: zipfile.ZipFile) -> list[_Member]:
    members = []
    for info in zf.infolist():
        parts = member_parts(archive, info.filename)
        mode = info.external_attr >> 16  # Unix mode when the archive was made on Unix
        kind = stat.S_IFMT(mode)
        if kind == stat.S_IFLNK:
            raise ModelFetchError(
                f"{archive}: link {info.filename!r}; model archives hold plain files only, refused"
            )
        if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
            raise ModelFetchError(
                f"{archive}: special file {info.filename!r} (device/FIFO); refused"
            )
        if info.flag_bits & 0x1:
            raise ModelFetchError(f"{archive}: member {info.filename!r} is encrypted; refused")
        is_dir = info.is_dir() or kind == stat.S_IFDIR
        members.append(_Member(parts, is_dir, bool(mode & 0o111) and not is_dir, info))
    return members


def _check_layout(archive: Path, members: list[_Member]) -> None:
    """Refuse duplicates and a file used as a folder: either would make extraction order
    matter, and a second write to one name is exactly what a link attack needs."""
    files: set[tuple[str, ...]] = set()
    dirs: set[tuple[str, ...]] = set()
    for m in members:
        if m.is_dir:
            if m.parts in files:
                raise ModelFetchError(f"{archive}: {'/'.join(m.parts)!r} is a file and a folder")
            dirs.add(m.parts)
            continue
        if m.parts in files or m.parts in dirs:
            raise ModelFetchError(f"{archive}: duplicate member {'/'.join(m.parts)!r}; refused")
        files.add(m.parts)
        dirs.update(m.parts[:i] for i in range(1, len(m.parts)))
    clash = files & dirs
    if clash:
        raise ModelFetchError(f"{archive}: {'/'.join(min(clash))!r} is a file and a folder")


class _DirFds:
    """Descriptors of the folders made so far, each opened relative to its parent without
    following links."""

    def __init__(self, root_fd: int) -> None:
        self.fds: dict[tuple[str, ...], int] = {(): root_fd}

    def get(self, parts: tuple[str, ...]) -> int:
        fd = self.fds.get(parts)
        if fd is not None:
            return fd
        parent = self.get(parts[:-1])
        try:
            os.mkdir(parts[-1], 0o755, dir_fd=parent)
        except FileExistsError:
            pass
        fd = os.open(parts[-1], _DIR_FLAGS, dir_fd=parent)  # ELOOP/ENOTDIR on a link or file
        self.fds[parts] = fd
        return fd

    def close(self) -> None:
        for fd in self.fds.values():
            os.close(fd)
        self.fds.clear()


def _open_archive(archive: Path) -> tarfile.TarFile | zipfile.ZipFile:
    try:
        if zipfile.is_zipfile(archive):
            return zipfile.ZipFile(archive)
        return tarfile.open(archive, "r:*")
    except (OSError, tarfile.TarError, zipfile.BadZipFile) as exc:
        raise ModelFetchError(f"{archive}: not a readable tar or zip archive: {exc}") from exc


def is_archive(path: Path) -> bool:
    """True for a file that :func:`safe_extract` can open (tar, any compression, or zip)."""
    try:
        return path.is_file() and (zipfile.is_zipfile(path) or tarfile.is_tarfile(path))
    except OSError:
        return False


@contextmanager
def _private_dir(dest: Path) -> Iterator[Path]:
    """A fresh ``0700`` directory beside ``dest``; removed unless it was renamed away."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".extract", dir=dest.parent))
    try:
        yield tmp
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)  # fd-based on Linux: never follows links


def safe_extract(archive: Path, dest: Path) -> list[Path]:
    """Extract ``archive`` into ``dest`` (which must not exist, or be an empty folder); return
    the files written. Nothing is written anywhere if a member is refused.

    >>> safe_extract(Path("PP-DocLayoutV2_infer.tar"), Path("/tmp/x"))  # doctest: +SKIP
    [PosixPath('/tmp/x/PP-DocLayoutV2_infer/inference.json'), ...]
    """
    archive, dest = Path(archive), Path(dest)
    handle = _open_archive(archive)
    with handle:
        if isinstance(handle, zipfile.ZipFile):
            members = _zip_members(archive, handle)
        else:
            members = _tar_members(archive, handle, dest)
        _check_layout(archive, members)
        if dest.is_symlink() or (dest.exists() and (not dest.is_dir() or any(dest.iterdir()))):
            raise ModelFetchError(f"{dest}: extraction target exists and is not an empty folder")
        with _private_dir(dest) as tmp:
            rel = _extract_into(archive, handle, members, tmp)
            if dest.is_dir():
                dest.rmdir()
            try:
                os.rename(tmp, dest)  # atomic; fails rather than merges if dest reappeared
            except OSError as exc:
                raise ModelFetchError(f"{dest}: cannot move the extracted files in: {exc}") from exc
    root = dest.resolve()
    return [root.joinpath(*parts) for parts in rel]


def _extract_into(
    archive: Path,
    handle: tarfile.TarFile | zipfile.ZipFile,
    members: list[_Member],
    tmp: Path,
) -> list[tuple[str, ...]]:
    fds = _DirFds(os.open(tmp, _DIR_FLAGS))
    written: list[tuple[str, ...]] = []
    try:
        for m in members:
            if m.is_dir:
                fds.get(m.parts)
                continue
            parent = fds.get(m.parts[:-1])
            mode = 0o755 if m.executable else 0o644
            fd = os.open(m.parts[-1], _NEW_FILE_FLAGS, mode, dir_fd=parent)
            with os.fdopen(fd, "wb") as out:
                src = _read_member(archive, handle, m)
                with src:
                    shutil.copyfileobj(src, out, 1 << 20)
                os.fchmod(out.fileno(), mode)  # umask must not make a model unreadable
            written.append(m.parts)
    except (OSError, tarfile.TarError, zipfile.BadZipFile, EOFError) as exc:
        raise ModelFetchError(f"{archive}: extraction failed: {exc}") from exc
    finally:
        fds.close()
    return written


def _read_member(archive: Path, handle: tarfile.TarFile | zipfile.ZipFile, m: _Member) -> IO[bytes]:
    if isinstance(handle, zipfile.ZipFile):
        assert isinstance(m.handle, zipfile.ZipInfo)
        return handle.open(m.handle)
    assert isinstance(m.handle, tarfile.TarInfo)
    fh = handle.extractfile(m.handle)
    if fh is None:
        raise ModelFetchError(f"{archive}: cannot read member {m.handle.name!r}")
    return fh


def regular_file_inside(root: Path, rel: str | Path, *, origin: str) -> Path:
    """The real path of ``root/rel`` when it is a regular file inside ``root``'s real path.

    Links that stay inside the tree are fine (their target is returned); a link leading out
    of it, a device, a FIFO or a socket raises :class:`ModelFetchError` (a FIFO or
    ``/dev/zero`` would hang the copy; a link to ``~/.ssh/id_rsa`` would put a private file
    into the cache and from there into bundles).
    """
    real_root = Path(os.path.realpath(root))
    real = Path(os.path.realpath(Path(root) / rel))
    if not real.is_relative_to(real_root):
        raise ModelFetchError(f"{origin}: {rel} links outside {root} (to {real}); refused")
    try:
        st = os.lstat(real)
    except OSError as exc:
        raise ModelFetchError(f"{origin}: {rel}: {exc.strerror}") from exc
    if not stat.S_ISREG(st.st_mode):
        raise ModelFetchError(f"{origin}: {rel} is not a regular file; refused")
    return real


def open_regular(path: Path, *, origin: str) -> IO[bytes]:
    """Open ``path`` for reading without following a final link; refuse non-regular files."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise ModelFetchError(
            f"{origin}: {path}: cannot open without following links: {exc}"
        ) from exc
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise ModelFetchError(f"{origin}: {path} is not a regular file; refused")
    return os.fdopen(fd, "rb")


__all__ = ["is_archive", "member_parts", "open_regular", "regular_file_inside", "safe_extract"]

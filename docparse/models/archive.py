"""Safe tar extraction: every member is checked before a single byte is written.

Refused: absolute names, ``..`` components, drive letters, device files and FIFOs, and links
whose target would leave the extraction directory. Regular files get mode 0644 (0755 if
executable); ownership is never applied.
"""

from __future__ import annotations

import os
import shutil
import tarfile
from pathlib import Path, PurePosixPath

from docparse.errors import ModelFetchError


def _member_path(archive: Path, name: str) -> PurePosixPath:
    p = PurePosixPath(name.replace("\\", "/"))
    parts = [part for part in p.parts if part not in ("", ".")]
    if p.is_absolute() or ".." in parts or (parts and ":" in parts[0]):
        raise ModelFetchError(f"{archive}: unsafe member path {name!r}; archive refused")
    return PurePosixPath(*parts) if parts else PurePosixPath(".")


def _inside(target: PurePosixPath) -> bool:
    """True when a relative path, with ``..`` resolved lexically, stays inside the root."""
    depth = 0
    for part in target.parts:
        if part == "..":
            depth -= 1
            if depth < 0:
                return False
        elif part not in ("", "."):
            depth += 1
    return not target.is_absolute()


def check_members(archive: Path, members: list[tarfile.TarInfo]) -> None:
    """Raise :class:`ModelFetchError` naming the first member that could escape or is special."""
    for m in members:
        rel = _member_path(archive, m.name)
        if m.isdev() or m.isfifo() or not (m.isfile() or m.isdir() or m.issym() or m.islnk()):
            raise ModelFetchError(f"{archive}: special file {m.name!r} (device/FIFO); refused")
        if m.issym():
            link = PurePosixPath(m.linkname.replace("\\", "/"))
            if link.is_absolute() or not _inside(rel.parent / link):
                raise ModelFetchError(
                    f"{archive}: link {m.name!r} -> {m.linkname!r} leaves the archive; refused"
                )
        if m.islnk():
            _member_path(archive, m.linkname)


def safe_extract(archive: Path, dest: Path) -> list[Path]:
    """Extract ``archive`` (any tar compression) into ``dest``; return the files written.

    >>> safe_extract(Path("PP-DocLayoutV2_infer.tar"), Path("/tmp/x"))  # doctest: +SKIP
    [PosixPath('/tmp/x/PP-DocLayoutV2_infer/inference.json'), ...]
    """
    try:
        tf = tarfile.open(archive, "r:*")
    except (OSError, tarfile.TarError) as exc:
        raise ModelFetchError(f"{archive}: not a readable tar archive: {exc}") from exc
    written: list[Path] = []
    with tf:
        try:
            members = tf.getmembers()
        except (OSError, tarfile.TarError, EOFError) as exc:
            raise ModelFetchError(f"{archive}: damaged tar archive: {exc}") from exc
        check_members(archive, members)
        dest.mkdir(parents=True, exist_ok=True)
        root = dest.resolve()
        for m in members:
            out = root / _member_path(archive, m.name)
            if m.isdir():
                out.mkdir(parents=True, exist_ok=True)
                continue
            out.parent.mkdir(parents=True, exist_ok=True)
            # A symlinked parent directory could redirect a later member outside the root.
            if not out.parent.resolve().is_relative_to(root):
                raise ModelFetchError(f"{archive}: member {m.name!r} escapes through a link")
            if m.issym():
                os.symlink(m.linkname, out)
                continue
            source = tf.getmember(m.linkname) if m.islnk() else m
            try:
                fh = tf.extractfile(source)
                if fh is None:
                    raise ModelFetchError(f"{archive}: cannot read member {m.name!r}")
                with fh, open(out, "wb") as of:
                    shutil.copyfileobj(fh, of, 1 << 20)
            except (OSError, tarfile.TarError, EOFError) as exc:
                raise ModelFetchError(f"{archive}: reading {m.name!r} failed: {exc}") from exc
            os.chmod(out, 0o755 if source.mode & 0o111 else 0o644)
            written.append(out)
    return written

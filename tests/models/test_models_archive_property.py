"""Property: whatever members a tar or zip model archive holds (odd names, absolute paths,
``..``, backslashes, symlinks, hard links, link chains, device files, FIFOs), extracting it
with the product's :func:`safe_extract` creates or changes nothing outside the target folder,
and either succeeds with plain files only or refuses with :class:`ModelFetchError`."""

from __future__ import annotations

import io
import os
import shutil
import stat
import tarfile
import tempfile
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from docparse.errors import ModelFetchError
from docparse.models.archive import safe_extract

#: Stands for the sandbox's ``outside`` folder in absolute names and link targets.
OUT = "{OUT}"
KINDS = ("file", "dir", "symlink", "hardlink", "chardev", "blockdev", "fifo")


@dataclass(frozen=True)
class M:
    name: str
    kind: str
    target: str = ""


segment = st.sampled_from(["a", "b", "l1", "l4", "..", ".", "", "x.bin", "c:", "\\..", "a\\b"])
rel_name = st.lists(segment, min_size=1, max_size=6).map("/".join)
name = st.one_of(
    rel_name,
    rel_name.map(lambda n: "/" + n),
    rel_name.map(lambda n: f"{OUT}/{n}"),
    st.just(f"{OUT}/victim.txt"),
)
target = st.one_of(
    rel_name,
    st.integers(1, 6).map(lambda k: "../" * k + "outside/victim.txt"),
    st.integers(1, 6).map(lambda k: "../" * k + "outside"),
    st.just(OUT),
    st.just(f"{OUT}/victim.txt"),
    st.just("."),
)
member = st.builds(M, name, st.sampled_from(KINDS), target)


@st.composite
def link_chain(draw: st.DrawFn) -> list[M]:
    """``l1 -> .``, then a link ``l1/.../lN`` climbing ``k`` levels, then a member written
    through it: each link looks harmless next to its own name."""
    depth = draw(st.integers(1, 5))
    climb = draw(st.integers(1, 6))
    leaf = draw(st.sampled_from(["outside/victim.txt", "outside", "outside/new.txt"]))
    kind = draw(st.sampled_from(["symlink", "hardlink"]))
    last = draw(st.sampled_from(["l4", "l4/new.txt"]))
    return [
        M("l1", "symlink", "."),
        M("/".join(["l1"] * depth + ["l4"]), kind, "../" * climb + leaf),
        M(last, "file"),
    ]


members = st.one_of(
    st.lists(member, min_size=1, max_size=8),
    st.tuples(link_chain(), st.lists(member, max_size=3)).map(lambda t: t[0] + t[1]),
)

CHAIN = [
    M("l1", "symlink", "."),
    M("l1/l1/l1/l1/l4", "symlink", "../../../../outside/victim.txt"),
    M("l4", "file"),
]
HARDLINK_OUT = [M("h", "hardlink", f"{OUT}/victim.txt"), M("h", "file")]
DIR_LINK = [M("d", "symlink", "../../../../outside"), M("d/new.txt", "file")]


def _sandbox() -> tuple[Path, Path, Path]:
    """``sandbox/outside/...`` (must never change) and ``sandbox/cache/a/b/dest`` (the target;
    four ``..`` from inside it reach ``outside``)."""
    box = Path(tempfile.mkdtemp(prefix="docparse-prop-"))
    outside = box / "outside"
    (outside / "sub").mkdir(parents=True)
    (outside / "victim.txt").write_text("original")
    (outside / "sub" / "x").write_text("x")
    os.symlink("victim.txt", outside / "alias")
    dest = box / "cache" / "a" / "b" / "dest"
    dest.parent.mkdir(parents=True)
    return box, outside, dest


def _snapshot(root: Path, skip: Path | None = None) -> dict[str, tuple[int, int, bytes | str]]:
    snap: dict[str, tuple[int, int, bytes | str]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for n in dirnames + filenames:
            p = Path(dirpath) / n
            if skip is not None and p == skip:
                dirnames[:] = [d for d in dirnames if Path(dirpath) / d != skip]
                continue
            st_ = p.lstat()
            if stat.S_ISLNK(st_.st_mode):
                body: bytes | str = os.readlink(p)
            elif stat.S_ISREG(st_.st_mode):
                body = p.read_bytes()
            else:
                body = b""
            snap[str(p.relative_to(root))] = (st_.st_mode, st_.st_mtime_ns, body)
    return snap


def _sub(text: str, outside: Path) -> str:
    return text.replace(OUT, str(outside))


def _write_tar(path: Path, ms: list[M], outside: Path) -> None:
    with tarfile.open(path, "w", format=tarfile.GNU_FORMAT) as tf:
        for m in ms:
            info = tarfile.TarInfo(_sub(m.name, outside))
            data = None
            if m.kind == "file":
                data = b"PWNED " + m.name.encode()
                info.size = len(data)
            elif m.kind == "dir":
                info.type = tarfile.DIRTYPE
            elif m.kind in ("symlink", "hardlink"):
                info.type = tarfile.SYMTYPE if m.kind == "symlink" else tarfile.LNKTYPE
                info.linkname = _sub(m.target, outside)
            else:
                info.type = {
                    "chardev": tarfile.CHRTYPE,
                    "blockdev": tarfile.BLKTYPE,
                    "fifo": tarfile.FIFOTYPE,
                }[m.kind]
                info.devmajor, info.devminor = 1, 3
            tf.addfile(info, io.BytesIO(data) if data is not None else None)


ZIP_MODES = {
    "file": stat.S_IFREG | 0o644,
    "dir": stat.S_IFDIR | 0o755,
    "symlink": stat.S_IFLNK | 0o777,
    "hardlink": stat.S_IFREG | 0o644,  # zip has no hard links; a plain file stands in
    "chardev": stat.S_IFCHR | 0o666,
    "blockdev": stat.S_IFBLK | 0o666,
    "fifo": stat.S_IFIFO | 0o644,
}


def _write_zip(path: Path, ms: list[M], outside: Path) -> None:
    with zipfile.ZipFile(path, "w") as zf, warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # duplicate names are part of the test
        for m in ms:
            n = _sub(m.name, outside)
            if m.kind == "dir" and not n.endswith("/"):
                n += "/"
            info = zipfile.ZipInfo(n)
            info.external_attr = ZIP_MODES[m.kind] << 16
            body = _sub(m.target, outside) if m.kind == "symlink" else "PWNED " + m.name
            zf.writestr(info, b"" if m.kind == "dir" else body.encode())


def _check(ms: list[M], writer: str) -> None:
    box, outside, dest = _sandbox()
    try:
        archive = box / f"archive.{writer}"
        try:
            (_write_tar if writer == "tar" else _write_zip)(archive, ms, outside)
        except (ValueError, OSError, tarfile.TarError):
            return  # a member list the archive format cannot hold
        before = _snapshot(box, skip=box / "cache")
        try:
            written = safe_extract(archive, dest)
        except ModelFetchError:
            written = None
        assert _snapshot(box, skip=box / "cache") == before
        # Only the target itself may appear in its parent (no stray temp folder left behind).
        assert [p.name for p in dest.parent.iterdir()] in ([], ["dest"])
        if written is None:
            assert not dest.exists()
            return
        for dirpath, dirnames, filenames in os.walk(dest):
            for n in dirnames + filenames:
                mode = (Path(dirpath) / n).lstat().st_mode
                assert stat.S_ISREG(mode) or stat.S_ISDIR(mode), (dirpath, n)
        assert all(p.resolve().is_relative_to(dest.resolve()) for p in written)
    finally:
        shutil.rmtree(box)


SETTINGS = settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@SETTINGS
@given(members)
@example(CHAIN)
@example(HARDLINK_OUT)
@example(DIR_LINK)
def test_tar_extraction_never_touches_anything_outside_the_target(ms: list[M]) -> None:
    _check(ms, "tar")


@SETTINGS
@given(members)
@example(CHAIN)
@example(DIR_LINK)
def test_zip_extraction_never_touches_anything_outside_the_target(ms: list[M]) -> None:
    _check(ms, "zip")

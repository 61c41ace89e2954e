from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from docparse.errors import ModelFetchError
from docparse.models.archive import safe_extract


def _tar(path: Path, members: list[tuple[tarfile.TarInfo, bytes | None]]) -> Path:
    with tarfile.open(path, "w") as tf:
        for info, data in members:
            if data is not None:
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
            else:
                tf.addfile(info)
    return path


def _file(name: str) -> tuple[tarfile.TarInfo, bytes]:
    return tarfile.TarInfo(name), b"payload"


def _link(name: str, target: str, kind: bytes) -> tuple[tarfile.TarInfo, None]:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info, None


@pytest.mark.parametrize(
    ("members", "problem"),
    [
        ([_file("ok/a"), _file("../evil")], "unsafe member path"),
        ([_file("ok/a"), _file("ok/../../evil")], "unsafe member path"),
        ([_file("/tmp/evil-abs")], "unsafe member path"),
        ([_link("ok/ln", "../../evil", tarfile.SYMTYPE)], "plain files only"),
        ([_link("ok/ln", "/etc/passwd", tarfile.SYMTYPE)], "plain files only"),
        ([_file("ok/a"), _link("ok/hl", "../evil", tarfile.LNKTYPE)], "plain files only"),
        ([_file("ok/a"), _link("ok/hl", "ok/a", tarfile.LNKTYPE)], "plain files only"),
        ([_file("ok\\..\\..\\evil")], "unsafe member path"),
        ([_file("ok/a"), _file("ok/a")], "duplicate member"),
    ],
)
def test_escaping_archives_are_refused_before_anything_is_written(
    tmp_path: Path, members: list[tuple[tarfile.TarInfo, bytes | None]], problem: str
) -> None:
    archive = _tar(tmp_path / "bad.tar", members)
    dest = tmp_path / "cache" / "extract"
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(ModelFetchError, match=problem) as ei:
        safe_extract(archive, dest)
    assert str(archive) in str(ei.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing outside, not even dest
    assert not (tmp_path / "evil").exists()


def test_device_files_are_refused(tmp_path: Path) -> None:
    dev = tarfile.TarInfo("ok/null")
    dev.type = tarfile.CHRTYPE
    dev.devmajor, dev.devminor = 1, 3
    archive = _tar(tmp_path / "dev.tar", [_file("ok/a"), (dev, None)])
    with pytest.raises(ModelFetchError, match="special file 'ok/null'"):
        safe_extract(archive, tmp_path / "x")
    assert not (tmp_path / "x").exists()


def test_good_archive_extracts_plain_files_with_safe_modes(tmp_path: Path) -> None:
    exe = tarfile.TarInfo("M_infer/run.sh")
    exe.mode = 0o4777  # setuid + world-writable in the archive: neither is applied
    archive = _tar(tmp_path / "good.tar", [_file("M_infer/a.bin"), (exe, b"#!/bin/sh\n")])
    written = safe_extract(archive, tmp_path / "x")
    x = (tmp_path / "x").resolve()
    assert written == [x / "M_infer" / "a.bin", x / "M_infer" / "run.sh"]
    assert (x / "M_infer" / "a.bin").read_bytes() == b"payload"
    assert (x / "M_infer" / "a.bin").stat().st_mode & 0o7777 == 0o644
    assert (x / "M_infer" / "run.sh").stat().st_mode & 0o7777 == 0o755
    assert sorted(p.name for p in tmp_path.iterdir()) == ["good.tar", "x"]  # no temp dir left


def test_links_inside_the_archive_are_refused_too(tmp_path: Path) -> None:
    """Official model archives hold plain files; any link is refused (none is needed)."""
    archive = _tar(
        tmp_path / "l.tar",
        [_file("M_infer/a.bin"), _link("M_infer/b.bin", "a.bin", tarfile.SYMTYPE)],
    )
    with pytest.raises(ModelFetchError, match=r"'M_infer/b\.bin' -> 'a\.bin'; model archives hold"):
        safe_extract(archive, tmp_path / "x")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["l.tar"]


def test_not_a_tar(tmp_path: Path) -> None:
    f = tmp_path / "x.tar"
    f.write_bytes(b"not a tar at all" * 100)
    with pytest.raises(ModelFetchError, match="not a readable tar or zip archive"):
        safe_extract(f, tmp_path / "x")

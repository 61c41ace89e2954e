"""Model installs never write (or read) outside their directory: link chains in tar and zip
archives, links in ``--from DIR`` trees, and bundle round trips (issue 12, item 1)."""

from __future__ import annotations

import io
import os
import re
import stat
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
from model_server import infer_tar, model_files, write_manifest

from docparse.errors import ModelFetchError
from docparse.models.archive import safe_extract
from docparse.models.bundle import install_from, write_bundle
from docparse.models.cache import model_path, resolve_model
from docparse.models.manifest import load_manifest

FILES = model_files()


def _sandbox(tmp_path: Path) -> tuple[Path, Path]:
    """``outside/victim.txt`` beside the cache: what an attack would overwrite."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "victim.txt").write_text("original")
    return outside, tmp_path / "cache"


def _snapshot(tree: Path) -> dict[str, tuple[int, bytes | str]]:
    out: dict[str, tuple[int, bytes | str]] = {}
    for p in sorted(tree.rglob("*")):
        st = p.lstat()
        body: bytes | str = (
            os.readlink(p) if p.is_symlink() else p.read_bytes() if p.is_file() else b""
        )
        out[str(p.relative_to(tree))] = (stat.S_IFMT(st.st_mode), body)
    return out


def _chain_tar(path: Path, up: int) -> Path:
    """The chain: ``l1 -> .``; ``l1/l1/.../l4 -> ../../.../outside/victim.txt``; file ``l4``.

    Every link target, read as text next to its member name, stays inside the archive, yet
    ``l1/l1/l1`` is the extraction root itself, so ``l4`` ends up pointing ``up`` levels out.
    """
    with tarfile.open(path, "w") as tf:
        link = tarfile.TarInfo("l1")
        link.type, link.linkname = tarfile.SYMTYPE, "."
        tf.addfile(link)
        deep = tarfile.TarInfo("/".join(["l1"] * up + ["l4"]))
        deep.type, deep.linkname = tarfile.SYMTYPE, "../" * up + "outside/victim.txt"
        tf.addfile(deep)
        payload = tarfile.TarInfo("l4")
        payload.size = 5
        tf.addfile(payload, io.BytesIO(b"PWNED"))
    return path


def _zip(path: Path, members: list[tuple[str, bytes, int]]) -> Path:
    """``(name, data, unix mode)``; a mode with S_IFLNK makes a symlink whose target is data."""
    with zipfile.ZipFile(path, "w") as zf:
        for name, data, mode in members:
            info = zipfile.ZipInfo(name)
            info.external_attr = mode << 16
            zf.writestr(info, data)
    return path


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "docparse", "fetch-models", "--quiet", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_tar_link_chain_cannot_overwrite_a_file_outside_the_cache(tmp_path: Path) -> None:
    outside, cache = _sandbox(tmp_path)
    # --from extracts into <cache>/.docparse-staging/.from-<id>: three levels below tmp_path.
    archive = _chain_tar(tmp_path / "evil.tar", up=3)
    before = _snapshot(outside)
    proc = _cli("--from", str(archive), "--cache-dir", str(cache))
    assert (outside / "victim.txt").read_text() == "original"
    assert _snapshot(outside) == before
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        f"error: {archive}: link 'l1' -> '.'; model archives hold plain files only, refused"
    ]
    assert not any(p.is_symlink() for p in cache.rglob("*"))


def test_tar_link_chain_through_safe_extract_writes_nothing(tmp_path: Path) -> None:
    outside, _ = _sandbox(tmp_path)
    dest = tmp_path / "a" / "b"
    with pytest.raises(ModelFetchError, match="plain files only"):
        safe_extract(_chain_tar(tmp_path / "evil.tar", up=2), dest)
    assert (outside / "victim.txt").read_text() == "original"
    assert not (tmp_path / "a").exists()  # refused before anything was created


def test_zip_link_chain_and_dotdot_names_are_refused(tmp_path: Path) -> None:
    outside, cache = _sandbox(tmp_path)
    mf = write_manifest(tmp_path / "m.json", FILES)
    lnk = stat.S_IFLNK | 0o777
    chain = _zip(
        tmp_path / "chain.zip",
        [
            ("l1", b".", lnk),
            ("l1/l1/l1/l4", b"../../../outside/victim.txt", lnk),
            ("l4", b"PWNED", stat.S_IFREG | 0o644),
        ],
    )
    dotdot = _zip(tmp_path / "dotdot.zip", [("../../outside/victim.txt", b"PWNED", 0)])
    backslash = _zip(tmp_path / "bs.zip", [("..\\..\\outside\\victim.txt", b"PWNED", 0)])
    fifo = _zip(tmp_path / "fifo.zip", [("M/fifo", b"", stat.S_IFIFO | 0o644)])
    before = _snapshot(outside)
    for archive, problem in [
        (chain, "link 'l1'; model archives hold plain files only"),
        (dotdot, "unsafe member path"),
        (backslash, "unsafe member path"),
        (fifo, "special file 'M/fifo'"),
    ]:
        with pytest.raises(ModelFetchError, match=re.escape(problem)):
            install_from(archive, ["TestLayout"], cache_dir=cache, manifest=load_manifest(mf))
    assert _snapshot(outside) == before


def test_official_style_zip_installs(tmp_path: Path) -> None:
    mf = load_manifest(write_manifest(tmp_path / "m.json", FILES))
    archive = _zip(
        tmp_path / "TestLayout_infer.zip",
        [(f"TestLayout_infer/{name}", data, stat.S_IFREG | 0o644) for name, data in FILES.items()],
    )
    res = install_from(archive, None, cache_dir=tmp_path / "c", manifest=mf)
    assert [r.name for r in res] == ["TestLayout"] and res[0].ok, res[0].message
    target = resolve_model("TestLayout", cache_dir=tmp_path / "c", manifest=mf, verify="full")
    assert (target / "inference.json").read_bytes() == FILES["inference.json"]


def test_from_dir_refuses_links_leading_out_of_the_tree(tmp_path: Path) -> None:
    outside, cache = _sandbox(tmp_path)
    secret = outside / "id_rsa"
    secret.write_bytes(b"PRIVATE KEY")
    mf = load_manifest(write_manifest(tmp_path / "m.json", FILES))
    model = tmp_path / "src" / "TestLayout"
    model.mkdir(parents=True)
    for name, data in FILES.items():
        if name != "inference.yml":
            (model / name).write_bytes(data)
    (model / "inference.yml").symlink_to(secret)
    before = _snapshot(outside)
    res = install_from(tmp_path / "src", ["TestLayout"], cache_dir=cache, manifest=mf)
    assert not res[0].ok
    assert "inference.yml links outside" in res[0].message and "refused" in res[0].message
    assert _snapshot(outside) == before
    assert not model_path(cache, "TestLayout").exists()
    leaked = [p for p in cache.rglob("*") if p.is_file() and p.read_bytes() == b"PRIVATE KEY"]
    assert leaked == []


def test_from_dir_accepts_links_inside_the_tree_and_copies_regular_files(tmp_path: Path) -> None:
    mf = load_manifest(write_manifest(tmp_path / "m.json", FILES))
    blobs = tmp_path / "src" / "blobs"
    model = tmp_path / "src" / "TestLayout"
    blobs.mkdir(parents=True)
    model.mkdir()
    for name, data in FILES.items():
        (blobs / name).write_bytes(data)
        (model / name).symlink_to(Path("..") / "blobs" / name)  # Hugging Face cache style
    res = install_from(tmp_path / "src", ["TestLayout"], cache_dir=tmp_path / "c", manifest=mf)
    assert res[0].ok, res[0].message
    target = model_path(tmp_path / "c", "TestLayout")
    assert all(not p.is_symlink() for p in target.iterdir())
    assert (target / "inference.yml").read_bytes() == FILES["inference.yml"]


def test_bundle_round_trip_holds_regular_files_only(tmp_path: Path) -> None:
    mf = write_manifest(tmp_path / "m.json", FILES)
    manifest = load_manifest(mf)
    src = tmp_path / "src" / "TestLayout"
    src.mkdir(parents=True)
    for name, data in FILES.items():
        (src / name).write_bytes(data)
    online = tmp_path / "online"
    assert install_from(tmp_path / "src", None, cache_dir=online, manifest=manifest)[0].ok
    # Someone replaces a cached file by a link (same bytes, so every hash still matches).
    root = model_path(online, "TestLayout")
    (root / "keep.yml").write_bytes(FILES["inference.yml"])
    (root / "inference.yml").unlink()
    (root / "inference.yml").symlink_to("keep.yml")
    bundle = tmp_path / "models.tar"
    write_bundle(bundle, ["TestLayout"], cache_dir=online, manifest=manifest)
    with tarfile.open(bundle) as tf:
        assert all(m.isfile() for m in tf.getmembers())
    res = install_from(bundle, None, cache_dir=tmp_path / "offline", manifest=manifest)
    assert res[0].ok, res[0].message
    installed = model_path(tmp_path / "offline", "TestLayout") / "inference.yml"
    assert not installed.is_symlink() and installed.read_bytes() == FILES["inference.yml"]

    # A link leading out of the model folder is refused: the bundle would ship that file.
    outside, _ = _sandbox(tmp_path)
    (root / "inference.yml").unlink()
    (outside / "inference.yml").write_bytes(FILES["inference.yml"])
    (root / "inference.yml").symlink_to(outside / "inference.yml")
    with pytest.raises(ModelFetchError, match=re.escape("inference.yml links outside")):
        write_bundle(tmp_path / "b2.tar", ["TestLayout"], cache_dir=online, manifest=manifest)
    assert not (tmp_path / "b2.tar").exists()


def test_extraction_target_that_is_a_link_is_refused(tmp_path: Path) -> None:
    outside, _ = _sandbox(tmp_path)
    (tmp_path / "x").symlink_to(outside)
    archive = tmp_path / "M_infer.tar"
    archive.write_bytes(infer_tar({"a.bin": b"x"}, "M_infer"))
    with pytest.raises(ModelFetchError, match="not an empty folder"):
        safe_extract(archive, tmp_path / "x")
    assert sorted(p.name for p in outside.iterdir()) == ["victim.txt"]

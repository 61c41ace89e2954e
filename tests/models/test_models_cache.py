from __future__ import annotations

import os
from pathlib import Path

import pytest
from model_server import model_files, write_manifest

from docparse.errors import ModelIntegrityError, ModelNotFoundError
from docparse.models.cache import (
    RECORD_NAME,
    check_model,
    default_cache_dir,
    is_installed,
    model_path,
    read_record,
    resolve_model,
)
from docparse.models.install import precheck
from docparse.models.manifest import load_manifest


def test_default_cache_dir_honours_env_then_checkout(tmp_path: Path) -> None:
    assert default_cache_dir({"DOCPARSE_MODELS_DIR": str(tmp_path)}) == tmp_path
    repo = Path(__file__).resolve().parents[2]
    assert default_cache_dir({}) == repo / "models_cache"


def _installed(tmp_path: Path) -> tuple[Path, Path]:
    """A paddlex-style cache holding the test model, adopted (recorded) by docparse."""
    files = model_files()
    mf_path = write_manifest(tmp_path / "manifest.json", files)
    cache = tmp_path / "cache"
    d = model_path(cache, "TestLayout")
    d.mkdir(parents=True)
    for name, data in files.items():
        (d / name).write_bytes(data)
    return cache, mf_path


def test_missing_model_message_holds_the_exact_command(tmp_path: Path) -> None:
    mf = write_manifest(tmp_path / "m.json", model_files())
    manifest = load_manifest(mf)
    with pytest.raises(ModelNotFoundError) as ei:
        resolve_model("TestLayout", cache_dir=tmp_path / "c", manifest=manifest)
    assert str(ei.value) == (
        f"model TestLayout is not installed in {tmp_path / 'c'}; run `docparse fetch-models "
        f"--model TestLayout --cache-dir {tmp_path / 'c'} --manifest {mf}`"
    )
    assert not is_installed("TestLayout", cache_dir=tmp_path / "c", manifest=manifest)


def test_paddlex_cache_without_record_is_unverified_until_adopted(tmp_path: Path) -> None:
    cache, mf = _installed(tmp_path)
    manifest = load_manifest(mf)
    with pytest.raises(ModelNotFoundError, match="no docparse verification record"):
        resolve_model("TestLayout", cache_dir=cache, manifest=manifest)
    events: list[object] = []
    assert precheck(manifest.get("TestLayout"), cache, force=False, on_event=events.append)
    rec = read_record(model_path(cache, "TestLayout"))
    assert rec["inference.json"]["trust"] == "first-use"
    assert rec["inference.pdiparams"]["trust"] == "pinned"
    assert [type(e).__name__ for e in events] == ["FileTrusted", "FileTrusted", "AlreadyInstalled"]
    assert resolve_model("TestLayout", cache_dir=cache, manifest=manifest, verify="full") == (
        model_path(cache, "TestLayout")
    )


def test_quick_trusts_size_and_mtime_full_rehashes(tmp_path: Path) -> None:
    cache, mf = _installed(tmp_path)
    manifest = load_manifest(mf)
    precheck(manifest.get("TestLayout"), cache, force=False, on_event=lambda e: None)
    weights = model_path(cache, "TestLayout") / "inference.pdiparams"
    st = weights.stat()
    data = bytearray(weights.read_bytes())
    data[1000] ^= 0xFF  # same size; restore the mtime so only a re-hash can notice
    weights.write_bytes(bytes(data))
    os.utime(weights, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert resolve_model("TestLayout", cache_dir=cache, manifest=manifest, verify="quick")
    with pytest.raises(ModelIntegrityError, match=r"inference.pdiparams: sha256 .* differs") as ei:
        resolve_model("TestLayout", cache_dir=cache, manifest=manifest, verify="full")
    assert "--force" in str(ei.value)
    # a changed mtime makes quick mode re-hash too
    os.utime(weights, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    assert not is_installed("TestLayout", cache_dir=cache, manifest=manifest)


def test_tofu_file_changed_is_detected_and_touch_refreshes_record(tmp_path: Path) -> None:
    cache, mf = _installed(tmp_path)
    manifest = load_manifest(mf)
    entry = manifest.get("TestLayout")
    precheck(entry, cache, force=False, on_event=lambda e: None)
    yml = model_path(cache, "TestLayout") / "inference.yml"
    st = yml.stat()
    os.utime(yml, ns=(st.st_atime_ns, st.st_mtime_ns + 5 * 10**9))
    assert check_model(entry, cache).refreshed  # re-hashed, same content
    resolve_model("TestLayout", cache_dir=cache, manifest=manifest)
    assert read_record(yml.parent)["inference.yml"]["mtime_ns"] == st.st_mtime_ns + 5 * 10**9
    yml.write_bytes(b"Global: {model_name: Other}\n")
    check = check_model(entry, cache)
    assert check.state == "corrupt" and check.problems[0].path == "inference.yml"


def test_missing_required_file_is_incomplete(tmp_path: Path) -> None:
    cache, mf = _installed(tmp_path)
    manifest = load_manifest(mf)
    precheck(manifest.get("TestLayout"), cache, force=False, on_event=lambda e: None)
    (model_path(cache, "TestLayout") / "inference.json").unlink()
    (model_path(cache, "TestLayout") / "config.json").unlink()  # optional: fine
    with pytest.raises(ModelNotFoundError, match=r"incomplete \(missing inference.json\)"):
        resolve_model("TestLayout", cache_dir=cache, manifest=manifest)
    assert (model_path(cache, "TestLayout") / RECORD_NAME).is_file()


def test_shipped_manifest_refuses_wrong_weights(tmp_path: Path) -> None:
    d = model_path(tmp_path, "PP-DocLayoutV2")
    d.mkdir(parents=True)
    with open(d / "inference.pdiparams", "wb") as fh:  # right size, wrong bytes (sparse)
        fh.truncate(212170944)
    (d / "inference.json").write_text("{}")
    (d / "inference.yml").write_text("Global: {model_name: PP-DocLayoutV2}\n")
    check = check_model(load_manifest().get("PP-DocLayoutV2"), tmp_path, verify="full")
    assert check.state == "corrupt"
    assert check.problems[0].path == "inference.pdiparams"
    assert "differs from the expected 45404a84" in check.problems[0].detail

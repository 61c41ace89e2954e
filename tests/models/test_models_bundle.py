from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest
from model_server import infer_tar, model_files, sha, write_manifest

from docparse.errors import ConfigurationError, ModelNotFoundError
from docparse.models.bundle import BUNDLE_INDEX, install_from, write_bundle
from docparse.models.cache import STAGING_DIR, model_path, read_record, resolve_model
from docparse.models.fetch import FetchEvent
from docparse.models.install import FileTrusted
from docparse.models.manifest import load_manifest

FILES = model_files()


def _model_dir(root: Path, files: dict[str, bytes] = FILES) -> Path:
    root.mkdir(parents=True)
    for name, data in files.items():
        (root / name).write_bytes(data)
    return root


def _installed_cache(tmp_path: Path) -> tuple[Path, Path]:
    mf = write_manifest(tmp_path / "m.json", FILES)
    src = tmp_path / "src"
    _model_dir(src / "TestLayout")
    res = install_from(src, None, cache_dir=tmp_path / "online", manifest=load_manifest(mf))
    assert res[0].ok, res[0].message
    return tmp_path / "online", mf


def test_from_directory_of_model_folders_records_first_use(tmp_path: Path) -> None:
    mf = load_manifest(write_manifest(tmp_path / "m.json", FILES))
    _model_dir(tmp_path / "src" / "TestLayout")
    events: list[FetchEvent] = []
    res = install_from(
        tmp_path / "src",
        ["TestLayout"],
        cache_dir=tmp_path / "c",
        manifest=mf,
        on_event=events.append,
    )
    assert res[0].ok and res[0].source == f"local {tmp_path / 'src'}"
    assert [e.path for e in events if isinstance(e, FileTrusted)] == [
        "inference.json",
        "inference.yml",
    ]
    target = resolve_model("TestLayout", cache_dir=tmp_path / "c", manifest=mf, verify="full")
    assert (target / "inference.pdiparams").read_bytes() == FILES["inference.pdiparams"]
    assert (tmp_path / "src" / "TestLayout" / "inference.json").exists()  # copied, not moved
    assert not (tmp_path / "c" / STAGING_DIR).exists()


def test_from_official_infer_tar(tmp_path: Path) -> None:
    mf = load_manifest(write_manifest(tmp_path / "m.json", FILES))
    tar = tmp_path / "TestLayout_infer.tar"
    tar.write_bytes(infer_tar(FILES, "TestLayout_infer"))
    res = install_from(tar, None, cache_dir=tmp_path / "c", manifest=mf)
    assert [r.name for r in res] == ["TestLayout"] and res[0].ok
    target = resolve_model("TestLayout", cache_dir=tmp_path / "c", manifest=mf, verify="full")
    assert (target / "inference.yml").read_bytes() == FILES["inference.yml"]
    assert not (tmp_path / "c" / STAGING_DIR).exists()


def test_from_pp_doclayoutv2_style_tar_checks_the_shipped_pins(tmp_path: Path) -> None:
    files = {
        "inference.pdiparams": b"\0" * 64,
        "inference.json": b"{}",
        "inference.yml": b"Global: {model_name: PP-DocLayoutV2}\n",
    }
    tar = tmp_path / "PP-DocLayoutV2_infer.tar"
    tar.write_bytes(infer_tar(files, "PP-DocLayoutV2_infer"))
    res = install_from(tar, None, cache_dir=tmp_path / "c", manifest=load_manifest())
    assert not res[0].ok
    assert "inference.pdiparams: size 64 differs from the manifest's 212170944; refused" in (
        res[0].message
    )
    assert not model_path(tmp_path / "c", "PP-DocLayoutV2").exists()


@pytest.mark.slow
def test_from_directory_with_right_size_wrong_hash_is_refused(tmp_path: Path) -> None:
    src = tmp_path / "src" / "PP-DocLayoutV2"
    src.mkdir(parents=True)
    with open(src / "inference.pdiparams", "wb") as fh:
        fh.truncate(212170944)
    (src / "inference.json").write_text("{}")
    (src / "inference.yml").write_text("Global: {model_name: PP-DocLayoutV2}\n")
    res = install_from(tmp_path / "src", None, cache_dir=tmp_path / "c", manifest=load_manifest())
    assert not res[0].ok
    assert "sha256" in res[0].message and "45404a84c9fdf91d" in res[0].message
    assert not model_path(tmp_path / "c", "PP-DocLayoutV2").exists()
    assert not list((tmp_path / "c").rglob("inference.pdiparams*"))


def test_bundle_round_trip(tmp_path: Path) -> None:
    online, mf = _installed_cache(tmp_path)
    manifest = load_manifest(mf)
    bundle = tmp_path / "models.tar"
    index = write_bundle(bundle, ["TestLayout"], cache_dir=online, manifest=manifest)
    files = index["models"]["TestLayout"]["files"]
    assert files["inference.json"] == {
        "size": len(FILES["inference.json"]),
        "sha256": sha(FILES["inference.json"]),
        "trust": "first-use",
    }
    with tarfile.open(bundle) as tf:
        names = tf.getnames()
    assert names[:2] == [BUNDLE_INDEX, "manifest.json"]
    assert "official_models/TestLayout/inference.pdiparams" in names
    # offline host: only the bundle; the bundle's own manifest is used when --manifest is absent
    offline = tmp_path / "offline"
    events: list[FetchEvent] = []
    res = install_from(
        bundle, None, cache_dir=offline, manifest=load_manifest(), on_event=events.append
    )
    assert res[0].ok and res[0].name == "TestLayout"
    assert not any(isinstance(e, FileTrusted) for e in events)  # hashes came with the bundle
    target = resolve_model("TestLayout", cache_dir=offline, manifest=manifest, verify="full")
    assert read_record(target)["inference.yml"]["trust"] == "first-use"
    assert (target / "inference.pdiparams").read_bytes() == FILES["inference.pdiparams"]


def test_tampered_bundle_is_refused(tmp_path: Path) -> None:
    online, mf = _installed_cache(tmp_path)
    bundle = tmp_path / "models.tar"
    write_bundle(bundle, ["TestLayout"], cache_dir=online, manifest=load_manifest(mf))
    tampered = tmp_path / "tampered.tar"
    with tarfile.open(bundle) as src, tarfile.open(tampered, "w") as dst:
        for m in src.getmembers():
            data = src.extractfile(m).read()  # type: ignore[union-attr]
            if m.name.endswith("inference.yml"):
                data = data.replace(b"TestLayout", b"EvilLayout")
                m.size = len(data)
            dst.addfile(m, io.BytesIO(data))
    res = install_from(tampered, None, cache_dir=tmp_path / "off", manifest=load_manifest(mf))
    assert not res[0].ok and "inference.yml" in res[0].message and "recorded" in res[0].message
    assert not model_path(tmp_path / "off", "TestLayout").exists()


def test_bundling_a_missing_model_names_the_fix(tmp_path: Path) -> None:
    mf = load_manifest(write_manifest(tmp_path / "m.json", FILES))
    with pytest.raises(ModelNotFoundError, match="docparse fetch-models --model TestLayout"):
        write_bundle(tmp_path / "b.tar", ["TestLayout"], cache_dir=tmp_path / "c", manifest=mf)
    assert not list(tmp_path.glob("*b.tar*"))


def test_from_errors(tmp_path: Path) -> None:
    mf = load_manifest(write_manifest(tmp_path / "m.json", FILES))
    with pytest.raises(ConfigurationError, match="no such file"):
        install_from(tmp_path / "nope", None, cache_dir=tmp_path / "c", manifest=mf)
    (tmp_path / "x.bin").write_bytes(b"junk")
    with pytest.raises(ConfigurationError, match="neither a directory nor a tar"):
        install_from(tmp_path / "x.bin", None, cache_dir=tmp_path / "c", manifest=mf)
    (tmp_path / "empty").mkdir()
    res = install_from(tmp_path / "empty", None, cache_dir=tmp_path / "c", manifest=mf)
    assert not res[0].ok and "no TestLayout model inside" in res[0].message
    assert json.loads(mf.path.read_text())["format"] == 1  # type: ignore[union-attr]

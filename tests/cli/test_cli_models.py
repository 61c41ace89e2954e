from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "models"))

from model_server import ModelServer, model_files, write_manifest

from docparse.cli.models_cmd import add_parsers
from docparse.models.cache import model_path

FILES = model_files()


def _run(argv: list[str], environ: dict[str, str] | None = None) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="docparse")
    add_parsers(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    out, err = io.StringIO(), io.StringIO()
    code = args.handler(args, stdout=out, stderr=err, environ=environ or {})
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def server() -> object:
    s = ModelServer()
    yield s
    s.close()


def test_flags_are_registered() -> None:
    parser = argparse.ArgumentParser(prog="docparse")
    add_parsers(parser.add_subparsers(dest="command"))
    a = parser.parse_args(
        [
            "fetch-models",
            "--cache-dir",
            "/c",
            "--manifest",
            "m.json",
            "--source",
            "bos",
            "--mirror",
            "http://m",
            "--from",
            "x.tar",
            "--bundle",
            "b.tar",
            "--model",
            "A",
            "--model",
            "B",
            "--force",
            "--quiet",
        ]
    )
    assert (
        a.cache_dir,
        a.manifest,
        a.source,
        a.mirror,
        a.from_path,
        a.bundle,
        a.model,
        a.force,
        a.quiet,
    ) == (
        Path("/c"),
        Path("m.json"),
        "bos",
        "http://m",
        Path("x.tar"),
        Path("b.tar"),
        ["A", "B"],
        True,
        True,
    )
    with pytest.raises(SystemExit):
        parser.parse_args(["fetch-models", "--source", "ftp"])


def test_fetch_models_from_mirror_then_models_lists_it(server: ModelServer, tmp_path: Path) -> None:
    for name, data in FILES.items():
        server.files[f"/mirror/TestLayout/{name}"] = data
    mf = write_manifest(tmp_path / "m.json", FILES)
    cache = tmp_path / "cache"
    code, out, err = _run(
        [
            "fetch-models",
            "--cache-dir",
            str(cache),
            "--manifest",
            str(mf),
            "--mirror",
            f"{server.url}/mirror",
        ]
    )
    assert code == 0, err
    assert "TestLayout: inference.json has no pinned hash; trusting it on first use" in out
    assert f"TestLayout: installed and verified in {model_path(cache, 'TestLayout')}" in out
    code, out, err = _run(["models", "--cache-dir", str(cache), "--manifest", str(mf)])
    assert code == 0 and err == ""
    assert "TestLayout: ok (2 pinned, 2 recorded on first use)" in out


def test_models_reports_missing_and_corrupt_with_fix_commands(tmp_path: Path) -> None:
    mf = write_manifest(tmp_path / "m.json", FILES)
    cache = tmp_path / "cache"
    code, out, err = _run(["models", "--cache-dir", str(cache), "--manifest", str(mf)])
    assert code == 1 and out.splitlines()[0] == f"cache: {cache}"
    assert err.strip() == (
        f"TestLayout: missing; fix: docparse fetch-models --model TestLayout --cache-dir "
        f"{cache} --manifest {mf}"
    )
    src = tmp_path / "src" / "TestLayout"
    src.mkdir(parents=True)
    for name, data in FILES.items():
        (src / name).write_bytes(data)
    assert _run(
        [
            "fetch-models",
            "--cache-dir",
            str(cache),
            "--manifest",
            str(mf),
            "--from",
            str(tmp_path / "src"),
            "--quiet",
        ]
    )[:2] == (0, "")
    (model_path(cache, "TestLayout") / "inference.pdiparams").write_bytes(b"short")
    code, _out, err = _run(["models", "--cache-dir", str(cache), "--manifest", str(mf)])
    assert code == 1
    assert (
        "TestLayout: corrupt (inference.pdiparams: size 5 differs from the expected 300000)" in err
    )
    assert err.rstrip().endswith("--force")


def test_bundle_and_offline_install_through_the_cli(tmp_path: Path) -> None:
    mf = write_manifest(tmp_path / "m.json", FILES)
    src = tmp_path / "src" / "TestLayout"
    src.mkdir(parents=True)
    for name, data in FILES.items():
        (src / name).write_bytes(data)
    bundle = tmp_path / "models.tar"
    code, out, err = _run(
        [
            "fetch-models",
            "--cache-dir",
            str(tmp_path / "online"),
            "--manifest",
            str(mf),
            "--from",
            str(tmp_path / "src"),
            "--bundle",
            str(bundle),
        ]
    )
    assert code == 0, err
    assert f"wrote {bundle} (TestLayout;" in out
    env = {"DOCPARSE_MODELS_DIR": str(tmp_path / "offline"), "DOCPARSE_MANIFEST": str(mf)}
    code, out, err = _run(["fetch-models", "--from", str(bundle)], env)
    assert code == 0, err
    assert f"installed and verified in {model_path(tmp_path / 'offline', 'TestLayout')}" in out
    assert _run(["models"], env)[0] == 0


def test_usage_and_failure_exit_codes(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    code, _out, err = _run(["models", "--manifest", str(bad), "--cache-dir", str(tmp_path)])
    assert code == 2 and err.strip() == f'error: {bad}: not a docparse manifest (need "format": 1)'
    code, _, err = _run(["fetch-models", "--source", "mirror", "--cache-dir", str(tmp_path)])
    assert code == 2 and err.strip() == "error: --source mirror needs --mirror URL"
    code, _, err = _run(["models", "--model", "Nope", "--cache-dir", str(tmp_path)])
    assert code == 2 and "no model named 'Nope'" in err
    mf = write_manifest(tmp_path / "m.json", FILES)
    code, _, err = _run(
        [
            "fetch-models",
            "--manifest",
            str(mf),
            "--cache-dir",
            str(tmp_path),
            "--mirror",
            "http://127.0.0.1:9",
        ]
    )
    assert code == 1
    lines = err.strip().splitlines()
    assert lines[0].startswith("TestLayout: source mirror failed: http://127.0.0.1:9/")
    assert lines[-1].startswith("error: TestLayout: mirror: ")
    assert "Traceback" not in err

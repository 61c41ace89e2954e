from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest
from model_server import ModelServer, infer_tar, model_files, sha, write_manifest

from docparse.models.cache import STAGING_DIR, model_path, read_record, resolve_model
from docparse.models.download import Downloader
from docparse.models.fetch import (
    FetchEvent,
    SourceFailed,
    archive_url,
    fetch_models,
    file_url,
    source_order,
)
from docparse.models.install import FileTrusted, ModelInstalled, WaitingForLock
from docparse.models.manifest import load_manifest

FILES = model_files()


def _serve_files(server: ModelServer, files: dict[str, bytes], name: str = "TestLayout") -> None:
    for fname, data in files.items():
        server.files[f"/mirror/{name}/{fname}"] = data


def _fetch(
    server: ModelServer, tmp_path: Path, **kw: object
) -> tuple[list[object], list[FetchEvent]]:
    manifest = load_manifest(write_manifest(tmp_path / "m.json", FILES))
    events: list[FetchEvent] = []
    results = fetch_models(
        ["TestLayout"],
        cache_dir=tmp_path / "cache",
        manifest=manifest,
        mirror=f"{server.url}/mirror",
        downloader=Downloader(attempts=2, sleep=lambda s: None),
        on_event=events.append,
        **kw,  # type: ignore[arg-type]
    )
    return list(results), events


def test_upstream_url_templates() -> None:
    entry = load_manifest().get("PP-DocLayoutV2")
    assert file_url("huggingface", entry, "inference.yml") == (
        "https://huggingface.co/PaddlePaddle/PP-DocLayoutV2/resolve/main/inference.yml"
    )
    assert file_url("modelscope", entry, "inference.yml") == (
        "https://modelscope.cn/api/v1/models/PaddlePaddle/PP-DocLayoutV2/repo"
        "?Revision=master&FilePath=inference.yml"
    )
    assert archive_url("bos", entry) == (
        "https://paddle-model-ecology.bj.bcebos.com/paddlex/official_inference_model/"
        "paddle3.0.0/PP-DocLayoutV2_infer.tar"
    )
    assert file_url("mirror", entry, "inference.json", mirror="http://art/models/") == (
        "http://art/models/PP-DocLayoutV2/inference.json"
    )
    assert (
        archive_url("mirror", entry, mirror="http://art") == "http://art/PP-DocLayoutV2_infer.tar"
    )
    assert file_url("bos", entry, "x") is None and archive_url("huggingface", entry) is None


def test_source_order() -> None:
    entry = load_manifest().get("PP-DocLayoutV2")
    assert source_order(entry, None, None) == ("huggingface", "modelscope", "bos")
    assert source_order(entry, "bos", None) == ("bos", "huggingface", "modelscope")
    assert source_order(entry, None, "http://m") == ("mirror", "huggingface", "modelscope", "bos")
    assert source_order(entry, "modelscope", "http://m")[:2] == ("modelscope", "huggingface")


def test_fetch_from_mirror_files_installs_verified_model(
    server: ModelServer, tmp_path: Path
) -> None:
    _serve_files(server, FILES)
    results, events = _fetch(server, tmp_path, sources=["mirror"])
    target = model_path(tmp_path / "cache", "TestLayout")
    assert results[0].ok and results[0].path == target  # type: ignore[attr-defined]
    for name, data in FILES.items():
        assert (target / name).read_bytes() == data
    rec = read_record(target)
    assert rec["inference.json"] == {
        **rec["inference.json"],
        "trust": "first-use",
        "sha256": sha(FILES["inference.json"]),
    }
    assert rec["inference.pdiparams"]["trust"] == "pinned"
    trusted = [e.path for e in events if isinstance(e, FileTrusted)]
    assert trusted == ["inference.json", "inference.yml"]
    assert any(isinstance(e, ModelInstalled) for e in events)
    assert not (tmp_path / "cache" / STAGING_DIR).exists()
    manifest = load_manifest(tmp_path / "m.json")
    assert (
        resolve_model("TestLayout", cache_dir=tmp_path / "cache", manifest=manifest, verify="full")
        == target
    )
    # second run: nothing downloaded
    n = len(server.requests)
    results, events = _fetch(server, tmp_path, sources=["mirror"])
    assert results[0].ok and len(server.requests) == n  # type: ignore[attr-defined]


def test_mirror_falls_back_to_the_infer_tar(server: ModelServer, tmp_path: Path) -> None:
    server.files["/mirror/TestLayout_infer.tar"] = infer_tar(FILES, "TestLayout_infer")
    results, _ = _fetch(server, tmp_path, sources=["mirror"])
    assert results[0].ok  # type: ignore[attr-defined]
    target = model_path(tmp_path / "cache", "TestLayout")
    assert sorted(p.name for p in target.iterdir()) == sorted([*FILES, ".docparse-verified.json"])
    assert server.paths_requested("/mirror/TestLayout/inference.pdiparams") == [None]


def test_wrong_checksum_refused_and_cache_left_as_it_was(
    server: ModelServer, tmp_path: Path
) -> None:
    _serve_files(server, FILES)
    _fetch(server, tmp_path, sources=["mirror"])
    target = model_path(tmp_path / "cache", "TestLayout")
    before = {p.name: p.read_bytes() for p in target.iterdir()}
    bad = bytearray(FILES["inference.pdiparams"])
    bad[10] ^= 1
    server.files["/mirror/TestLayout/inference.pdiparams"] = bytes(bad)
    results, events = _fetch(server, tmp_path, sources=["mirror"], force=True)
    assert not results[0].ok  # type: ignore[attr-defined]
    failed = [e for e in events if isinstance(e, SourceFailed)]
    assert len(failed) == 1 and "sha256" in failed[0].message and "refused" in failed[0].message
    assert {p.name: p.read_bytes() for p in target.iterdir()} == before
    staging = tmp_path / "cache" / STAGING_DIR
    assert not list(staging.rglob("inference.pdiparams*")) if staging.exists() else True


def test_wrong_checksum_with_nothing_installed_leaves_no_model(
    server: ModelServer, tmp_path: Path
) -> None:
    _serve_files(server, {**FILES, "config.json": b"{}"})
    results, _ = _fetch(server, tmp_path, sources=["mirror"])
    assert not results[0].ok and "config.json" in results[0].message  # type: ignore[attr-defined]
    assert not model_path(tmp_path / "cache", "TestLayout").exists()


def test_server_error_mid_download_then_resume(server: ModelServer, tmp_path: Path) -> None:
    _serve_files(server, FILES)
    path = "/mirror/TestLayout/inference.pdiparams"
    server.truncate_first[path] = 120_000
    server.status[path] = 503
    del server.status[path]
    server.truncate_first[path] = 120_000

    original = server.handle

    def failing(h):  # type: ignore[no-untyped-def]
        if h.path == path and h.headers.get("Range"):
            server.status[path] = 503
        return original(h)

    server.handle = failing  # type: ignore[method-assign]
    results, _events = _fetch(server, tmp_path, sources=["mirror"])
    assert not results[0].ok and "HTTP 503" in results[0].message  # type: ignore[attr-defined]
    assert not model_path(tmp_path / "cache", "TestLayout").exists()
    server.handle = original  # type: ignore[method-assign]
    del server.status[path]
    results, _ = _fetch(server, tmp_path, sources=["mirror"])
    assert results[0].ok  # type: ignore[attr-defined]
    assert server.paths_requested(path)[-1] == "bytes=120000-"


def test_two_concurrent_fetches_are_serialised(server: ModelServer, tmp_path: Path) -> None:
    _serve_files(server, FILES)
    server.chunk_delay = 0.05
    out: list[list[object]] = []
    evs: list[list[FetchEvent]] = []

    # Both fetches start together, so one of them must find the other holding the lock.
    start = threading.Barrier(2)

    manifest = load_manifest(write_manifest(tmp_path / "m.json", FILES))

    def run() -> None:
        events: list[FetchEvent] = []
        start.wait()
        results = fetch_models(
            ["TestLayout"],
            cache_dir=tmp_path / "cache",
            manifest=manifest,
            mirror=f"{server.url}/mirror",
            sources=["mirror"],
            downloader=Downloader(attempts=2, sleep=lambda s: None),
            on_event=events.append,
        )
        out.append(list(results))
        evs.append(events)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r[0].ok for r in out)  # type: ignore[attr-defined]
    assert sum(any(isinstance(e, WaitingForLock) for e in ev) for ev in evs) == 1
    assert len(server.paths_requested("/mirror/TestLayout/inference.pdiparams")) == 1
    manifest = load_manifest(tmp_path / "m.json")
    resolve_model("TestLayout", cache_dir=tmp_path / "cache", manifest=manifest, verify="full")


@pytest.mark.slow
def test_two_processes_fetching_at_once(server: ModelServer, tmp_path: Path) -> None:
    _serve_files(server, FILES)
    server.chunk_delay = 0.05
    mf = write_manifest(tmp_path / "m.json", FILES)
    code = (
        "import sys; from pathlib import Path\n"
        "from docparse.models.fetch import fetch_models\n"
        "from docparse.models.manifest import load_manifest\n"
        "r = fetch_models(['TestLayout'], cache_dir=Path(sys.argv[1]),"
        " manifest=load_manifest(Path(sys.argv[2])), sources=['mirror'], mirror=sys.argv[3])\n"
        "sys.exit(0 if r[0].ok else 1)\n"
    )
    args = [sys.executable, "-c", code, str(tmp_path / "cache"), str(mf), f"{server.url}/mirror"]
    procs = [subprocess.Popen(args) for _ in range(2)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    assert len(server.paths_requested("/mirror/TestLayout/inference.pdiparams")) == 1
    resolve_model(
        "TestLayout", cache_dir=tmp_path / "cache", manifest=load_manifest(mf), verify="full"
    )


def test_shipped_manifest_size_pin_refuses_other_weights(
    server: ModelServer, tmp_path: Path
) -> None:
    server.files["/m/PP-DocLayoutV2/inference.pdiparams"] = b"\0" * 1000
    events: list[FetchEvent] = []
    results = fetch_models(
        ["PP-DocLayoutV2"],
        cache_dir=tmp_path,
        manifest=load_manifest(),
        sources=["mirror"],
        mirror=f"{server.url}/m",
        on_event=events.append,
    )
    assert not results[0].ok
    assert "offers 1000 bytes, the manifest pins 212170944" in results[0].message
    assert not model_path(tmp_path, "PP-DocLayoutV2").exists()


def test_unreachable_sources_each_reported_in_one_line(tmp_path: Path) -> None:
    events: list[FetchEvent] = []
    manifest = load_manifest(write_manifest(tmp_path / "m.json", FILES))
    results = fetch_models(
        ["TestLayout"],
        cache_dir=tmp_path / "c",
        manifest=manifest,
        mirror="http://127.0.0.1:9",
        downloader=Downloader(attempts=1),
        on_event=events.append,
    )
    failed = [e for e in events if isinstance(e, SourceFailed)]
    assert [e.source for e in failed] == ["mirror"] and "\n" not in failed[0].message
    assert not results[0].ok and results[0].message.startswith("mirror: http://127.0.0.1:9/")

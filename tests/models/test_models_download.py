from __future__ import annotations

from pathlib import Path

import pytest
from model_server import ModelServer, sha

from docparse.errors import ModelFetchError, ModelIntegrityError
from docparse.models.download import Downloader, DownloadProgress

DATA = bytes(range(256)) * 1000  # 256_000 bytes


def _dl() -> Downloader:
    return Downloader(attempts=3, sleep=lambda s: None)


def test_success_verifies_and_reports_progress(server: ModelServer, tmp_path: Path) -> None:
    server.files["/m/w.bin"] = DATA
    seen: list[DownloadProgress] = []
    with _dl() as dl:
        got = dl.fetch(
            f"{server.url}/m/w.bin",
            tmp_path / "w.bin",
            size=len(DATA),
            sha256=sha(DATA),
            on_progress=seen.append,
        )
    assert got is not None and got.sha256 == sha(DATA) and got.size == len(DATA)
    assert (tmp_path / "w.bin").read_bytes() == DATA
    assert not (tmp_path / "w.bin.part").exists()
    assert seen[0].done == 0 and seen[-1].done == seen[-1].total == len(DATA)


def test_truncated_download_resumes_with_a_range_request(
    server: ModelServer, tmp_path: Path
) -> None:
    server.files["/w.bin"] = DATA
    server.truncate_first["/w.bin"] = 100_000
    with _dl() as dl:
        got = dl.fetch(f"{server.url}/w.bin", tmp_path / "w.bin", sha256=sha(DATA))
    assert got is not None and got.resumed_from == 100_000
    assert server.paths_requested("/w.bin") == [None, "bytes=100000-"]
    assert (tmp_path / "w.bin").read_bytes() == DATA


def test_partial_file_from_an_earlier_run_is_resumed(server: ModelServer, tmp_path: Path) -> None:
    server.files["/w.bin"] = DATA
    (tmp_path / "w.bin.part").write_bytes(DATA[:5000])
    with _dl() as dl:
        dl.fetch(f"{server.url}/w.bin", tmp_path / "w.bin", size=len(DATA), sha256=sha(DATA))
    assert server.paths_requested("/w.bin") == ["bytes=5000-"]
    assert (tmp_path / "w.bin").read_bytes() == DATA


def test_server_ignoring_range_restarts_from_zero(server: ModelServer, tmp_path: Path) -> None:
    server.files["/w.bin"] = DATA
    server.ignore_range.add("/w.bin")
    (tmp_path / "w.bin.part").write_bytes(b"garbage-prefix")
    with _dl() as dl:
        dl.fetch(f"{server.url}/w.bin", tmp_path / "w.bin", sha256=sha(DATA))
    assert (tmp_path / "w.bin").read_bytes() == DATA


def test_bad_resumed_prefix_is_retried_once_from_scratch(
    server: ModelServer, tmp_path: Path
) -> None:
    server.files["/w.bin"] = DATA
    (tmp_path / "w.bin.part").write_bytes(b"X" * 5000)  # wrong bytes, right length prefix
    with _dl() as dl:
        dl.fetch(f"{server.url}/w.bin", tmp_path / "w.bin", sha256=sha(DATA))
    assert server.paths_requested("/w.bin") == ["bytes=5000-", None]
    assert (tmp_path / "w.bin").read_bytes() == DATA


def test_wrong_checksum_is_refused_and_bytes_deleted(server: ModelServer, tmp_path: Path) -> None:
    server.files["/w.bin"] = DATA
    with _dl() as dl, pytest.raises(ModelIntegrityError, match=r"sha256 .* differs") as ei:
        dl.fetch(f"{server.url}/w.bin", tmp_path / "w.bin", sha256="0" * 64)
    assert f"{server.url}/w.bin" in str(ei.value)
    assert list(tmp_path.iterdir()) == []


def test_size_mismatch_is_refused_before_downloading(server: ModelServer, tmp_path: Path) -> None:
    server.files["/w.bin"] = DATA
    with _dl() as dl, pytest.raises(ModelIntegrityError, match=r"offers 256000 bytes.*pins 10"):
        dl.fetch(f"{server.url}/w.bin", tmp_path / "w.bin", size=10)
    assert not (tmp_path / "w.bin").exists()


def test_404_is_none_when_optional_else_an_error(server: ModelServer, tmp_path: Path) -> None:
    with _dl() as dl:
        assert dl.fetch(f"{server.url}/nope", tmp_path / "n", missing_ok=True) is None
        with pytest.raises(ModelFetchError, match="HTTP 404"):
            dl.fetch(f"{server.url}/nope", tmp_path / "n")
    assert server.paths_requested("/nope") == [None, None]  # 404 is not retried


def test_server_error_mid_download_keeps_the_partial_for_later(
    server: ModelServer, tmp_path: Path
) -> None:
    server.files["/w.bin"] = DATA
    server.truncate_first["/w.bin"] = 70_000

    def break_server(seconds: float) -> None:
        server.status["/w.bin"] = 500

    dl = Downloader(attempts=3, sleep=break_server)
    with pytest.raises(ModelFetchError, match="failed after 3 attempts: HTTP 500"):
        dl.fetch(f"{server.url}/w.bin", tmp_path / "w.bin", sha256=sha(DATA))
    assert (tmp_path / "w.bin.part").stat().st_size == 70_000
    assert not (tmp_path / "w.bin").exists()
    del server.status["/w.bin"]
    dl.fetch(f"{server.url}/w.bin", tmp_path / "w.bin", sha256=sha(DATA))
    assert server.paths_requested("/w.bin")[-1] == "bytes=70000-"
    assert (tmp_path / "w.bin").read_bytes() == DATA
    dl.close()


def test_connection_refused_is_a_fetch_error(tmp_path: Path) -> None:
    with _dl() as dl, pytest.raises(ModelFetchError, match=r"127.0.0.1:9/x.*ConnectError"):
        dl.fetch("http://127.0.0.1:9/x", tmp_path / "x")

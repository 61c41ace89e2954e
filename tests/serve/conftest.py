"""Fixtures of the service tests: one fake vLLM, one main service in front of it, and a
loopback file server for URL inputs."""

from __future__ import annotations

import http.server
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from serve_fixtures import ServeProcess

from docparse.testing import FakeVLLM, FakeVLLMConfig, start_fake_vllm

KEY_A = "key-alpha-0123456789"
KEY_B = "key-bravo-0123456789"


class FileServer:
    """Serves ``root`` on 127.0.0.1; ``/redirect?to=URL`` answers 302 to URL."""

    def __init__(self, root: Path) -> None:
        root_dir = str(root)

        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *a, **kw):  # type: ignore[no-untyped-def]
                super().__init__(*a, directory=root_dir, **kw)

            def do_GET(self) -> None:
                if self.path.startswith("/redirect?to="):
                    self.send_response(302)
                    self.send_header("Location", self.path.split("=", 1)[1])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                super().do_GET()

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="session")
def fake_vllm() -> Iterator[FakeVLLM]:
    # Scripted answers (instant); a test wanting the crop's real words switches the fake to
    # reading every crop with the built-in OCR (see `reading_fake`).
    with start_fake_vllm(FakeVLLMConfig()) as server:
        yield server


@pytest.fixture()
def reading_fake(fake_vllm: FakeVLLM) -> Iterator[FakeVLLM]:
    fake_vllm.configure(ocr_mode="builtin")
    try:
        yield fake_vllm
    finally:
        fake_vllm.configure(ocr_mode="scripted")


@pytest.fixture(scope="session")
def files(samples_dir: Path) -> Iterator[FileServer]:
    server = FileServer(samples_dir)
    yield server
    server.close()


@pytest.fixture(scope="session")
def other_files(samples_dir: Path) -> Iterator[FileServer]:
    """A second loopback server, not on the allow list (a redirect target)."""
    server = FileServer(samples_dir)
    yield server
    server.close()


@pytest.fixture(scope="session")
def service(tmp_path_factory: pytest.TempPathFactory, fake_vllm: FakeVLLM,
            files: FileServer) -> Iterator[ServeProcess]:
    """Defaults everywhere except: two keys, the fake vLLM, built-in layout, and the loopback
    file server allowed by exact host:port."""
    work = tmp_path_factory.mktemp("serve-main")
    args = ["--api-key", KEY_A, "--api-key", KEY_B, "--server", fake_vllm.url,
            "--layout", "builtin", "--url-allow", f"127.0.0.1:{files.port}",
            "--orientation", "off"]
    with ServeProcess(args, work=work) as proc:
        yield proc


@pytest.fixture(scope="session")
def small(tmp_path_factory: pytest.TempPathFactory, fake_vllm: FakeVLLM) -> Iterator[ServeProcess]:
    """Small limits: 0.1 MB uploads, 1 page, 1 document at a time with a line of 1, jobs kept
    2 s, URL inputs off (also what the fuzz run uses: generated URLs would wait on DNS)."""
    args = ["--server", fake_vllm.url, "--layout", "builtin", "--orientation", "off",
            "--max-upload-mb", "0.1", "--max-pages", "1", "--max-documents", "1",
            "--queue-size", "1", "--job-ttl", "2", "--no-url-inputs", "--request-deadline", "120"]
    with ServeProcess(args, work=tmp_path_factory.mktemp("serve-small")) as proc:
        yield proc

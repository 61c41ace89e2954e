"""A server URL with credentials keeps working (HTTP Basic auth) but the credentials never
appear in outputs, stderr, logs or events (issue 12, item 8)."""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import sys
from pathlib import Path

import pymupdf
import pytest

from docparse.recognize.vlm.client import EndpointClient
from docparse.testing import start_fake_vllm

pytestmark = pytest.mark.slow

SECRET = "s3cr%40t-pw"  # percent-encoded '@' in the URL: decoded before it is sent
SENT = "s3cr@t-pw"


def _pdf(path: Path) -> Path:
    doc = pymupdf.open()
    page = doc.new_page(width=300, height=200)
    page.insert_text((30, 60), "Quarterly report", fontsize=18)
    page.insert_text((30, 100), "Revenue grew by four percent.", fontsize=11)
    doc.save(path)
    return path


def _dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _parse(tmp_path: Path, *servers: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    out = tmp_path / "out"
    args = ["parse", str(_pdf(tmp_path / "a.pdf")), "-o", str(out), "--layout", "builtin",
            "--text-layer", "off", "--retries", "1", "--log-json"]
    for url in servers:
        args += ["--server", url]
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCPARSE_")}
    env["DOCPARSE_LOG"] = "debug"  # the library's log (and httpx's) goes to stderr too
    proc = subprocess.run([sys.executable, "-m", "docparse", *args], capture_output=True,
                          text=True, env=env, timeout=300)
    return proc, out


def _everything_written(proc: subprocess.CompletedProcess[str], out: Path) -> str:
    texts = [proc.stdout, proc.stderr]
    if out.exists():
        texts += [p.read_text("utf-8", "replace") for p in out.rglob("*") if p.is_file()]
    return "\n".join(texts)


def test_credentials_are_sent_as_basic_auth_and_never_shown(tmp_path: Path) -> None:
    dead = _dead_port()
    with start_fake_vllm() as server:
        good = server.url.replace("http://", f"http://ann:{SECRET}@")
        proc, out = _parse(tmp_path, good, f"http://bob:{SECRET}@127.0.0.1:{dead}/v1")
        auth = {r["authorization"] for r in server.requests()}
    assert proc.returncode == 0, proc.stderr[-2000:]
    expected = "Basic " + base64.b64encode(f"ann:{SENT}".encode()).decode()
    assert auth == {expected}
    written = _everything_written(proc, out)
    assert "s3cr" not in written and "ann:" not in written and "bob:" not in written
    doc = (out / "a.json").read_text("utf-8")
    assert f'"{server.url}"' in doc  # stats.endpoints names the endpoint, without credentials
    assert "Hello from fake vLLM" in (out / "a.md").read_text("utf-8")  # the fake's answer


def test_no_server_answers_error_names_endpoints_without_credentials(tmp_path: Path) -> None:
    dead = _dead_port()
    proc, out = _parse(tmp_path, f"http://ann:{SECRET}@127.0.0.1:{dead}/v1")
    assert proc.returncode == 2
    assert f"127.0.0.1:{dead}/v1" in proc.stderr
    assert "s3cr" not in _everything_written(proc, out) and "ann:" not in proc.stderr


def test_endpoint_client_shows_the_url_without_credentials() -> None:
    client = EndpointClient("http://ann:pw@gpu:8000/v1")
    assert client.url == "http://gpu:8000/v1"

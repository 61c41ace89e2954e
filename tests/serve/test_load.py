"""A bounded load test (200 requests, 16 clients at once) and a restart with SIGTERM: only
200/429 answers, no descriptor or temporary-file growth, jobs settled and kept on disk."""

from __future__ import annotations

import base64
import concurrent.futures
import io
import json
import os
import signal
import time
from pathlib import Path

import httpx
import pytest
from conftest import KEY_A
from PIL import Image, ImageDraw
from serve_fixtures import ServeProcess

from docparse.testing import FakeVLLM


def small_page() -> bytes:
    image = Image.new("RGB", (480, 200), "white")
    draw = ImageDraw.Draw(image)
    draw.text((30, 40), "Load test page", fill="black", font_size=36)
    draw.text((30, 110), "one line of body text for the layout", fill="black", font_size=22)
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def post_page(url: str, page: bytes, i: int, key: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    with httpx.Client(base_url=url, timeout=300, trust_env=False, headers=headers) as c:
        if i % 2:
            return c.post("/v1/parse", files={"file": (f"p{i}.png", page)},
                          data={"options": '{"include_images": false}'})
        return c.post("/layout-parsing", json={"file": base64.b64encode(page).decode(),
                                               "fileType": 1})


def test_16_concurrent_one_page_clients_are_all_served(service: ServeProcess) -> None:
    """Default limits (2 documents at once, a line of 64): a burst of 16 waits, none refused."""
    page = small_page()
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        responses = list(pool.map(lambda i: post_page(service.url, page, i, KEY_A), range(16)))
    assert [r.status_code for r in responses] == [200] * 16, [r.text[:200] for r in responses]


def test_200_requests_at_16_concurrent(small: ServeProcess) -> None:
    """Over capacity (1 slot, a line of 1, 16 clients): only 200 or 429, and afterwards the
    process holds no more descriptors or temporary files than before."""
    page = small_page()
    small.wait_idle()
    assert post_page(small.url, page, 1).status_code == 200  # warm
    time.sleep(0.5)
    fds_before, temp_before = small.open_fds(), small.temp_files()
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        responses = list(pool.map(lambda i: post_page(small.url, page, i), range(200)))
    statuses = [r.status_code for r in responses]
    assert set(statuses) <= {200, 429}, sorted(set(statuses))
    assert statuses.count(200) >= 2 and statuses.count(429) >= 1
    for r in responses:
        if r.status_code == 429:
            assert int(r.headers["retry-after"]) >= 1
    time.sleep(1.0)
    assert small.open_fds() <= fds_before + 4
    assert small.temp_files() == temp_before
    with httpx.Client(base_url=small.url, trust_env=False) as c:
        metrics = c.get("/metrics").text
    assert "docparse_queue_depth 0.0" in metrics and "docparse_http_in_flight 1.0" in metrics


@pytest.fixture()
def keyfile(tmp_path: Path) -> Path:
    path = tmp_path / "keys.txt"
    path.write_text("# service keys\nfile-key-0123456789\n")
    return path


def test_sigterm_and_restart_keep_jobs(tmp_path: Path, fake_vllm: FakeVLLM, samples_dir: Path,
                                       keyfile: Path) -> None:
    args = ["--server", fake_vllm.url, "--layout", "builtin", "--orientation", "off",
            "--api-key-file", str(keyfile), "--shutdown-grace", "1", "--max-documents", "1"]
    env = {"DOCPARSE_SERVE_API_KEYS": "env-key-0123456789"}
    invoice = (samples_dir / "invoice.pdf").read_bytes()
    report = (samples_dir / "report.pdf").read_bytes()
    first = ServeProcess(args, work=tmp_path, env=env).start()
    try:
        with first.client("file-key-0123456789") as c:
            done = c.post("/v1/jobs", files={"file": ("invoice.pdf", invoice)}).json()
            while c.get(f"/v1/jobs/{done['id']}").json()["status"] != "completed":
                time.sleep(0.2)
            fake_vllm.configure(latency=60.0)
            busy = c.post("/v1/jobs", files={"file": ("report.pdf", report)}).json()
            waiting = c.post("/v1/jobs", files={"file": ("report.pdf", report)}).json()
            while c.get(f"/v1/jobs/{busy['id']}").json()["status"] != "running":
                time.sleep(0.2)
        with first.client("env-key-0123456789") as c:  # the environment's key works too
            assert c.get(f"/v1/jobs/{done['id']}").status_code == 404  # ... but owns nothing
        started = time.monotonic()
        assert first.terminate() in (0, -signal.SIGTERM)  # uvicorn re-raises the signal
        assert time.monotonic() - started < 30
    finally:
        fake_vllm.configure(latency=0.0)
        first.stop()
    assert [p.name for p in first.temp_files()] in ([], [".ses"])  # onnxruntime leaves .ses
    jobs = tmp_path / "data" / "jobs"
    state = json.loads((jobs / busy["id"] / "job.json").read_text())
    assert state["status"] == "failed" and state["error_code"] == "shutting_down"
    assert not (jobs / busy["id"] / "input").exists()
    assert "Traceback" not in first.log()

    with ServeProcess(args, work=tmp_path, env=env) as second:
        with second.client("file-key-0123456789") as c:
            assert c.get(f"/v1/jobs/{done['id']}").json()["status"] == "completed"
            assert c.get(f"/v1/jobs/{done['id']}/result").status_code == 200
            assert c.get(f"/v1/jobs/{busy['id']}").json()["status"] == "failed"
            # The job still queued at shutdown runs after the restart.
            deadline = time.monotonic() + 120
            while (view := c.get(f"/v1/jobs/{waiting['id']}").json())["status"] in ("queued", "running"):
                assert time.monotonic() < deadline
                time.sleep(0.2)
            assert view["status"] == "completed", view
        os.kill(second.pid, signal.SIGTERM)
        assert second.proc is not None and second.proc.wait(timeout=60) in (0, -signal.SIGTERM)

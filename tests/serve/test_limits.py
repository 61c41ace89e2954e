"""Limits on the service started with small ones (the ``small`` fixture): upload size, pages,
one slot with a line of one (429 + Retry-After only beyond it), URL inputs off, job expiry."""

from __future__ import annotations

import base64
import concurrent.futures
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from serve_fixtures import ServeProcess

from docparse.testing import FakeVLLM


def test_upload_size(small: ServeProcess, samples_dir: Path) -> None:
    scan = (samples_dir / "scan.png").read_bytes()  # 350 kB > 0.1 MB
    with small.client() as c:
        r1 = c.post("/v1/parse", files={"file": ("scan.png", scan)})
        r2 = c.post("/layout-parsing", json={"file": base64.b64encode(scan).decode(), "fileType": 1})

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted while it streams
            for i in range(0, len(scan), 16384):
                yield scan[i:i + 16384]

        r3 = c.post("/v1/parse", content=chunks(), headers={"content-type": "application/json"})
    for r in (r1, r2, r3):
        assert r.status_code == 413, r.text
    assert r1.json()["error"]["code"] == "upload_too_large"
    assert r2.json()["code"] == "upload_too_large"


def test_page_limit(small: ServeProcess, samples_dir: Path) -> None:
    report = (samples_dir / "report.pdf").read_bytes()  # two pages
    with small.client() as c:
        r = c.post("/v1/parse", files={"file": ("report.pdf", report)})
        assert r.status_code == 413 and r.json()["error"]["code"] == "too_many_pages", r.text
        one = c.post("/v1/parse", files={"file": ("report.pdf", report)},
                     data={"options": '{"pages": "2"}'})
        assert one.status_code == 200, one.text
        job = c.post("/v1/jobs", files={"file": ("report.pdf", report)}).json()
        deadline = time.monotonic() + 120
        while (view := c.get(f"/v1/jobs/{job['id']}").json())["status"] in ("queued", "running"):
            assert time.monotonic() < deadline
            time.sleep(0.2)
        assert view["status"] == "failed" and view["error"]["code"] == "too_many_pages"


def test_url_inputs_off(small: ServeProcess) -> None:
    with small.client() as c:
        r = c.post("/v1/parse", json={"url": "http://127.0.0.1:1/x.pdf"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "url_inputs_disabled"


def test_full_line_gets_429_with_retry_after(small: ServeProcess, samples_dir: Path,
                                             fake_vllm: FakeVLLM) -> None:
    report = (samples_dir / "report.pdf").read_bytes()
    small.wait_idle()
    fake_vllm.configure(latency=1.5)  # each document holds its slot a while

    def one(_: int) -> Any:
        with small.client() as c:
            return c.post("/v1/parse", files={"file": ("report.pdf", report)},
                          data={"options": '{"pages": "1", "include_images": false}'})

    try:
        with concurrent.futures.ThreadPoolExecutor(5) as pool:
            results = list(pool.map(one, range(5)))
    finally:
        fake_vllm.configure(latency=0.0)
    statuses = sorted(r.status_code for r in results)
    assert set(statuses) <= {200, 429} and statuses.count(200) >= 2, statuses
    refused = [r for r in results if r.status_code == 429]
    assert refused, statuses
    for r in refused:
        assert r.json()["error"]["code"] == "queue_full" and int(r.headers["retry-after"]) >= 1


def test_finished_jobs_expire(small: ServeProcess, samples_dir: Path) -> None:
    with small.client() as c:
        job = c.post("/v1/jobs", files={"file": ("invoice.pdf", (samples_dir / "invoice.pdf").read_bytes())}).json()
        deadline = time.monotonic() + 120
        while c.get(f"/v1/jobs/{job['id']}").json()["status"] in ("queued", "running"):
            assert time.monotonic() < deadline
            time.sleep(0.2)
        assert c.get(f"/v1/jobs/{job['id']}/result").status_code == 200
        while c.get(f"/v1/jobs/{job['id']}").status_code == 200:  # ttl 2 s, swept every 0.5 s
            assert time.monotonic() < deadline
            time.sleep(0.25)
        assert not (small.work / "data" / "jobs" / job["id"]).exists()


def test_ready_follows_the_recognition_server(small: ServeProcess, fake_vllm: FakeVLLM) -> None:
    with small.client() as c:
        assert c.get("/ready").json()["status"] == "ready"
        fake_vllm.kill()
        try:
            time.sleep(5.5)  # readiness is re-checked at most every 5 s
            r = c.get("/ready")
            assert r.status_code == 503 and r.json()["status"] == "not_ready"
            assert "recognition" in r.json()["detail"]
            assert c.get("/health").status_code == 200  # alive all the same
        finally:
            fake_vllm.start()
        time.sleep(5.5)
        assert c.get("/ready").status_code == 200

"""docparse's own API on the real service: /v1/parse, jobs, keys, and malformed requests."""

from __future__ import annotations

import base64
import io
import json
import time
import zipfile
from pathlib import Path
from typing import Any

import httpx
from conftest import KEY_A, KEY_B, FileServer
from serve_fixtures import ServeProcess


def wait_job(c: httpx.Client, job_id: str, until: set[str], timeout: float = 240) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        view = c.get(f"/v1/jobs/{job_id}").json()
        if view["status"] in until:
            return view
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} never reached {until}: {view}")


def test_parse_multipart_pdf(service: ServeProcess, samples_dir: Path) -> None:
    with service.client(KEY_A) as c:
        r = c.post("/v1/parse", files={"file": ("invoice.pdf", (samples_dir / "invoice.pdf").read_bytes(),
                                                "application/pdf")},
                   data={"options": json.dumps({"pages": "1", "include_images": False})},
                   headers={"X-Request-ID": "client-chosen-id-1"})
    assert r.status_code == 200, r.text
    assert r.headers["x-request-id"] == "client-chosen-id-1"
    body = r.json()
    assert body["request_id"] == "client-chosen-id-1" and body["filename"] == "invoice.pdf"
    doc = body["document"]
    assert doc["schema"] == "docparse.document" and doc["page_count"] == 1
    assert doc["input_path"] == "invoice.pdf"
    assert "INV-2024-0117" in body["markdown"] and "Riverside Analytics" in body["markdown"]
    assert body["images"] is None


def test_parse_json_url_image(service: ServeProcess, files: FileServer,
                              reading_fake: Any) -> None:
    """An image fetched from an allowed loopback host, read by the recognition server."""
    with service.client(KEY_A) as c:
        r = c.post("/v1/parse", json={"url": f"{files.url}/scan.png"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["filename"] == "scan.png"
    assert "Industrial zone" in body["markdown"] and "Estuary" in body["markdown"]
    # The pictures the Markdown references come with it.
    for path, data in (body["images"] or {}).items():
        assert path in body["markdown"] and base64.b64decode(data)[:2] == b"\xff\xd8"


def test_parse_json_base64(service: ServeProcess, samples_dir: Path) -> None:
    data = base64.b64encode((samples_dir / "report.pdf").read_bytes()).decode()
    with service.client(KEY_B) as c:
        r = c.post("/v1/parse", json={"file": data, "filename": "../../etc/report.pdf",
                                      "options": {"merge_tables": False, "pages": "2"}})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["filename"] == "report.pdf"  # no folders from a client-given name
    assert [p["page_index"] for p in body["document"]["pages"]] == [1]
    assert "Dissolved oxygen stayed above the legal minimum" in body["markdown"]


def test_job_from_submission_to_result(service: ServeProcess, samples_dir: Path) -> None:
    with service.client(KEY_A) as c, service.client(KEY_B) as other:
        r = c.post("/v1/jobs", files={"file": ("report.pdf", (samples_dir / "report.pdf").read_bytes())})
        assert r.status_code == 202, r.text
        job = r.json()
        assert job["status"] in ("queued", "running") and len(job["id"]) == 32
        # Another key sees nothing of it.
        assert other.get(f"/v1/jobs/{job['id']}").status_code == 404
        assert other.get(f"/v1/jobs/{job['id']}/result").status_code == 404
        assert other.delete(f"/v1/jobs/{job['id']}").status_code == 404
        done = wait_job(c, job["id"], {"completed", "partial", "failed"})
        assert done["status"] == "completed", done
        assert done["progress"] == {"pages_done": 2, "pages_total": 2}
        assert done["expires_at"] > done["finished_at"]
        res = c.get(f"/v1/jobs/{job['id']}/result")
        assert res.status_code == 200 and res.headers["content-type"] == "application/zip"
        zf = zipfile.ZipFile(io.BytesIO(res.content))
        names = set(zf.namelist())
        assert {"report.json", "report.md"} <= names
        md = zf.read("report.md").decode()
        assert "Quarterly Water Quality Report" in md
        for name in names - {"report.json", "report.md"}:
            assert name.startswith("imgs/report/") and name in md
        doc = json.loads(zf.read("report.json"))
        assert doc["page_count"] == 2 and doc["status"] == "success"
        assert c.delete(f"/v1/jobs/{job['id']}").status_code == 204
        assert c.get(f"/v1/jobs/{job['id']}").status_code == 404
        assert not (service.work / "data" / "jobs" / job["id"]).exists()


def test_cancel_a_running_job(service: ServeProcess, samples_dir: Path, fake_vllm: Any) -> None:
    fake_vllm.configure(latency=30.0)  # every recognition request hangs: the job stays running
    try:
        with service.client(KEY_A) as c:
            job = c.post("/v1/jobs", files={"file": ("report.pdf", (samples_dir / "report.pdf").read_bytes())}).json()
            wait_job(c, job["id"], {"running"})
            r = c.delete(f"/v1/jobs/{job['id']}")
            assert r.status_code == 200 and r.json()["status"] == "canceled"
            time.sleep(0.5)
            view = c.get(f"/v1/jobs/{job['id']}").json()
            assert view["status"] == "canceled"
            res = c.get(f"/v1/jobs/{job['id']}/result")
            assert res.status_code == 409 and res.json()["error"]["code"] == "job_not_finished"
            assert not (service.work / "data" / "jobs" / job["id"] / "input").exists()
    finally:
        fake_vllm.configure(latency=0.0)


def test_keys(service: ServeProcess, samples_dir: Path) -> None:
    pdf = {"file": ("invoice.pdf", (samples_dir / "invoice.pdf").read_bytes())}
    with service.client() as anon, service.client("not-a-valid-key-xyz") as wrong:
        for c in (anon, wrong):
            for r in (c.post("/v1/parse", files=pdf), c.post("/v1/jobs", files=pdf),
                      c.get("/v1/jobs/" + "a" * 32), c.post("/layout-parsing", json={"file": "x"})):
                assert r.status_code == 401, r.text
                assert r.headers["www-authenticate"] == "Bearer"
                assert "unauthorized" in r.text and "Traceback" not in r.text
        basic = anon.post("/v1/parse", files=pdf, headers={"Authorization": "Basic " + KEY_A})
        assert basic.status_code == 401
        # Operations never need a key.
        assert anon.get("/health").json() == {"status": "ok"}
        assert anon.get("/ready").status_code == 200
        assert anon.get("/openapi.json").status_code == 200


def test_malformed_requests(service: ServeProcess, samples_dir: Path) -> None:
    pdf = (samples_dir / "invoice.pdf").read_bytes()
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"content": b"{not json", "headers": {"content-type": "application/json"}}, 400, "bad_request"),
        ({"json": {"file": "aGVsbG8=", "url": "http://x/y"}}, 422, "invalid_request"),
        ({"json": {}}, 422, "invalid_request"),
        ({"json": {"file": "%%%not base64"}}, 422, "invalid_request"),
        ({"json": {"file": "aGVsbG8=", "bogus": 1}}, 422, "invalid_request"),
        ({"json": {"file": base64.b64encode(pdf).decode(), "options": {"pages": "x-y"}}}, 422, "invalid_request"),
        ({"json": {"file": base64.b64encode(pdf).decode(), "options": {"pages": "9"}}}, 422, "invalid_input"),
        ({"json": {"file": base64.b64encode(b"plain text, no document").decode()}}, 415, "unsupported_input"),
        ({"json": [1, 2]}, 422, "invalid_request"),
        ({"content": b"abc", "headers": {"content-type": "text/plain"}}, 415, "unsupported_input"),
        ({"files": {"other": ("a.pdf", pdf)}}, 422, "invalid_request"),
        ({"files": {"file": ("a.pdf", pdf)}, "data": {"options": "{nope"}}, 422, "invalid_request"),
        ({"files": {"file": ("a.pdf", b"")}}, 422, "invalid_input"),
        ({"content": b"--xx\r\nbroken", "headers": {"content-type": "multipart/form-data; boundary=xx"}},
         422, "invalid_request"),
    ]
    with service.client(KEY_A) as c:
        for kwargs, status, code in cases:
            r = c.post("/v1/parse", **kwargs)
            assert (r.status_code, r.json()["error"]["code"]) == (status, code), (kwargs.keys(), r.text)
            assert "Traceback" not in r.text
        for path, status, code in [("/nope", 404, "not_found"), ("/v1/jobs/../../etc", 404, "not_found"),
                                   ("/v1/jobs/" + "x" * 32, 404, "not_found")]:
            r = c.get(path)
            assert (r.status_code, r.json()["error"]["code"]) == (status, code), r.text
        r = c.put("/v1/parse")
        assert (r.status_code, r.json()["error"]["code"]) == (405, "method_not_allowed")


def test_metrics_count_requests_documents_and_pages(service: ServeProcess) -> None:
    with service.client() as c:
        text = c.get("/metrics").text
    assert 'docparse_http_requests_total{method="POST",route="/v1/parse",status="200"}' in text
    assert "docparse_pages_total" in text and "docparse_documents_total" in text
    assert "docparse_queue_depth" in text and "docparse_http_request_seconds_bucket" in text
    assert 'docparse_rejected_total{code="unauthorized"}' in text


def test_access_log_has_request_ids(service: ServeProcess) -> None:
    with service.client(KEY_A) as c:
        c.get("/health", headers={"X-Request-ID": "trace-me-42"})
    deadline = time.monotonic() + 10  # the line is written once the answer is sent
    mine: list[dict[str, Any]] = []
    while not mine and time.monotonic() < deadline:
        lines = [json.loads(x) for x in service.log().splitlines() if x.startswith("{")]
        mine = [x for x in lines if x["request_id"] == "trace-me-42"]
        time.sleep(0.1)
    assert mine and mine[-1]["status"] == 200 and mine[-1]["route"] == "/health"

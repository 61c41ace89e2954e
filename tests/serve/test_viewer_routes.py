"""The viewer in the service: ``GET /v1/jobs/{id}/view`` (and its pictures) over HTTP, then the
upload page at ``/`` in a real headless Chromium (Debian's, through its chromedriver) taking
the key, parsing samples/report.pdf against the fake vLLM and ending on the viewer."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from conftest import KEY_A, KEY_B
from serve_fixtures import ServeProcess
from test_v1 import wait_job

from docparse.testing import FakeVLLM

PAGE_PICTURE = re.compile(r'<img loading="lazy"[^>]*\ssrc="([^"]*)"')


def _submit(service: ServeProcess, name: str, data: bytes) -> dict[str, Any]:
    with service.client(KEY_A) as c:
        job = c.post("/v1/jobs", files={"file": (name, data)}).json()
        return wait_job(c, job["id"], {"completed", "partial", "failed"})


def _result_json(service: ServeProcess, job_id: str) -> dict[str, Any]:
    with service.client(KEY_A) as c:
        r = c.get(f"/v1/jobs/{job_id}/result")
    assert r.status_code == 200, r.text
    with zipfile.ZipFile(io.BytesIO(r.content)) as zf:
        name = next(n for n in zf.namelist() if n.endswith(".json"))
        return dict(json.loads(zf.read(name)))


@pytest.fixture(scope="module")
def report_job(service: ServeProcess, samples_dir: Path) -> dict[str, Any]:
    job = _submit(service, "report.pdf", (samples_dir / "report.pdf").read_bytes())
    assert job["status"] == "completed", job
    return job


def test_view_shows_the_job_document(service: ServeProcess, report_job: dict[str, Any]) -> None:
    doc = _result_json(service, report_job["id"])
    with service.client(KEY_A) as c:
        r = c.get(f"/v1/jobs/{report_job['id']}/view")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/html")
    assert r.headers["x-content-type-options"] == "nosniff"
    html = r.text
    assert html.count('<section class="page"') == len(doc["pages"]) == 2
    blocks = [b for p in doc["pages"] for b in p["parsing_res_list"]]
    assert html.count('<a class="box ') == len(blocks) > 5
    assert f"{len(doc['pages'])} of 2 pages" in html and f"{len(blocks)} blocks" in html
    # Small document: one self-contained file, pictures embedded, the viewer's own CSP.
    pictures = PAGE_PICTURE.findall(html)
    assert len(pictures) == 2 and all(p.startswith("data:image/") for p in pictures)
    assert "default-src 'none'" in html and "view/imgs/" not in html
    title = next(b["block_content"] for b in blocks if b["block_label"] == "doc_title")
    assert title and title in html


def test_view_needs_the_jobs_key(service: ServeProcess, report_job: dict[str, Any]) -> None:
    job_id = report_job["id"]
    with service.client() as anonymous:
        r = anonymous.get(f"/v1/jobs/{job_id}/view")
        assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
        assert anonymous.get(f"/v1/jobs/{job_id}/view/imgs/page_0001.jpg").status_code == 401
    with service.client(KEY_B) as other:  # another key's job does not exist for it
        for path in (f"/v1/jobs/{job_id}/view", f"/v1/jobs/{job_id}/view/imgs/page_0001.jpg"):
            r = other.get(path)
            assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    with service.client(KEY_A) as c:
        r = c.get("/v1/jobs/" + "x" * 32 + "/view")
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
        # The small viewer has no picture files; names are checked, never joined blindly.
        for name in ("page_0001.jpg", "..%2Fjob.json", "view.html"):
            r = c.get(f"/v1/jobs/{job_id}/view/imgs/{name}")
            assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


def test_view_of_a_partial_job_shows_the_failed_block(service: ServeProcess, fake_vllm: FakeVLLM,
                                                      samples_dir: Path) -> None:
    from docparse.testing.fake_vllm_config import AnswerRule

    # The server refuses tables (a client error: not retried).
    fake_vllm.configure(rules=(AnswerRule(prompt="Table Recognition:", fault="error", status=400),))
    try:
        job = _submit(service, "report.pdf", (samples_dir / "report.pdf").read_bytes())
    finally:
        fake_vllm.configure(rules=())
    assert job["status"] == "partial", job
    doc = _result_json(service, job["id"])
    failed = [b for p in doc["pages"] for b in p["parsing_res_list"] if b["status"] == "failed"]
    assert failed and all(b["block_label"] == "table" for b in failed)
    with service.client(KEY_A) as c:
        html = c.get(f"/v1/jobs/{job['id']}/view").text
    assert "status partial" in html and f"{len(failed)} failed" in html
    assert html.count("st-failed") >= 2 * len(failed)  # its box and its content
    assert f"<b>{failed[0]['error']['reason']}</b>" in html


def test_view_of_an_unfinished_job_is_refused(service: ServeProcess, fake_vllm: FakeVLLM,
                                              samples_dir: Path) -> None:
    fake_vllm.configure(latency=1.0)
    try:
        with service.client(KEY_A) as c:
            job = c.post("/v1/jobs", files={"file": ("report.pdf",
                                                     (samples_dir / "report.pdf").read_bytes())}).json()
            r = c.get(f"/v1/jobs/{job['id']}/view")
            assert r.status_code == 409 and r.json()["error"]["code"] == "job_not_finished"
            assert c.delete(f"/v1/jobs/{job['id']}").status_code in (200, 204)
    finally:
        fake_vllm.configure(latency=0.0)


def _many_pages(n: int) -> bytes:
    """An ``n``-page PDF of small scanned pages, each with a bar of its own length."""
    from PIL import Image, ImageDraw

    pages = []
    for i in range(n):
        img = Image.new("RGB", (300, 200), "white")
        ImageDraw.Draw(img).rectangle((20, 90, 60 + i, 100), fill="black")
        pages.append(img)
    buf = io.BytesIO()
    pages[0].save(buf, format="PDF", save_all=True, append_images=pages[1:], resolution=72)
    return buf.getvalue()


def test_big_document_pictures_beside(service: ServeProcess) -> None:
    """Over the embedding limit the pictures are files under the view route, behind the key;
    ``embed=true`` inlines them for a page that cannot send the key with picture requests."""
    from docparse.export.html_viewer import EMBED_MAX_PAGES

    n = EMBED_MAX_PAGES + 1
    job = _submit(service, "long.pdf", _many_pages(n))
    assert job["status"] in ("completed", "partial"), job
    with service.client(KEY_A) as c:
        html = c.get(f"/v1/jobs/{job['id']}/view").text
        pictures = PAGE_PICTURE.findall(html)
        assert html.count('<section class="page"') == len(pictures) == n
        assert pictures[0] == "view/imgs/page_0001.jpg" or pictures[0] == "view/imgs/page_0001.png"
        # Relative to /v1/jobs/{id}/view, so the browser asks the view route for them.
        r = c.get(f"/v1/jobs/{job['id']}/{pictures[-1]}")
        assert r.status_code == 200 and r.headers["content-type"] in ("image/jpeg", "image/png")
        from PIL import Image

        last = _result_json(service, job["id"])["pages"][-1]
        assert Image.open(io.BytesIO(r.content)).size == (last["width"], last["height"])
        embedded = c.get(f"/v1/jobs/{job['id']}/view", params={"embed": "true"}).text
    embedded_pictures = PAGE_PICTURE.findall(embedded)
    assert len(embedded_pictures) == n and all(p.startswith("data:image/") for p in embedded_pictures)
    with service.client() as anonymous:
        assert anonymous.get(f"/v1/jobs/{job['id']}/{pictures[0]}").status_code == 401
    with service.client(KEY_B) as other:
        assert other.get(f"/v1/jobs/{job['id']}/{pictures[0]}").status_code == 404


def test_upload_page_is_served_without_a_key(service: ServeProcess, small: ServeProcess) -> None:
    with service.client() as c:
        r = c.get("/")
        assert c.get("/health").json() == {"status": "ok"}
        assert "/" in c.get("/openapi.json").json()["paths"]
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    csp = r.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert "'unsafe-inline'" not in csp.split("script-src", 1)[1].split(";")[0]
    assert 'data-keys="1"' in r.text and 'id="key"' in r.text
    assert "http://" not in r.text and "https://" not in r.text
    with small.client() as c:  # a service without keys: the page does not ask for one
        assert 'data-keys="0"' in c.get("/").text


# --------------------------------------------------------------------------- the browser

# The `browser` fixture (headless Chromium from Debian's packages) is in tests/conftest.py.


def _until(browser: Any, condition: Any, timeout: float = 120) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, timeout, poll_frequency=0.05).until(lambda _: condition())


def test_upload_page_parses_and_shows_the_viewer(browser: Any, service: ServeProcess,
                                                 fake_vllm: FakeVLLM, samples_dir: Path,
                                                 tmp_path: Path) -> None:
    browser.get(service.url + "/")
    browser.get_log("browser")
    status = browser.find_element("id", "status")
    key = browser.find_element("id", "key")
    assert key.is_displayed()
    browser.find_element("id", "file").send_keys(str(samples_dir / "report.pdf"))

    # A wrong key: the service's refusal is shown, nothing else happens.
    key.send_keys("not-a-key")
    browser.find_element("id", "go").click()
    _until(browser, lambda: "not valid" in status.text, timeout=30)
    assert "err" in status.get_attribute("class")

    # The right key: upload, progress in pages, then the viewer. Each recognition request
    # takes a moment, so the page is seen running.
    key.clear()
    key.send_keys(KEY_A)
    fake_vllm.configure(latency=1.0)  # longer than the page's polling interval (0.4 s)
    try:
        browser.find_element("id", "go").click()
        seen: set[str] = set()
        viewer = browser.find_element("id", "viewer")

        def finished() -> bool:
            seen.add(status.text)
            return viewer.is_displayed()

        _until(browser, finished)
    finally:
        fake_vllm.configure(latency=0.0)
    assert status.text == "completed: 2 of 2 pages", status.text
    assert any(re.fullmatch(r"running(: [01] of 2 pages)?", s) for s in seen), seen
    assert int(browser.find_element("id", "bar").get_attribute("value")) == 2
    job_id = viewer.get_attribute("data-job")
    doc = _result_json(service, job_id)
    blocks = [b for p in doc["pages"] for b in p["parsing_res_list"]]

    # The viewer, in its sandboxed frame, with its own styles and script working.
    assert viewer.get_attribute("sandbox") == "allow-scripts"
    browser.switch_to.frame(viewer)
    try:
        assert len(browser.find_elements("css selector", "section.page")) == len(doc["pages"]) == 2
        boxes = browser.find_elements("css selector", "a.box")
        assert len(boxes) == len(blocks)
        # Positioned by the viewer's hashed stylesheet, over a decoded page picture.
        assert boxes[0].value_of_css_property("position") == "absolute"
        # The first page is on screen: its picture (lazy, data:) is decoded.
        _until(browser, lambda: browser.execute_script(
            "return document.querySelector('.sheet img').naturalWidth") == doc["pages"][0]["width"],
            timeout=10)
        # Clicking a box reveals its content, highlighted by the viewer's script.
        box = next(b for b in boxes if "doc_title" in b.text)
        target = box.get_attribute("href").rsplit("#", 1)[1]
        box.click()
        content = browser.find_element("id", target)
        _until(browser, lambda: "active" in content.get_attribute("class"), timeout=10)
        title = next(b["block_content"] for b in blocks if b["block_label"] == "doc_title")
        assert content.text.endswith(title)
        # The frame cannot reach the page that holds the key.
        assert browser.execute_script(
            "try{return parent.document.getElementById('key').value}catch(e){return 'blocked'}"
        ) == "blocked"
    finally:
        browser.switch_to.default_content()
    browser.save_screenshot(str(tmp_path / "viewer-served.png"))
    problems = [e["message"] for e in browser.get_log("browser")
                if e["level"] == "SEVERE" or "Content Security Policy" in e["message"]]
    # The only refusal is the wrong key's 401, which the browser logs as a failed request.
    assert all("401" in m for m in problems), problems

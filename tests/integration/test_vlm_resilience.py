"""Remote recognition against misbehaving fake vLLM servers, through the whole pipeline:
injected 5xx, timeouts and hangs, an endpoint killed mid-run, a deadline, a crop the server
rejects, and the measurements issue 6 asks for (concurrency, dead-endpoint detection, client
CPU per request)."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from vlm_fixtures import Spec, draw_page, layout_of, write_pdf, write_png

import docparse
from docparse.document import Document
from docparse.errors import ServerUnavailableError
from docparse.layout import Region
from docparse.layout.fixed import FixedLayout
from docparse.options import ParseOptions
from docparse.recognize.vlm.recognizer import VlmRecognizer
from docparse.testing import FakeVLLM, FakeVLLMConfig, start_fake_vllm

#: Ten boxes per page, no two text boxes next to each other (so nothing merges): one request
#: per box.
LABELS = (
    "text", "table", "paragraph_title", "text", "display_formula",
    "text", "table", "figure_title", "text", "footnote",
)  # fmt: skip
#: What the fake's default answers become after the official post-processing.
EXPECTED = {
    "table": "<table><tr><td>Name</td><td>Qty</td></tr><tr><td>apple</td><td>3</td></tr></table>",
    "display_formula": " $$ E=mc^2 $$ ",
}
DEFAULT_TEXT = "Hello from fake vLLM"
TRANSIENT_REASONS = {"timeout", "connection_error", "http_500", "http_502", "http_503"}


def grid_layout(rows: int = 5, cols: int = 2, labels: Sequence[str] = LABELS) -> FixedLayout:
    """``rows × cols`` boxes in page fractions, labels in reading order."""
    regions = []
    for r in range(rows):
        for c in range(cols):
            box = (0.05 + c * 0.47, 0.04 + r * 0.19, 0.47 + c * 0.47, 0.19 + r * 0.19)
            regions.append(Region(labels[(r * cols + c) % len(labels)], box, 0.9))
    return FixedLayout(regions)


@pytest.fixture(scope="module")
def pdf12(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_pdf(tmp_path_factory.mktemp("pdf") / "twelve.pdf", 12)


def parse(path: Path, urls: Sequence[str], layout: Any = None, **options: Any) -> Document:
    options.setdefault("text_layer", "off")
    with docparse.Parser(layout=layout or grid_layout(), server_url=list(urls), **options) as p:
        return p.parse(path)


def dead_url() -> str:
    """A loopback URL where nothing listens (a server started and killed)."""
    server = start_fake_vllm()
    url = server.url
    server.close()
    return url


def kill_after(server: FakeVLLM, requests: int, killed: list[float]) -> threading.Thread:
    """Kill ``server`` from a thread once it has received ``requests`` chat requests."""

    def watch() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and server.stats().received < requests:
            time.sleep(0.02)
        killed.append(time.monotonic())
        server.kill()

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def assert_complete_or_recorded(doc: Document, pages: int, urls: Sequence[str]) -> int:
    """Every page is there with all its blocks; each is ok with the right content or failed
    with a reason and an endpoint. Returns the number of failed blocks."""
    assert len(doc.pages) == pages
    failed = 0
    for page in doc.pages:
        assert [b.block_label for b in page.parsing_res_list] == list(LABELS)
        for b in page.parsing_res_list:
            if b.status == "ok":
                assert b.block_content == EXPECTED.get(b.block_label, DEFAULT_TEXT)
                continue
            failed += 1
            assert b.status == "failed"
            assert b.error is not None and b.error.reason in TRANSIENT_REASONS, b.error
            assert b.error.endpoint in urls
    recorded = {(e.page_index, e.block_id) for e in doc.errors}
    assert recorded == {
        (p.page_index, b.block_id)
        for p in doc.pages
        for b in p.parsing_res_list
        if b.status == "failed"
    }
    assert doc.status == ("partial" if failed else "success")
    return failed


# ───────────────────────────────────────────────────────────── faults and a killed endpoint


@pytest.mark.slow
def test_faults_and_an_endpoint_killed_mid_run_lose_nothing(pdf12: Path) -> None:
    faults: dict[str, Any] = {
        "error_rate": 0.10,
        "timeout_rate": 0.05,
        "hang_rate": 0.01,
        "latency": 0.05,
    }
    with (
        start_fake_vllm(FakeVLLMConfig(seed=1, **faults)) as a,
        start_fake_vllm(FakeVLLMConfig(seed=2, **faults)) as b,
    ):
        killed: list[float] = []
        watcher = kill_after(b, 30, killed)
        deadline = 60.0
        t0 = time.monotonic()
        doc = parse(pdf12, [a.url, b.url], timeout=1.0, retries=3, deadline=deadline,
                    max_concurrency=16)  # fmt: skip
        wall = time.monotonic() - t0
        watcher.join(5)

        assert killed, "the second endpoint was never killed"
        assert not b.alive
        assert wall < deadline
        failed = assert_complete_or_recorded(doc, 12, [a.url, b.url])
        outcomes = a.stats().outcomes
        # The faults really happened, and were retried.
        assert outcomes.get("error", 0) + outcomes.get("timeout", 0) > 0
        assert doc.stats.retries > 0
        assert doc.stats.endpoints.get(a.url, 0) > doc.stats.endpoints.get(b.url, 0) > 0
        print(f"\nfaults run: {wall:.1f} s, {doc.stats.recognition_requests} requests, "
              f"{doc.stats.retries} retries, {failed} failed blocks, endpoints {doc.stats.endpoints}")  # fmt: skip


def _deadline_run(pdf: Path) -> tuple[Document, float, float]:
    """One slot at 0.25 s per answer: 120 blocks would take 30 s; the deadline is 3 s.
    Returns the document, the wall time and when the last request reached the server
    (seconds after the document's start, from which the deadline counts)."""
    with start_fake_vllm(FakeVLLMConfig(slots=1, latency=0.25)) as server:
        t0 = time.monotonic()
        doc = parse(pdf, [server.url], deadline=3.0, timeout=10.0)
        wall = time.monotonic() - t0
        started = time.time() - doc.stats.seconds
        last_request = max(r["received_at"] for r in server.requests()) - started
    return doc, wall, last_request


@pytest.mark.slow
def test_nothing_runs_past_the_deadline(pdf12: Path) -> None:
    doc, wall, last_request = _deadline_run(pdf12)

    assert wall < 3.0 + 2.0  # the deadline (3 s) plus slack for a busy machine
    assert last_request < 3.0 + 0.05
    assert doc.status in ("partial", "failed")
    assert len(doc.pages) == 12
    assert any(b.status == "failed" for b in doc.blocks)
    for b in doc.blocks:
        if b.status == "failed":
            assert b.error is not None and b.error.reason == "deadline_exceeded"
    # Pages the deadline stopped before layout are present, empty, with a page-level error.
    empty = {p.page_index for p in doc.pages if not p.parsing_res_list}
    page_errors = {e.page_index for e in doc.errors if e.block_id is None}
    assert empty == page_errors
    assert all(e.reason == "deadline_exceeded" for e in doc.errors)


@pytest.mark.slow
def test_answers_that_arrived_before_the_deadline_are_kept(pdf12: Path) -> None:
    doc, _, _ = _deadline_run(pdf12)
    ok = [b for b in doc.blocks if b.status == "ok"]
    # About 3 s / 0.25 s = 12 answers arrived in time; each must be in the document.
    assert len(ok) >= 8
    assert doc.status == "partial"


def test_a_crop_the_server_rejects_fails_only_its_block(tmp_path: Path) -> None:
    specs = [
        Spec("doc_title", (100, 50, 900, 110), "Title"),
        Spec("text", (100, 150, 400, 200), "rejected"),
        Spec("table", (100, 250, 900, 450), "cell"),
        Spec("text", (100, 500, 900, 600), "fine"),
    ]
    path = write_png(tmp_path / "page.png", draw_page(1000, 700, specs))
    rule = {"size": "300x50", "fault": "error", "status": 400}
    with start_fake_vllm(FakeVLLMConfig(rules=(rule,))) as server:  # type: ignore[arg-type]
        doc = parse(path, [server.url], layout=layout_of(specs))
        rejected = [r for r in server.requests() if r["image"]["width"] == 300]

    assert len(rejected) == 1, "a 400 must not be retried"
    blocks = doc.pages[0].parsing_res_list
    assert [b.status for b in blocks] == ["ok", "failed", "ok", "ok"]
    bad = blocks[1]
    assert bad.error is not None
    assert (bad.error.reason, bad.error.endpoint) == ("http_400", server.url)
    assert "HTTP 400" in bad.error.message and "fake vLLM injected error 400" in bad.error.message
    assert blocks[2].block_content == EXPECTED["table"]
    assert doc.status == "partial"
    assert [(e.block_id, e.reason) for e in doc.errors] == [(1, "http_400")]


def test_every_endpoint_down_stops_the_run_quickly(pdf12: Path) -> None:
    urls = [dead_url(), dead_url()]
    t0 = time.monotonic()
    with pytest.raises(ServerUnavailableError) as info:
        parse(pdf12, urls, timeout=30.0, retries=5)
    elapsed = time.monotonic() - t0
    assert elapsed < 10.0  # retries x timeout per block would take minutes
    for url in urls:
        assert url in str(info.value)
    print(f"\nall endpoints down: error after {elapsed:.2f} s")


# ───────────────────────────────────────────────────────────── measurements


@pytest.mark.slow
def test_concurrency_against_a_slot_limited_server(tmp_path: Path) -> None:
    path = write_pdf(tmp_path / "ten.pdf", 10)
    slots, latency = 4, 0.2
    with start_fake_vllm(FakeVLLMConfig(slots=slots, latency=latency)) as server:
        t0 = time.monotonic()
        doc = parse(path, [server.url])
        wall = time.monotonic() - t0
        stats = server.stats()
    blocks = doc.stats.recognition_requests
    assert blocks == 100
    ideal = slots / latency
    rate = blocks / wall
    assert stats.max_in_flight == slots
    # The client keeps more than the slots busy: the server always has a queue to take from.
    assert stats.max_open > slots
    assert rate > 0.6 * ideal
    print(f"\nslots={slots} latency={latency}: {blocks} blocks in {wall:.2f} s = {rate:.1f} blocks/s"
          f" (ideal {ideal:.0f}/s, {rate / ideal:.0%}); server max in service {stats.max_in_flight},"
          f" max open {stats.max_open}")  # fmt: skip


@pytest.mark.slow
def test_time_to_detect_a_dead_endpoint(pdf12: Path) -> None:
    with (
        start_fake_vllm(FakeVLLMConfig(latency=0.05)) as a,
        start_fake_vllm(FakeVLLMConfig(latency=0.05)) as b,
    ):
        options = ParseOptions(server_url=(a.url, b.url), text_layer="off", timeout=2.0)
        recognizer = VlmRecognizer(options)
        killed: list[float] = []
        detected: list[float] = []

        def watch() -> None:
            while not killed and time.monotonic() < t0 + 60:
                time.sleep(0.002)
            while time.monotonic() < killed[0] + 30:
                if not recognizer.stats().endpoints[1].healthy:
                    detected.append(time.monotonic())
                    return
                time.sleep(0.002)

        t0 = time.monotonic()
        killer = kill_after(b, 20, killed)
        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        with docparse.Parser(options, layout=grid_layout(), recognizer=recognizer) as parser:
            doc = parser.parse(pdf12)
        killer.join(5)
        watcher.join(5)
    assert doc.status == "success", doc.errors
    assert detected, "the killed endpoint was never ejected"
    delay = detected[0] - killed[0]
    assert delay < 1.0
    print(
        f"\nkilled endpoint ejected {delay * 1000:.0f} ms after the kill; "
        f"run {time.monotonic() - t0:.1f} s, retries {doc.stats.retries}"
    )


@pytest.mark.slow
def test_client_cpu_time_per_request(tmp_path: Path) -> None:
    path = write_pdf(tmp_path / "ten.pdf", 10)
    with start_fake_vllm(FakeVLLMConfig()) as server:
        parse(path, [server.url])  # warm-up: imports, first connections
        cpu0, t0 = time.process_time(), time.monotonic()
        doc = parse(path, [server.url])
        cpu, wall = time.process_time() - cpu0, time.monotonic() - t0
    requests = doc.stats.recognition_requests
    assert requests == 100
    per_request = cpu / requests
    assert per_request < 0.05
    print(f"\nclient CPU {cpu:.2f} s for {requests} requests = {per_request * 1000:.1f} ms/request "
          f"(wall {wall:.2f} s, including rendering 10 pages)")  # fmt: skip

"""The streaming pipeline against a real fake-vLLM process with random latencies: pages and
blocks come out in order, requests overlap across pages, and the page window bounds how many
rendered pages exist at once (flat memory, in a small form)."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pymupdf as _pymupdf
import pytest

from docparse.events import DocumentStarted, Event, PageDone
from docparse.layout import Region
from docparse.layout.fixed import FixedLayout
from docparse.options import ParseOptions
from docparse.pipeline import AsyncParser
from docparse.testing import FakeVLLM, FakeVLLMConfig, start_fake_vllm

pytestmark = pytest.mark.slow

#: pymupdf ships no type hints.
pymupdf: Any = _pymupdf

BOXES = 3
#: Page n of a test PDF is BASE_WIDTH + n points wide; at 72 dpi that is its pixel width.
BASE_WIDTH = 300


def box_width(page: int, box: int) -> int:
    """Unique per (page, box) for page < 20: the fake server echoes it back as the answer."""
    return 100 + 20 * box + page


def expected_blocks(page: int) -> list[str]:
    return [f"{box_width(page, i)}x40" for i in range(BOXES)]


def _regions_for(width: int, height: int) -> list[Region]:
    page = width - BASE_WIDTH
    return [
        Region("text", (10, 20 + 50 * i, 10 + box_width(page, i), 60 + 50 * i), 0.9)
        for i in range(BOXES)
    ]


def make_pdf(path: Path, pages: int) -> Path:
    doc = pymupdf.open()
    for n in range(pages):
        page = doc.new_page(width=BASE_WIDTH + n, height=200)
        page.insert_text((20, 40), f"page {n + 1}", fontsize=12)
    doc.save(path)
    doc.close()
    return path


class CountingLayout(FixedLayout):
    """Counts page images alive (weak references: real memory, not bookkeeping)."""

    def __init__(self) -> None:
        super().__init__(regions_for=_regions_for)
        self.alive = 0
        self.max_alive = 0
        self.seen = 0

    def _gone(self) -> None:
        self.alive -= 1

    def detect(self, images: Sequence[npt.NDArray[np.uint8]]) -> list[list[Region]]:
        for img in images:
            base = img if img.base is None else img.base
            self.alive += 1
            self.seen += 1
            self.max_alive = max(self.max_alive, self.alive)
            weakref.finalize(base, self._gone)
        return super().detect(images)


@pytest.fixture(scope="module")
def server() -> Iterator[FakeVLLM]:
    config = FakeVLLMConfig(
        slots=6, latency=0.01, latency_jitter=0.12, seed=7, answers={"OCR:": "{width}x{height}"}
    )
    with start_fake_vllm(config) as srv:
        yield srv


def _options(url: str, **changes: object) -> ParseOptions:
    base = ParseOptions(
        server_url=(url,),
        recognizer="vlm",
        text_layer="off",
        dpi=72,
        max_concurrency=6,
        merge_tables=False,
        relevel_titles=False,
        join_paragraphs=False,
        detect_furniture=False,
    )
    return base.replace(**changes) if changes else base


def _contents(doc_pages: Sequence[object]) -> list[list[str]]:
    return [[b.block_content for b in p.parsing_res_list] for p in doc_pages]  # type: ignore[attr-defined]


def test_pages_and_blocks_keep_their_order_under_random_latencies(
    server: FakeVLLM, tmp_path: Path
) -> None:
    pdf = make_pdf(tmp_path / "order.pdf", 14)
    server.reset()

    async def run() -> list[list[str]]:
        async with AsyncParser(_options(server.url, page_window=5), layout=CountingLayout()) as p:
            doc = await p.parse(pdf)
        assert [pg.page_index for pg in doc.pages] == list(range(14))
        assert doc.status == "success"
        return _contents(doc.pages)

    assert asyncio.run(run()) == [expected_blocks(n) for n in range(14)]
    stats = server.stats()
    assert stats.served == 14 * BOXES
    # 6 requests at once with 3 blocks per page: only possible across page boundaries, so
    # answers of several pages were in flight together and still landed in their own pages.
    assert stats.max_in_flight == 6


def test_documents_in_parallel_share_the_window_and_stay_separate(
    server: FakeVLLM, tmp_path: Path
) -> None:
    a = make_pdf(tmp_path / "a.pdf", 9)
    b = make_pdf(tmp_path / "b.pdf", 6)
    layout = CountingLayout()

    async def run() -> dict[str, list[list[str]]]:
        out: dict[str, list[list[str]]] = {}
        async with AsyncParser(_options(server.url, page_window=4), layout=layout) as p:
            async for result in p.parse_many([a, b], concurrency=2):
                assert result.document is not None, result.error
                out[Path(result.input).name] = _contents(result.document.pages)
        return out

    out = asyncio.run(run())
    assert out["a.pdf"] == [expected_blocks(n) for n in range(9)]
    assert out["b.pdf"] == [expected_blocks(n) for n in range(6)]
    assert layout.seen == 15
    # One window for the whole parser, not one per document.
    assert layout.max_alive <= 4


def test_page_window_bounds_rendered_pages_in_flight(server: FakeVLLM, tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "long.pdf", 18)
    layout = CountingLayout()
    in_flight = 0
    max_in_flight = 0
    done: list[int | None] = []

    def on_event(event: Event) -> None:
        nonlocal in_flight
        if isinstance(event, PageDone):
            done.append(event.page_index)
            in_flight = layout.seen - len(done)

    async def run() -> None:
        nonlocal max_in_flight
        async with AsyncParser(
            _options(server.url, page_window=3), layout=layout, on_event=on_event
        ) as p:
            task = asyncio.create_task(p.parse(pdf))
            while not task.done():
                max_in_flight = max(max_in_flight, layout.seen - len(done))
                await asyncio.sleep(0.005)
            doc = await task
        assert len(doc.pages) == 18

    asyncio.run(run())
    assert layout.seen == 18 and sorted(d for d in done if d is not None) == list(range(18))
    # The server is the bottleneck, so the window fills up, and never overflows.
    assert max_in_flight == 3
    assert 2 <= layout.max_alive <= 3
    assert layout.alive == 0  # nothing keeps a rendered page once the document is built


def test_one_page_documents_keep_the_window_full_not_one_page_per_job(tmp_path: Path) -> None:
    # Ten one-page inputs, two opened at a time: pages of all of them share the window, so
    # far more than two pages (six requests) are in flight against a slow server.
    docs = [make_pdf(tmp_path / f"d{i}.pdf", 1) for i in range(10)]
    layout = CountingLayout()
    config = FakeVLLMConfig(slots=12, latency=0.4, answers={"OCR:": "{width}x{height}"})
    with start_fake_vllm(config) as slow:

        async def run() -> list[str]:
            names = []
            async with AsyncParser(_options(slow.url, page_window=5, max_concurrency=12),
                                   layout=layout) as p:
                async for result in p.parse_many(docs, concurrency=2):
                    assert result.document is not None, result.error
                    assert _contents(result.document.pages) == [expected_blocks(0)]
                    names.append(Path(result.input).name)
            return names

        assert asyncio.run(run()) == [f"d{i}.pdf" for i in range(10)]  # input order kept
        stats = slow.stats()
    assert stats.served == 10 * BOXES
    assert stats.max_in_flight > 2 * BOXES  # more pages than documents-at-a-time
    assert layout.max_alive <= 5  # still bounded by the window


def test_unordered_results_come_as_inputs_finish(server: FakeVLLM, tmp_path: Path) -> None:
    # A nine-page input first, one-page inputs after it: in input order the short ones wait
    # for the long one; with ordered=False each comes as soon as it is done, and says which.
    docs = [make_pdf(tmp_path / "long.pdf", 9)] + [
        make_pdf(tmp_path / f"d{i}.pdf", 1) for i in range(3)]

    async def run(ordered: bool) -> list[tuple[str, object]]:
        got = []
        async with AsyncParser(_options(server.url, page_window=4),
                               layout=CountingLayout()) as p:
            async for result in p.parse_many(docs, concurrency=2, ordered=ordered):
                assert result.document is not None, result.error
                got.append((Path(result.input).name, result.source))
        return got

    in_order = asyncio.run(run(True))
    assert [name for name, _ in in_order] == ["long.pdf", "d0.pdf", "d1.pdf", "d2.pdf"]
    as_done = asyncio.run(run(False))
    assert sorted(name for name, _ in as_done) == ["d0.pdf", "d1.pdf", "d2.pdf", "long.pdf"]
    assert as_done[0][0] != "long.pdf" and as_done[-1][0] == "long.pdf"
    assert all(source == tmp_path / name for name, source in as_done)


def test_inputs_are_taken_from_the_iterable_as_they_start(server: FakeVLLM,
                                                          tmp_path: Path) -> None:
    # The caller may do work per input as it hands it over (the CLI fingerprints each file):
    # the next input is asked for only when it can start, never all before the first page.
    docs = [make_pdf(tmp_path / f"d{i}.pdf", 1) for i in range(5)]
    started: list[str] = []
    started_when_taken: list[int] = []

    def on_event(event: Event) -> None:
        if isinstance(event, DocumentStarted):
            started.append(event.input_path)

    def sources() -> Iterator[Path]:
        for doc in docs:
            started_when_taken.append(len(started))
            yield doc

    async def run() -> int:
        n = 0
        async with AsyncParser(_options(server.url, page_window=4), layout=CountingLayout(),
                               on_event=on_event) as p:
            async for result in p.parse_many(sources(), concurrency=1, ordered=False):
                assert result.document is not None, result.error
                n += 1
        return n

    assert asyncio.run(run()) == 5
    # One input rendering at a time: input i is taken once input i - 1 has started.
    assert started_when_taken == sorted(started_when_taken)
    assert all(seen >= i for i, seen in enumerate(started_when_taken)), started_when_taken


def test_a_failing_iterable_ends_the_run_with_its_error(server: FakeVLLM,
                                                        tmp_path: Path) -> None:
    doc = make_pdf(tmp_path / "d.pdf", 1)

    def sources() -> Iterator[Path]:
        yield doc
        raise OSError("listing the inputs failed")

    async def run() -> list[str]:
        names = []
        async with AsyncParser(_options(server.url), layout=CountingLayout()) as p:
            async for result in p.parse_many(sources()):
                names.append(Path(result.input).name)
        return names

    with pytest.raises(OSError, match="listing the inputs failed"):
        asyncio.run(run())

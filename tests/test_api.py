"""The public API end to end on the built-in default (real layout model, real OCR)."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

import docparse
from docparse.document import Document

pytestmark = pytest.mark.slow


def _norm(s: str) -> str:
    return " ".join(s.lower().split())


@pytest.fixture(scope="module")
def report(samples_dir: Path) -> Document:
    return docparse.parse(samples_dir / "report.pdf")


@pytest.fixture(scope="module")
def expected(samples_dir: Path) -> dict[str, object]:
    return json.loads((samples_dir / "expected.json").read_text())  # type: ignore[no-any-return]


def test_report_blocks_have_the_known_content(report: Document, expected: dict) -> None:  # type: ignore[type-arg]
    exp = expected["report.pdf"]
    assert report.status == "success" and report.page_count == 2 and len(report.pages) == 2
    by_label: dict[str, list[str]] = {}
    for b in report.blocks:
        by_label.setdefault(b.block_label, []).append(_norm(b.block_content))
    assert _norm(exp["title"]) in by_label["doc_title"]
    text = " ".join(_norm(b.block_content) for b in report.blocks)
    for para in exp["paragraphs"]:
        assert _norm(para) in text
    for heading in exp["headings"]:
        assert _norm(heading) in text
    table = [b for b in report.blocks if b.block_label == "table"]
    assert len(table) == 1
    for row in exp["table"]:
        for cell in row:
            assert f"<td>{cell}</td>" in table[0].block_content
    # Header, footer and page number boxes stay in JSON; they are never sent for recognition,
    # but take the PDF's own text when it is there (it costs nothing).
    furniture = [b for b in report.blocks if b.block_label in ("header", "footer", "number")]
    assert furniture
    for b in furniture:
        assert (b.status, b.source) in (("skipped", "none"), ("ok", "text-layer"))
    assert {_norm(b.block_content) for b in furniture} >= {"page 1", "page 2"}


def test_reading_order_and_ids(report: Document) -> None:
    for page in report.pages:
        assert [b.block_id for b in page.blocks] == list(range(len(page.blocks)))
        assert [b.order for b in page.blocks] == list(range(len(page.blocks)))
        orders = [b.block_order for b in page.blocks if b.block_order is not None]
        assert orders == list(range(1, len(orders) + 1))
    furniture = ("header", "footer", "number")
    first = [b.block_label for b in report.pages[0].blocks if b.block_label not in furniture]
    assert first[0] == "doc_title"


def test_markdown_tokens_and_images(report: Document, tmp_path: Path, expected: dict) -> None:  # type: ignore[type-arg]
    md_path = report.save_to_markdown(tmp_path)
    md = md_path.read_text()
    tokens = MarkdownIt("commonmark").enable("table").parse(md)
    headings = [(t.tag, tokens[i + 1].content) for i, t in enumerate(tokens) if t.type == "heading_open"]
    assert headings[0] == ("h1", expected["report.pdf"]["title"])
    assert {tag for tag, _ in headings[1:]} <= {"h2", "h3", "h4"} and len(headings) >= 4
    assert any(t.type == "html_block" and "<table" in t.content for t in tokens)
    images = [s.split('"')[0] for s in md.split('src="')[1:]]
    assert images, "the figure is referenced"
    for rel in images:
        assert (tmp_path / rel).is_file()
    assert "River Authority - Q3" not in md  # header text is furniture


def test_json_round_trip_and_reproducibility(report: Document, samples_dir: Path, tmp_path: Path) -> None:
    path = report.save_to_json(tmp_path)
    loaded = docparse.load(path)
    assert loaded.to_dict() == report.to_dict()
    again = docparse.parse(samples_dir / "report.pdf")
    assert again.to_dict(volatile=False) == report.to_dict(volatile=False)


def test_bytes_file_objects_and_page_ranges(samples_dir: Path) -> None:
    data = (samples_dir / "report.pdf").read_bytes()
    doc = docparse.parse(data, pages="2")
    assert doc.input_path == "<bytes>"
    assert [p.page_index for p in doc.pages] == [1]
    doc2 = docparse.parse(io.BytesIO(data), pages="1")
    assert [p.page_index for p in doc2.pages] == [0]
    assert doc2.page_count == 2


def test_parse_works_inside_a_running_event_loop(samples_dir: Path) -> None:
    async def notebook_cell() -> Document:
        return docparse.parse(samples_dir / "invoice.pdf")

    doc = asyncio.run(notebook_cell())
    assert "INV-2024-0117" in " ".join(b.block_content for b in doc.blocks)


def test_parse_many_yields_one_result_per_input_in_order(samples_dir: Path, tmp_path: Path) -> None:
    bad = tmp_path / "broken.pdf"
    bad.write_bytes(b"%PDF-1.7\n this is not really a pdf")
    inputs = [samples_dir / "invoice.pdf", bad, tmp_path / "missing.png"]
    with docparse.Parser() as parser:
        results = list(parser.parse_many(inputs))
    assert [r.input for r in results] == [str(p) for p in inputs]
    assert results[0].ok and results[0].document is not None
    assert not results[1].ok and "broken.pdf" in str(results[1].error)
    assert not results[2].ok and "missing.png" in str(results[2].error)


def test_async_parser(samples_dir: Path) -> None:
    async def run() -> list[str]:
        events: list[str] = []
        async with docparse.AsyncParser(on_event=lambda e: events.append(type(e).__name__)) as p:
            doc = await p.parse(samples_dir / "invoice.pdf")
        assert doc.status == "success"
        return events

    events = asyncio.run(run())
    assert events[0] in ("Notice", "DocumentStarted")
    assert "PageDone" in events and events[-1] == "DocumentDone"


def test_scanned_page_without_text_layer_is_read(samples_dir: Path, expected: dict) -> None:  # type: ignore[type-arg]
    """OCR only: no text layer, a noisy, slightly rotated 150-dpi page (the built-in model calls
    half of it a picture; docparse reads big pictures too on such pages)."""
    doc = docparse.parse(samples_dir / "scan.png")
    assert doc.pages[0].page_index is None and doc.status == "success"
    words = set(_norm(" ".join(b.block_content for b in doc.blocks)).replace(",", " ").split())
    want = [w.strip(".,") for p in expected["scan.png"]["paragraphs"] for w in _norm(p).split()]
    found = sum(1 for w in want if w in words)
    assert found / len(want) >= 0.85, sorted(set(want) - words)
    assert all(b.source in ("builtin-ocr", "image") for b in doc.blocks)

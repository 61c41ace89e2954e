"""Scanned pages on the PaddleOCR-VL path take their label evidence from page pre-processing:
the text lines its cheap pass found (image processing, no OCR) show text the layout missed,
which is then sent to the server like any other text block.

A page image goes through the whole pipeline (pre-processing included) to the fake vLLM
server in its own process, which reads every crop with the shipped PP-OCRv6 models, so the
words asserted here were read from the crops docparse sent."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

import docparse
from docparse.layout import LayoutEvidence, Region
from docparse.layout.builtin_refine import refine_builtin
from docparse.layout.fixed import FixedLayout
from docparse.testing import FakeVLLM, FakeVLLMConfig, start_fake_vllm

pytestmark = pytest.mark.slow

W, H = 1240, 1754
BOXED = ["The committee met on Tuesday to discuss", "the budget for the coming year."]
MISSED = ["Members asked the treasurer to publish", "the accounts before the summer."]


class BuiltinRulesLayout(FixedLayout):
    """Fixed boxes, refined by the built-in backend's rules (as its small model's boxes are)."""

    name = "builtin-rules"

    def refine(self, regions: Sequence[Region], evidence: LayoutEvidence) -> list[Region]:
        return refine_builtin(regions, evidence)


@pytest.fixture(scope="module")
def server() -> Iterator[FakeVLLM]:
    with start_fake_vllm(FakeVLLMConfig(ocr_mode="builtin")) as srv:
        yield srv


def _scan(path: Path) -> Path:
    image = Image.new("RGB", (W, H), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=36)
    for i, line in enumerate(BOXED):
        draw.text((120, 300 + 56 * i), line, fill="black", font=font)
    for i, line in enumerate(MISSED):
        draw.text((120, 700 + 56 * i), line, fill="black", font=font)
    # A dashed bar: a "line" to the cheap pass, nothing to read for the server.
    for k in range(12):
        draw.rectangle((120 + 60 * k, 1100, 160 + 60 * k, 1112), fill="black")
    image.save(path)
    return path


def _words(text: str) -> list[str]:
    return "".join(c if c.isalnum() else " " for c in text.lower()).split()


def test_text_the_layout_missed_on_a_scan_is_read_by_the_server(
    tmp_path: Path, server: FakeVLLM
) -> None:
    server.reset()
    layout = BuiltinRulesLayout([Region("text", (100.0, 280.0, 1000.0, 420.0), 0.9)])
    with docparse.Parser(layout=layout, server_url=[server.url]) as parser:
        doc = parser.parse(_scan(tmp_path / "scan.png"))
    texts = [b for b in doc.blocks if b.block_label == "text"]
    # The boxed paragraph, then the one the layout missed, read from its own crop; the bar's
    # block was sent too, came back empty, and is gone.
    assert len(texts) == 2, [(b.block_bbox, b.block_content) for b in texts]
    assert _words(texts[0].block_content) == _words(" ".join(BOXED))
    assert _words(texts[1].block_content) == _words(" ".join(MISSED))
    assert texts[1].source == "vlm" and texts[1].block_order == 2
    assert server.stats().served == 3


def test_without_pre_processing_there_is_no_line_evidence(
    tmp_path: Path, server: FakeVLLM
) -> None:
    server.reset()
    layout = BuiltinRulesLayout([Region("text", (100.0, 280.0, 1000.0, 420.0), 0.9)])
    with docparse.Parser(layout=layout, server_url=[server.url], orientation="off") as parser:
        doc = parser.parse(_scan(tmp_path / "scan.png"))
    assert [_words(b.block_content) for b in doc.blocks] == [_words(" ".join(BOXED))]
    assert server.stats().served == 1

# mypy: disallow-untyped-calls=False
# (pymupdf ships only partial annotations)
"""Fonts that draw other letters than their text names, found by the shipped PP-OCRv6
recogniser on generated PDFs, and the whole built-in pipeline reading them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pymupdf
import pytest

import docparse
from docparse.preprocess.fonts import check_fonts
from docparse.recognize.builtin_engine import RapidOcrEngine
from docparse.sources import PageImage
from docparse.textlayer.extract import extract_page

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "textlayer"))
from textlayer_pdfs import shifted_font_page

#: What the text layer says, and what the page shows: each letter's successor.
CODES, SHOWN = b"sgd pthbj aqnvm enw", "the quick brown fox"


def _page(data: bytes) -> PageImage:
    page = pymupdf.open(stream=data, filetype="pdf")[0]
    pix = page.get_pixmap(matrix=pymupdf.Matrix(2, 2))
    image = np.frombuffer(pix.samples, np.uint8).reshape(pix.h, pix.w, pix.n)[:, :, :3].copy()
    return PageImage("t.pdf", 0, 1, image, scale=2.0, text_layer=extract_page(page, 2.0))


class CountingReader:
    """The real recogniser, counting the crops it is given."""

    def __init__(self, engine: RapidOcrEngine) -> None:
        self.engine, self.crops = engine, 0

    def detect(self, image: npt.NDArray[np.uint8]) -> list[list[tuple[float, float]]]:
        return self.engine.detect(image)

    def read(self, crops: list[npt.NDArray[np.uint8]]) -> list[tuple[str, float]]:
        self.crops += len(crops)
        return self.engine.read(crops)


@pytest.fixture(scope="module")
def engine() -> RapidOcrEngine:
    return RapidOcrEngine()


def _lines(page: PageImage) -> list[str]:
    assert page.text_layer is not None
    return ["".join(s.text for s in line.spans) for line in page.text_layer.lines]


def test_a_font_drawing_other_letters_than_its_text_is_refused(engine: RapidOcrEngine) -> None:
    before = _page(shifted_font_page(CODES))
    assert _lines(before)[0] == CODES.decode()  # what plain extraction gives
    verdicts: dict[str, bool] = {}
    after = check_fonts(before, lambda: engine, verdicts)
    assert verdicts == {"Shifted": True}
    shifted, honest = _lines(after)
    assert shifted == "".join(" " if c == " " else "\ufffd" for c in CODES.decode())
    assert honest == "Readable words"  # Helvetica, not embedded: never in doubt


def test_an_honest_font_without_a_map_is_kept_and_judged_once(engine: RapidOcrEngine) -> None:
    # The same font, embedded without a map, drawing the letters its text names: read,
    # believed, and not read again on the next page.
    before = _page(shifted_font_page(SHOWN.encode(), shift=0))
    reader, verdicts = CountingReader(engine), {}
    assert check_fonts(before, lambda: reader, verdicts) is before
    assert verdicts == {"Shifted": False} and reader.crops == 1
    assert check_fonts(before, lambda: reader, verdicts) is before
    assert reader.crops == 1


def test_a_page_whose_fonts_all_have_maps_never_loads_the_reader() -> None:
    doc = pymupdf.open()
    doc.new_page(width=300, height=200).insert_text((20, 50), "Mapped text", fontsize=12)
    page = _page(bytes(doc.tobytes()))

    def no_reader() -> RapidOcrEngine:
        raise AssertionError("the recogniser was loaded")

    assert check_fonts(page, no_reader, {}) is page


def test_the_built_in_pipeline_reads_what_a_lying_font_draws(tmp_path: Path) -> None:
    pdf = tmp_path / "shifted.pdf"
    pdf.write_bytes(shifted_font_page(CODES + b" itlor", b"Readable words in Helvetica"))
    md = docparse.parse(pdf).to_markdown()
    assert "the quick brown fox jumps" in md
    assert "pthbj" not in md
    assert "Readable words in Helvetica" in md


class ScriptedReader:
    """Gives the readings it was made with, in order, and keeps the crops' sizes."""

    def __init__(self, *readings: tuple[str, float]) -> None:
        self.readings: list[tuple[str, float]] = list(readings)
        self.calls: list[int] = []

    def detect(self, image: npt.NDArray[np.uint8]) -> list[list[tuple[float, float]]]:
        return []

    def read(self, crops: list[npt.NDArray[np.uint8]]) -> list[tuple[str, float]]:
        self.calls.append(len(crops))
        out, self.readings = self.readings[:len(crops)], self.readings[len(crops):]
        return out


def _two_lines(codes: bytes) -> bytes:
    return shifted_font_page(codes).replace(
        b"BT /F2 12 Tf 20 90 Td", b"BT /F1 20 Tf 20 110 Td (" + codes + b") Tj ET BT /F2 12 Tf 20 90 Td")


def test_a_second_sample_is_read_only_when_the_first_is_doubted() -> None:
    page = _page(_two_lines(CODES))
    believed = ScriptedReader((CODES.decode(), 0.99))
    verdicts: dict[str, bool] = {}
    assert check_fonts(page, lambda: believed, verdicts) is page
    assert believed.calls == [1] and verdicts == {"Shifted": False}
    # Read as other letters once, then as its own text: believed.
    once = ScriptedReader((SHOWN, 0.99), (CODES.decode(), 0.99))
    verdicts = {}
    assert check_fonts(page, lambda: once, verdicts) is page
    assert once.calls == [1, 1] and verdicts == {"Shifted": False}
    # Twice as other letters: refused.
    twice = ScriptedReader((SHOWN, 0.99), (SHOWN, 0.98))
    verdicts = {}
    assert check_fonts(page, lambda: twice, verdicts) is not page
    assert verdicts == {"Shifted": True}


def test_an_honest_unmapped_font_is_judged_without_the_full_engine(tmp_path: Path) -> None:
    # A born-digital page needs only the line recogniser: the whole parse runs without
    # importing rapidocr (whose import alone costs about a second per process).
    pdf = tmp_path / "honest.pdf"
    pdf.write_bytes(shifted_font_page(SHOWN.encode() + b" jumps", shift=0))
    code = (
        "import sys, docparse\n"
        f"doc = docparse.parse({str(pdf)!r})\n"
        "print(doc.to_markdown())\n"
        "print('rapidocr loaded:', 'rapidocr' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert "the quick brown fox jumps" in out
    assert "rapidocr loaded: False" in out

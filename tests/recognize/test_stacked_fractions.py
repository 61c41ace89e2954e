"""Stacked fractions on page images (docparse.recognize.stacked_fractions)."""

from __future__ import annotations

import asyncio

import numpy as np
import numpy.typing as npt

from docparse.recognize import RecognitionTask
from docparse.recognize.builtin import BuiltinRecognizer
from docparse.recognize.line_order import OcrLine
from docparse.recognize.stacked_fractions import join_stacked_fractions
from docparse.sources import PageImage


def _page() -> npt.NDArray[np.uint8]:
    return np.full((800, 1000, 3), 255, dtype=np.uint8)


def _ink(image: npt.NDArray[np.uint8], box: tuple[int, int, int, int]) -> None:
    """A digit's ink: a block inside its OCR box (detection boxes are a little loose)."""
    x0, y0, x1, y1 = box
    image[y0 + 4 : y1 - 4, x0 + 4 : x1 - 4] = 20


def _seven(image: npt.NDArray[np.uint8], box: tuple[int, int, int, int]) -> None:
    """A "7": a top stroke as wide as the digit and a stem, no bar anywhere."""
    x0, y0, x1, y1 = box
    image[y0 + 4 : y0 + 7, x0 + 4 : x1 - 4] = 20
    image[y0 + 4 : y1 - 4, x1 - 9 : x1 - 5] = 20


def _fraction(image: npt.NDArray[np.uint8], top: str, bottom: str, x: int, y: int
              ) -> list[OcrLine]:
    """Numerator box, bar, denominator box as a scan shows them, and their OCR lines."""
    w = 18 * max(len(top), len(bottom)) + 12
    up, down = (x, y, x + w, y + 34), (x, y + 38, x + w, y + 72)
    _ink(image, up)
    _ink(image, down)
    image[y + 35 : y + 37, x : x + w] = 20  # the bar, a little wider than the digits' ink
    return [OcrLine(top, tuple(map(float, up))), OcrLine(bottom, tuple(map(float, down)))]


def test_a_number_over_a_bar_over_a_number_is_one_fraction() -> None:
    image = _page()
    lines = _fraction(image, "2", "17", 200, 100)
    (line,) = join_stacked_fractions(lines, image)
    assert line.text == "$\\frac{2}{17}$"
    assert line.bbox == (200.0, 100.0, 248.0, 172.0)
    assert line.rows == 2 and not line.is_rotated  # a tall box, but two rows of type


def test_stacked_numbers_with_no_bar_or_a_table_rule_stay_apart() -> None:
    image = _page()
    # A column of a ruled table: "5" over "3", the rule running across the whole table.
    cells = [OcrLine("5", (400.0, 100.0, 430.0, 134.0)), OcrLine("3", (400.0, 138.0, 430.0, 172.0))]
    _ink(image, (400, 100, 430, 134))
    _ink(image, (400, 138, 430, 172))
    image[135:137, 100:900] = 20
    # A list of numbers one under the other, nothing between them.
    listed = [OcrLine("12", (600.0, 300.0, 640.0, 334.0)), OcrLine("48", (600.0, 338.0, 640.0, 372.0))]
    _ink(image, (600, 300, 640, 334))
    _ink(image, (600, 338, 640, 372))
    # "1" over a "7" whose top stroke spans the digit: a stroke is not a bar.
    digits = [OcrLine("1", (800.0, 300.0, 830.0, 334.0)), OcrLine("7", (800.0, 338.0, 830.0, 372.0))]
    _ink(image, (800, 300, 830, 334))
    _seven(image, (800, 338, 830, 372))
    # A statement's column: "125" over its total "162", right-aligned, the rule over the
    # total running out to the column's widest figure ("1,234"), all to the left.
    column = [OcrLine("125", (250.0, 500.0, 300.0, 534.0)), OcrLine("162", (250.0, 538.0, 300.0, 572.0))]
    _ink(image, (250, 500, 300, 534))
    _ink(image, (250, 538, 300, 572))
    image[535:537, 225:300] = 20
    lines = cells + listed + digits + column
    assert join_stacked_fractions(lines, image) == lines
    # Words are never fractions.
    words = _fraction(image, "ab", "cd", 100, 500)
    assert join_stacked_fractions(words, image) == words


def test_answer_choices_on_a_scan_read_as_letters_and_fractions() -> None:
    image = _page()
    found = [OcrLine("A", (150.0, 118.0, 180.0, 152.0)), *_fraction(image, "2", "17", 200, 100)]
    found += [OcrLine("B", (350.0, 118.0, 380.0, 152.0)), *_fraction(image, "5", "17", 400, 100)]
    page = PageImage("exam.png", None, None, image)
    task = RecognitionTask(0, "text", "ocr", (100, 80, 600, 200))
    # The whole page is read (region reading would hand the engine a crop).
    recognizer = BuiltinRecognizer(lambda _image: list(found), region_mode_max_coverage=0.0)
    result = asyncio.run(recognizer.recognize_page(page, [task]))
    assert result.results[0].content == "A $\\frac{2}{17}$ B $\\frac{5}{17}$"

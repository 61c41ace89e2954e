# mypy: disallow-untyped-calls=False
# (pymupdf ships only partial annotations)
"""Word spaces the recogniser dropped, put back from where it read each character."""

from __future__ import annotations

import cv2
import numpy as np
import pymupdf
import pytest

from docparse.recognize.builtin_engine import RapidOcrEngine
from docparse.recognize.spacing import restore_spaces


def _at(steps: list[float], y: float = 700.0) -> list[tuple[float, float]]:
    """Character centres along a line, ``steps`` apart."""
    xs = [176.0]
    for s in steps:
        xs.append(xs[-1] + s)
    return [(x, y) for x in xs]


#: A receipt's date and time as PP-OCRv6 read them from a scan (":16-03-201812:07:10"): the
#: centres of its characters, measured on that reading, a whole character apart but for the
#: gap between "2018" and "12" (37 px where characters step 16 to 21).
RECEIPT_STEPS = [30, 16.5, 16.5, 21.5, 16.5, 16.5, 21.5, 16.5, 15.5, 16, 37, 16.5, 16.5,
                 21.5, 16, 17, 21, 17.5]


def test_a_gap_of_two_characters_in_fixed_pitch_type_is_a_space() -> None:
    text = ":16-03-201812:07:10"
    assert restore_spaces(text, _at(RECEIPT_STEPS)) == ":16-03-2018 12:07:10"
    # A letter and a word run together the same way ("CHANGERM" on a receipt).
    text = "TOTAL CHANGERM 31.10"
    steps = [16.0] * 4 + [32.0] + [16.0] * 5 + [33.0, 16.0, 32.0] + [16.0] * 4
    assert restore_spaces(text, _at(steps)) == "TOTAL CHANGE RM 31.10"


def test_proportional_type_keeps_its_text() -> None:
    # "Amount" in proportional type: a wide "m" steps as far as a narrow letter and a space.
    text = "Total Amount: $8.70"
    steps = [13.0, 8.0, 7.0, 8.0, 22.0, 24.0, 21.0, 13.0, 13.0, 11.0, 9.0, 16.0, 12.0, 13.0,
             7.0, 12.0]
    assert restore_spaces(text, _at(steps)) == text


def test_two_digits_set_apart_in_proportional_type() -> None:
    # Figures share one width in nearly every typeface: a gap of two figures between two of
    # them is a space (a single space in proportional type, half a figure, is not told).
    text = "Invoice 2024 Amount 1250375"
    words = [9.0, 8.0, 6.0, 8.0, 7.0, 8.0, 16.0, 11.0, 11.0, 11.0, 16.0, 12.0, 13.0, 8.0, 8.0,
             7.0, 16.0]
    steps = [*words, 11.0, 11.0, 11.0, 23.0, 11.0, 11.0]
    assert restore_spaces(text, _at(steps)) == "Invoice 2024 Amount 1250 375"


def test_scripts_without_word_spaces_and_unmatched_positions_are_left_alone() -> None:
    chinese = "收银员日期二零一八年三月十六日"
    steps = [20.0] * 5 + [45.0] + [20.0] * 8
    assert restore_spaces(chinese, _at(steps)) == chinese
    assert restore_spaces(":16-03-201812:07:10", _at(RECEIPT_STEPS[:-1])) == ":16-03-201812:07:10"


@pytest.mark.slow
def test_the_engine_reads_the_space_the_model_drops(engine: RapidOcrEngine) -> None:
    # Two spaces between a date and a time in Courier, blurred as a print: the model reads
    # the line without a space there.
    doc = pymupdf.open()
    page = doc.new_page(width=400, height=100)
    page.insert_text((20, 50), ":16-03-2018  12:07:10", fontsize=11, fontname="cour")
    pix = page.get_pixmap(dpi=130)
    image = np.frombuffer(pix.samples, np.uint8).reshape(pix.h, pix.w, pix.n)[:, :, :3]
    image = cv2.GaussianBlur(np.ascontiguousarray(image), (3, 3), 0)
    assert [line.text for line in engine(image)] == [":16-03-2018 12:07:10"]


#: A line of the sample scan in proportional type as the recogniser read it ("station records
#: temperature, acidity and dissolved oxygen."): most steps alike, as in fixed pitch, but the
#: "m" of "temperature" 21.5 px from its neighbours.
SCAN_STEPS = [9.0, 8.0, 9.5, 9.5, 8.0, 9.5, 19.5, 8.0, 15.0, 10.5, 11.0, 10.5, 10.5, 16.0, 11.0,
              10.5, 21.5, 10.5, 10.5, 11.0, 9.0, 8.0, 13.5, 8.0, 9.5, 16.0, 10.5, 9.5, 8.0, 9.5,
              9.0, 8.0, 15.0, 16.0, 10.5, 21.5, 9.0, 8.0, 9.5, 11.0, 10.5, 10.5, 11.0, 10.5,
              21.5, 10.5, 10.5, 16.0, 11.0, 10.5, 10.0]


def test_a_long_line_of_proportional_type_keeps_its_words_whole() -> None:
    # Its narrow letters ("t", "i", "r") step shorter and its wide ones ("m") longer than the
    # rest: not fixed pitch, so "tem perature" is not made of it.
    text = "station records temperature, acidity and dissolved oxygen."
    assert restore_spaces(text, _at(SCAN_STEPS)) == text


def test_a_wide_capital_beside_a_narrow_one_is_no_space() -> None:
    # A poster's heading in a display face whose "M" is twice as wide as its other letters
    # (read from OCRmyPDF's poster test page): "MIDI", not "M IDI".
    text = "32 Track MIDI Sequence Recorder"
    steps = [191.0, 256.0, 178.0, 155.0, 164.5, 155.5, 306.0, 305.0, 155.5, 242.5, 241.0, 155.5,
             178.0, 191.5, 178.0, 155.5, 163.5, 155.5, 305.5, 192.0, 192.0, 177.5, 155.5, 164.5,
             141.5, 141.0]
    assert restore_spaces(text, _at(steps)) == text


def test_in_small_type_a_column_of_noise_is_no_space() -> None:
    # A newspaper's list of numbers in small type (line 28 px high: a column is under 5 px):
    # "1183" read with its first step three columns long, where digits step one or two.
    text = "1061, 1183, 1273, 1414, 1423, 1426,"
    steps = [10.5, 10.0, 6.0, 5.5, 10.0, 14.5, 6.5, 9.5, 6.5, 14.0, 6.5, 9.0, 6.0, 5.5, 15.0,
             10.0, 5.5, 6.0, 9.5, 15.0, 6.0, 6.0, 9.5, 10.5, 15.0, 6.0, 9.5, 6.0, 5.5]
    assert restore_spaces(text, _at(steps), 28.0) == text
    # The receipt's line is 47 px high: its gap of 37 px against steps of 16 is a space.
    assert restore_spaces(":16-03-201812:07:10", _at(RECEIPT_STEPS), 47.0) == ":16-03-2018 12:07:10"


def test_small_proportional_type_is_left_as_read() -> None:
    # A three-column newspaper page in type 12 px high (columns of 2 px): its letters step
    # two columns alike, "U" to "n" four (read from the second set's Federal Register page).
    text = "Secretary are reserved to the United"
    steps = [4.5, 4.5, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0, 8.0, 4.0, 4.0, 6.0, 4.0, 4.0, 4.0, 4.0, 6.0,
             4.0, 4.0, 8.0, 4.0, 6.0, 4.0, 4.5, 8.0, 8.0, 4.5, 3.5, 3.0, 5.5]
    assert restore_spaces(text, _at(steps), 12.0) == text

"""The built-in recogniser's second, coarser detection (docparse.recognize.builtin_engine).

A fake engine stands in for PP-OCRv6: its full-size pass misses lines, its detection of the
page scaled to 1280 px finds them, and its reader reads whatever crop it is given. What is
checked is which stretches are read, from where, and what is added."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from docparse.recognize.builtin_engine import COARSE_SIDE, TwoScaleReader, uncovered_stretches
from docparse.recognize.line_order import OcrLine

Quad = list[tuple[float, float]]


class FakeEngine:
    def __init__(self, fine: list[OcrLine], coarse: list[tuple[float, float, float, float]]) -> None:
        self.fine = fine
        self.coarse = coarse  # boxes in full-size page pixels
        self.crops: list[tuple[int, int]] = []
        self.detected: list[tuple[int, int]] = []

    def __call__(self, image: npt.NDArray[np.uint8]) -> list[OcrLine]:
        return list(self.fine)

    def detect(self, image: npt.NDArray[np.uint8]) -> list[Quad]:
        self.detected.append(image.shape[:2])
        scale = image.shape[0] / 2400  # the page below is 2400 px tall
        return [[(x0 * scale, y0 * scale), (x1 * scale, y0 * scale), (x1 * scale, y1 * scale),
                 (x0 * scale, y1 * scale)] for x0, y0, x1, y1 in self.coarse]

    def read(self, crops: list[npt.NDArray[np.uint8]]) -> list[tuple[str, float]]:
        self.crops += [c.shape[:2] for c in crops]
        return [(f"read {c.shape[1]} px", 0.9) for c in crops]


PAGE = np.full((2400, 1700, 3), 255, dtype=np.uint8)


def line(x0: float, y0: float, x1: float, y1: float, text: str = "fine") -> OcrLine:
    return OcrLine(text=text, bbox=(x0, y0, x1, y1), score=0.95)


def test_stretches_the_first_pass_missed_are_read_and_added() -> None:
    fine = [line(100, 100, 1600, 140), line(1000, 160, 1600, 200), line(100, 300, 800, 340)]
    coarse = [
        (100, 100, 1600, 140),   # found by both: nothing to add
        (100, 160, 1600, 200),   # its right part found: only the left stretch is read
        (100, 220, 1600, 262),   # missed entirely: read whole
        (100, 300, 1600, 420),   # two lines run together at the coarse scale: left out
        (798, 300, 860, 340),    # past a found line's end by less than two line heights
    ]
    engine = FakeEngine(fine, coarse)
    lines = TwoScaleReader(engine)(PAGE)
    assert lines[:3] == fine
    added = [(ln.text, tuple(round(v) for v in ln.bbox)) for ln in lines[3:]]
    assert added == [("read 900 px", (100, 160, 1000, 200)), ("read 1500 px", (100, 220, 1600, 262))]
    # Detection ran once, on the page scaled to COARSE_SIDE on its longer side.
    assert engine.detected == [(COARSE_SIDE, round(1700 * COARSE_SIDE / 2400))]


def test_a_page_near_the_coarse_size_is_detected_once() -> None:
    small = np.full((1500, 1000, 3), 255, dtype=np.uint8)
    engine = FakeEngine([line(10, 10, 900, 40)], [(10, 60, 900, 90)])
    assert TwoScaleReader(engine)(small) == [line(10, 10, 900, 40)]
    assert engine.detected == [] and engine.crops == []


def test_uncovered_stretches_of_a_row() -> None:
    box = (0.0, 0.0, 100.0, 10.0)
    others = [(10.0, 0.0, 30.0, 10.0), (25.0, 1.0, 50.0, 9.0), (70.0, 30.0, 90.0, 40.0)]
    assert uncovered_stretches(box, others) == [(0.0, 10.0), (50.0, 100.0)]

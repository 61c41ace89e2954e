"""Which way a born-digital page is turned: by the direction its own visible text runs."""

from __future__ import annotations

import pytest

from docparse.textlayer.model import TextLayerPage, TextLine, TextSpan
from docparse.textlayer.turn import MIN_CHARS, sideways_turn

Direction = tuple[float, float]


def _line(text: str, direction: Direction, *, render_mode: int = 0,
          vertical: bool = False) -> TextLine:
    span = TextSpan(text, (0, 0, 10, 10), "Arial", 10.0, render_mode=render_mode,
                    direction=direction)
    return TextLine((span,), span.bbox, vertical=vertical)


def _page(*lines: TextLine) -> TextLayerPage:
    return TextLayerPage(600, 800, lines)


TABLE_ROW = "Consumption/Use Taxes 49 41 65 47 45 76"


@pytest.mark.parametrize(("direction", "turn"), [
    ((0.0, -1.0), 90),   # runs up the page: a landscape table set on a portrait page
    ((0.0, 1.0), 270),   # runs down the page
    ((-1.0, 0.0), 180),  # upside down
    ((1.0, 0.0), 0),     # the right way already
])
def test_the_page_turns_so_its_text_runs_left_to_right(direction: Direction, turn: int) -> None:
    assert sideways_turn(_page(*[_line(TABLE_ROW, direction)] * 5)) == turn


def test_a_sideways_minority_does_not_turn_the_page() -> None:
    # A journal page with an arXiv stamp up its margin, or a chart's axis title.
    body = [_line("The results are summarised in the following section.", (1.0, 0.0))] * 4
    stamp = _line("arXiv:2206.01062v1 [cs.CV] 2 Jun 2022", (0.0, -1.0))
    assert sideways_turn(_page(*body, stamp)) == 0


def test_a_sideways_table_beside_its_upright_running_footer_turns() -> None:
    footer = _line("FY 2025 MID-YEAR UPDATE", (1.0, 0.0))
    assert sideways_turn(_page(footer, *[_line(TABLE_ROW, (0.0, -1.0))] * 8)) == 90


def test_a_few_sideways_characters_are_no_evidence() -> None:
    assert sideways_turn(_page(_line("x" * (MIN_CHARS - 1), (0.0, -1.0)))) == 0
    assert sideways_turn(_page(_line("x" * MIN_CHARS, (0.0, -1.0)))) == 90


def test_vertical_writing_and_invisible_text_do_not_count() -> None:
    # CJK set top to bottom runs down the page with its glyphs upright: the page is upright.
    vertical = _line("縦書きの本文は上から下へ読まれる。" * 3, (0.0, 1.0), vertical=True)
    assert sideways_turn(_page(vertical)) == 0
    # An invisible OCR layer under a scan says nothing about which way its pixels lie.
    hidden = _line(TABLE_ROW * 2, (0.0, -1.0), render_mode=3)
    assert sideways_turn(_page(hidden)) == 0


def test_slanted_lines_and_an_empty_page_leave_the_page_alone() -> None:
    assert sideways_turn(_page(_line(TABLE_ROW * 3, (0.7, -0.7)))) == 0
    assert sideways_turn(_page()) == 0

"""textlayer.row_order's indexed checks give what the plain pairwise ones gave (pure).

The duplicate and drop-cap checks used to compare every piece with every other one, which
took minutes on a map's page of 15,000 labels; they now look only at pieces that can
qualify. These tests hold them to the plain definitions on random pages."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from docparse.textlayer.chars import Glyph
from docparse.textlayer.row_order import Piece, _clipped_area, drop_caps, without_duplicates


def _piece(text: str, x: float, y: float, height: float) -> Piece:
    width = 0.6 * height
    glyphs = [Glyph(c, x + i * width, y, x + (i + 1) * width, y + height, height)
              for i, c in enumerate(text)]
    return Piece(glyphs, x, y, x + width * max(1, len(text)), y + height)


pieces = st.lists(
    st.builds(_piece, st.sampled_from(["A", "B", "AB", "the", "x", "O"]),
              st.integers(0, 60).map(float), st.integers(0, 60).map(float),
              st.sampled_from([4.0, 5.0, 12.0, 30.0, 90.0])),
    max_size=60,
)


def _duplicates_pairwise(ps: list[Piece]) -> list[Piece]:
    kept: list[Piece] = []
    for p in ps:
        text = "".join(g.c for g in p.glyphs)
        if not any("".join(g.c for g in k.glyphs) == text
                   and _clipped_area((k.x0, k.y0, k.x1, k.y1), (p.x0, p.y0, p.x1, p.y1))
                   >= 0.5 * (p.x1 - p.x0) * p.height for k in kept):
            kept.append(p)
    return kept


def _caps_pairwise(ps: list[Piece]) -> list[Piece]:
    caps = []
    for p in ps:
        letters = "".join(g.c for g in p.glyphs if not g.c.isspace())
        if not (1 <= len(letters) <= 2 and letters.isalpha()):
            continue
        beside = [q for q in ps if q is not p and q.x0 >= p.x1 - 0.5 * q.height
                  and p.y0 - 0.5 * q.height <= q.y0 < p.y1]
        if len(beside) >= 2 and p.height >= 2.5 * max(q.height for q in beside):
            caps.append(p)
    return caps


@settings(max_examples=300, deadline=None)
@given(pieces)
def test_duplicates_are_the_pairwise_ones(ps: list[Piece]) -> None:
    assert [id(p) for p in without_duplicates(ps)] == [id(p) for p in _duplicates_pairwise(ps)]


@settings(max_examples=300, deadline=None)
@given(pieces)
def test_drop_caps_are_the_pairwise_ones(ps: list[Piece]) -> None:
    assert [id(p) for p in drop_caps(ps)] == [id(p) for p in _caps_pairwise(ps)]


def test_a_fake_bold_line_drawn_twice_keeps_one_copy_and_a_drop_cap_is_found() -> None:
    line = _piece("the", 10.0, 10.0, 12.0)
    twin = _piece("the", 10.5, 10.3, 12.0)
    below = _piece("the", 10.0, 40.0, 12.0)
    assert without_duplicates([line, twin, below]) == [line, below]
    cap = _piece("O", 0.0, 0.0, 36.0)
    rows = [_piece("the", 25.0, 12.0 * i, 12.0) for i in range(3)]
    assert drop_caps([cap, *rows]) == [cap]

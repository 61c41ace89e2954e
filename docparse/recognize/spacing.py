"""Word spaces the line recogniser dropped, put back from where it read each character.

PP-OCRv6 reads a line as a sequence of characters, one per column of its CTC output, and now
and then leaves out a space between two words the page sets well apart: a receipt's date and
time ("16-03-2018 12:07:10" read as "16-03-201812:07:10"), an amount and its currency
("CHANGERM"). Where it read each character is known (the column of its CTC peak; rapidocr
gives it as a box per character), so a gap much wider than the usual step from one character
to the next is a space, whatever the text says. PaddleOCR's own word boxes split words the
same way, at a fixed gap of more than five columns; measured against the line's own step, a
single space is told too, where it can be:

* in type of fixed pitch (receipts, forms, code), where every character steps alike and a
  space is one more step;
* between two digits in any type, figures being of one width: a gap of a figure or more.

In proportional type a space is narrower than the difference between an "i" and an "M", and
the columns place a character only to within a sixth of the line's height: no other gap is
told there. Pure: text and character centres in, text out. Only between characters of
scripts that write spaces (Latin, Greek, Cyrillic, digits, punctuation).
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Sequence

#: A step from one character to the next this many times the line's usual step holds a space.
SPACE_STEP = 1.8
#: Type is of fixed pitch when this share of its steps lie within this much of the usual one
#: (the recogniser's columns place a character to within about a sixth of a line height).
_PITCH_SHARE = 0.85
_PITCH_TOLERANCE = 0.25
#: ... judged on this many steps at least (a short word's few steps can all be alike).
_PITCH_STEPS = 12
#: Between two digits, this many times the step between the line's digits holds a space: a
#: gap of a figure or more (one space is a figure wide in fixed-pitch type; in proportional
#: type it is half a figure, within what the columns can tell, so only wider gaps count).
DIGIT_SPACE_STEP = 2.0
#: Steps between two digits a line needs to tell theirs.
_MIN_FIGURE_STEPS = 3
#: Letters far narrower and far wider than most in proportional type, one width in fixed pitch.
_NARROW = frozenset("iljtfrI1.,:;!'|")
_WIDE = frozenset("mwMW")
#: Steps next to a narrow letter a line needs to be judged of fixed pitch, and how far (a
#: share of the usual step) their median, and that of steps next to a wide one, may stray.
_PITCH_WITNESSES = 3
_PITCH_WITNESS_TOLERANCE = 0.15
#: The recogniser's columns per line height (48 px high input, one column per 8 px), and the
#: columns a gap must exceed the usual step by.
_COLUMNS_PER_HEIGHT = 6.0
_MIN_GAP_COLUMNS = 2.0
#: Lines less high than this (pixels: columns of 3 px or less) are left as read.
_MIN_HEIGHT = 18.0
#: Lines shorter than this (characters) have too few steps to tell the usual one.
_MIN_CHARS = 6
#: Characters below this code point belong to scripts that write word spaces.
_SPACED_SCRIPTS_END = 0x0530


def restore_spaces(text: str, centres: Sequence[tuple[float, float]],
                   height: float | None = None) -> str:
    """``text`` with a space between two adjacent characters whose centres lie
    :data:`SPACE_STEP` times the line's usual step apart in fixed-pitch type, or two digits
    :data:`DIGIT_SPACE_STEP` times the line's step between digits apart. ``centres``: one
    per non-space character of ``text``, in order; any other count leaves the text as is.
    ``height``: the line's height, whose sixth is the recogniser's column (it reads a line
    scaled to 48 px high in columns of 8): a gap must be two columns wider than the step it
    is measured against, or small type's steps of one or two columns make noise a space."""
    chars = [(i, c) for i, c in enumerate(text) if not c.isspace()]
    if len(chars) < _MIN_CHARS or len(chars) != len(centres):
        return text
    if height is not None and height < _MIN_HEIGHT:
        # Columns of a pixel or two: every letter of small proportional type steps one or
        # two columns, as if of fixed pitch, and one column more reads as a space.
        return text
    steps = [math.dist(a, b) for a, b in itertools.pairwise(centres)]
    pairs = list(zip(steps, itertools.pairwise(chars), strict=True))
    # The usual step, between characters of one word (a space already in the text would
    # widen it).
    within = [(s, a[1], b[1]) for s, (a, b) in pairs if b[0] == a[0] + 1]
    if len(within) < _MIN_CHARS - 1:
        return text
    usual = statistics.median(s for s, _, _ in within)
    if usual <= 0:
        return text
    fixed = _monospaced(within, usual)
    # Digits are of one width in nearly every typeface (tabular figures): their own step
    # tells a space between two of them in proportional type too.
    figures = [s for s, a, b in within if a.isdigit() and b.isdigit()]
    digit_step = statistics.median(figures) if len(figures) >= _MIN_FIGURE_STEPS else 0.0
    out: list[str] = []
    last = 0
    for step, (a, b) in pairs:
        if b[0] != a[0] + 1 or not (_spaced(a[1]) and _spaced(b[1])):
            continue
        digits = a[1].isdigit() and b[1].isdigit() and digit_step > 0
        if ((digits and _wide_gap(step, digit_step, DIGIT_SPACE_STEP, height))
                or (fixed and _wide_gap(step, usual, SPACE_STEP, height))):
            out.append(text[last:b[0]])
            out.append(" ")
            last = b[0]
    out.append(text[last:])
    return "".join(out)


def _wide_gap(step: float, usual: float, times: float, height: float | None) -> bool:
    column = (height or 0.0) / _COLUMNS_PER_HEIGHT
    return step >= times * usual and step - usual >= _MIN_GAP_COLUMNS * column


def _monospaced(within: Sequence[tuple[float, str, str]], usual: float) -> bool:
    """Whether the line is set in type of fixed pitch: the steps between the characters of a
    word (nearly) all alike, and those next to a narrow letter ("i", "l", "t", a stop) no
    shorter than the rest, those next to a wide one ("m", "w") no longer. In proportional
    type most lowercase letters are of about one width too, so only the narrow and the wide
    ones tell the two apart; a line without enough of them is not judged fixed."""
    steps = [s for s, _, _ in within]
    alike = sum(1 for s in steps if abs(s - usual) <= _PITCH_TOLERANCE * usual)
    if len(steps) < _PITCH_STEPS or alike < _PITCH_SHARE * len(steps):
        return False
    wide = [s / usual for s, a, b in within if a in _WIDE or b in _WIDE]
    narrow = [s / usual for s, a, b in within
              if (a in _NARROW or b in _NARROW) and not (a in _WIDE or b in _WIDE)]
    if len(narrow) < _PITCH_WITNESSES:
        return False
    return (statistics.median(narrow) >= 1 - _PITCH_WITNESS_TOLERANCE
            and (not wide or statistics.median(wide) <= 1 + _PITCH_WITNESS_TOLERANCE))


def _spaced(char: str) -> bool:
    return ord(char) < _SPACED_SCRIPTS_END


__all__ = ["SPACE_STEP", "restore_spaces"]

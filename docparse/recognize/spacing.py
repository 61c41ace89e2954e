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
#: Lines shorter than this (characters) have too few steps to tell the usual one.
_MIN_CHARS = 6
#: Characters below this code point belong to scripts that write word spaces.
_SPACED_SCRIPTS_END = 0x0530


def restore_spaces(text: str, centres: Sequence[tuple[float, float]]) -> str:
    """``text`` with a space between two adjacent characters whose centres lie
    :data:`SPACE_STEP` times the line's usual step apart in fixed-pitch type, or two digits
    :data:`DIGIT_SPACE_STEP` times the line's step between digits apart. ``centres``: one
    per non-space character of ``text``, in order; any other count leaves the text as is."""
    chars = [(i, c) for i, c in enumerate(text) if not c.isspace()]
    if len(chars) < _MIN_CHARS or len(chars) != len(centres):
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
    fixed = _monospaced([s for s, _, _ in within], usual)
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
        if ((digits and step >= DIGIT_SPACE_STEP * digit_step)
                or (fixed and step >= SPACE_STEP * usual)):
            out.append(text[last:b[0]])
            out.append(" ")
            last = b[0]
    out.append(text[last:])
    return "".join(out)


def _monospaced(steps: Sequence[float], usual: float) -> bool:
    """Whether the steps between the characters of a word are (nearly) all alike: type of
    fixed pitch. In proportional type they range from an "i" to an "M" (a pair of wide
    capitals steps as far as two narrow letters and a space), so no gap tells a space."""
    alike = sum(1 for s in steps if abs(s - usual) <= _PITCH_TOLERANCE * usual)
    return len(steps) >= _PITCH_STEPS and alike >= _PITCH_SHARE * len(steps)


def _spaced(char: str) -> bool:
    return ord(char) < _SPACED_SCRIPTS_END


__all__ = ["SPACE_STEP", "restore_spaces"]

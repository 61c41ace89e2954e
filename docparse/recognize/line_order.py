"""Recognised text lines: reading order inside a block and joining them into text.

Pure geometry on :class:`OcrLine` values (page pixels, top-left origin); no I/O.

Joining rules, and why: the official VLM returns ``\\n`` between visual lines, and the
Markdown rule for text blocks turns every ``\\n`` into a paragraph break. Copying visual line
breaks would therefore split every wrapped paragraph into one-line paragraphs. So
:func:`join_paragraphs` joins the wrapped lines of one paragraph with a space (without one
between CJK characters), removes line-end hyphens of split words, and keeps ``\\n`` only where
a new paragraph starts: a large vertical gap, an indented first line, a list marker, or a
previous line that ended early although the next word would have fitted on it, or a row
whose pieces stand far apart (a table-of-contents entry and its page number).
:func:`join_rows` keeps one visual row per line for blocks whose line breaks carry meaning
(tables of contents, code, formulas, charts).
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from docparse.geometry import Box
from docparse.textlayer.chars import CJK_CLASS, CJK_ENUMERATOR, joins_at_line_break


@dataclass(frozen=True)
class OcrLine:
    """One recognised text line. ``bbox`` is the axis-aligned hull of the detected quad."""

    text: str
    bbox: Box
    score: float = 1.0
    #: Angle of the quad's top edge against the horizontal, in degrees.
    angle: float = 0.0
    #: Rows of type the box stacks: 2 for a fraction joined from its numerator and
    #: denominator (:mod:`docparse.recognize.stacked_fractions`), else 1.
    rows: int = 1

    @property
    def height(self) -> float:
        return self.bbox[3] - self.bbox[1]

    @property
    def width(self) -> float:
        return self.bbox[2] - self.bbox[0]

    @property
    def is_rotated(self) -> bool:
        """True for slanted or vertical text (side captions, stamps), not ordinary lines."""
        if abs(self.angle) > 20.0:
            return True
        # A tall box holding more than one glyph is vertical text (one glyph is just "I").
        return self.height > 1.5 * self.rows * self.width and len(self.text.strip()) > 1


def median_height(lines: Sequence[OcrLine]) -> float:
    """Typical line height (at least 1 pixel), the unit every gap threshold is scaled by."""
    if not lines:
        return 1.0
    return max(1.0, float(statistics.median(line.height / line.rows for line in lines)))


def union_box(lines: Sequence[OcrLine]) -> Box:
    """Smallest box holding every line; ``lines`` must not be empty."""
    return (
        min(line.bbox[0] for line in lines),
        min(line.bbox[1] for line in lines),
        max(line.bbox[2] for line in lines),
        max(line.bbox[3] for line in lines),
    )


def _v_overlap(a: Box, b: Box) -> float:
    return min(a[3], b[3]) - max(a[1], b[1])


def group_rows(lines: Sequence[OcrLine]) -> list[list[OcrLine]]:
    """Visual rows, top to bottom, each sorted left to right.

    A line joins the current row when its vertical centre lies within half a line height
    of the row's mean centre. Comparing centres (not growing a band) keeps a tall box, such
    as a table cell spanning two rows, from pulling the next row into this one. A line of
    small type beside a line of much larger type, within its height, joins that row too
    ("Unit" beside a chapter's big "2", whose centres stand apart).
    """
    rows: list[list[OcrLine]] = []
    centres: list[float] = []
    for line in sorted(lines, key=lambda ln: (ln.bbox[1] + ln.bbox[3]) / 2):
        centre = (line.bbox[1] + line.bbox[3]) / 2
        if rows:
            row = rows[-1]
            row_h = statistics.median(ln.height for ln in row)
            if abs(centre - centres[-1]) <= 0.5 * min(line.height, row_h) or any(
                _beside_large_type(line, other) for other in row
            ):
                row.append(line)
                centres[-1] += (centre - centres[-1]) / len(row)
                continue
        rows.append([line])
        centres.append(centre)
    return [sorted(row, key=lambda ln: ln.bbox[0]) for row in rows]


#: A line 1.5 to 3 times taller than another is set in larger type, not a tall cell; taller
#: still, it is a column of vertical text.
_LARGE_TYPE = (1.5, 3.0)


def _beside_large_type(a: OcrLine, b: OcrLine) -> bool:
    """Whether one of ``a`` and ``b`` is in much larger type and the other stands within its
    height (80% of it inside), right beside it (no further than half its height)."""
    small, large = sorted((a, b), key=lambda ln: ln.height)
    if not _LARGE_TYPE[0] * small.height <= large.height <= _LARGE_TYPE[1] * small.height:
        return False
    gap = max(small.bbox[0] - large.bbox[2], large.bbox[0] - small.bbox[2])
    if not -0.25 * small.height <= gap <= 0.5 * large.height:
        return False
    return _v_overlap(small.bbox, large.bbox) >= 0.8 * small.height


def order_lines(lines: Sequence[OcrLine]) -> list[OcrLine]:
    """Reading order: columns left to right (recursive XY-cut), top to bottom inside each.

    Columns of vertical type come first, right to left (the order of vertical CJK writing):
    a Chinese newspaper sets an article's headline as one vertical column beside its body,
    and the layout model boxes them together. Left in the XY-cut, the headline's tall box
    blocks the gutter beside it and its text lands mid-sentence in the body."""
    upright = [line for line in lines if not is_vertical(line)]
    vertical = [line for line in lines if is_vertical(line)]
    return (sorted(vertical, key=lambda ln: (-ln.bbox[2], ln.bbox[1]))
            + _xy_cut(upright, median_height(upright or lines)))


def is_vertical(line: OcrLine) -> bool:
    """A column of vertical type: a tall box, upright (not a slanted stamp), of two letters
    or more (a tall box of digits is a fraction the detector boxed whole: "3" over "7")."""
    return (abs(line.angle) <= 20.0 and line.is_rotated
            and sum(ch.isalpha() for ch in line.text) >= 2)


def _xy_cut(lines: list[OcrLine], unit: float) -> list[OcrLine]:
    if len(lines) <= 1:
        return lines
    split = _column_split(lines, unit)
    if split is not None:
        left, right, spanning = split
        if not spanning:
            return _xy_cut(left, unit) + _xy_cut(right, unit)
        return _cut_at_separators(lines, spanning, unit)
    # Sections apart first (a blank wider than the leading: a headline over two columns
    # under one column) where one of them holds columns of running text, so it reads them
    # column by column; a form's labels and values stay row by row.
    sections = _row_bands(lines, unit, _SECTION_GAP * unit)
    if len(sections) > 1 and any(_text_columns(section, unit) for section in sections):
        return [line for section in sections for line in _xy_cut(section, unit)]
    bands = _row_bands(lines, unit)
    if len(bands) > 1:
        return [line for band in bands for line in _xy_cut(band, unit)]
    return [line for row in group_rows(lines) for line in row]


def _text_columns(lines: list[OcrLine], unit: float) -> bool:
    """Whether ``lines`` stand in two columns of running text."""
    split = _column_split(lines, unit)
    return split is not None and _running_text(split[0], unit) and _running_text(split[1], unit)


def _cut_at_separators(lines: list[OcrLine], spanning: list[OcrLine], unit: float) -> list[OcrLine]:
    """Lines crossing the gutter (a heading over two columns) split the block vertically;
    the stretches between them are ordered on their own, where the gutter is clear."""
    span_ids = {id(line) for line in spanning}
    ordered: list[OcrLine] = []
    stretch: list[OcrLine] = []
    for line in sorted(lines, key=lambda ln: ln.bbox[1]):
        if id(line) in span_ids:
            ordered += _xy_cut(stretch, unit)
            ordered.append(line)
            stretch = []
        else:
            stretch.append(line)
    return ordered + _xy_cut(stretch, unit)


def _column_split(
    lines: list[OcrLine], unit: float
) -> tuple[list[OcrLine], list[OcrLine], list[OcrLine]] | None:
    """Find a column gutter: a vertical strip at least ``0.8 * unit`` wide crossed by at most
    a quarter of the lines. Returns (left, right, crossing) or None.

    Both sides must be real columns (each at least 20% of the block width and two lines), so
    the page numbers of a table of contents are not read as a column of their own.
    """
    x0 = min(line.bbox[0] for line in lines)
    x1 = max(line.bbox[2] for line in lines)
    width = int(x1 - x0) + 1
    if width < 3:
        return None
    cover = np.zeros(width, dtype=np.int32)
    for line in lines:
        cover[int(line.bbox[0] - x0) : int(line.bbox[2] - x0) + 1] += 1
    min_gap = max(2, int(0.8 * unit))
    for allowed in range(len(lines) // 4 + 1):
        best: tuple[int, int] | None = None
        # A gutter no line crosses may be narrower where both sides are running text (a
        # Chinese newspaper's columns stand a fifth of a character apart).
        least = max(2, int(_NARROW_GUTTER * unit)) if allowed == 0 else min_gap
        for start, end in _runs(cover <= allowed):
            if start == 0 or end == width or end - start < least:
                continue
            if best is None or end - start > best[1] - best[0]:
                best = (start, end)
        if best is None:
            continue
        gx0, gx1 = x0 + best[0], x0 + best[1]
        left = [ln for ln in lines if ln.bbox[2] <= gx0 + 1]
        right = [ln for ln in lines if ln.bbox[0] >= gx1 - 1]
        crossing = [ln for ln in lines if ln.bbox[2] > gx0 + 1 and ln.bbox[0] < gx1 - 1]
        if len(left) < 2 or len(right) < 2:
            continue
        block_w = x1 - x0
        left_w = max(ln.bbox[2] for ln in left) - min(ln.bbox[0] for ln in left)
        right_w = max(ln.bbox[2] for ln in right) - min(ln.bbox[0] for ln in right)
        if min(left_w, right_w) < 0.2 * block_w:
            continue
        if gx1 - gx0 < min_gap and not (_running_text(left, unit) and _running_text(right, unit)):
            continue
        if crossing and any(ln.width < 0.5 * block_w for ln in crossing):
            # Only lines running across both columns separate them; a short crossing line
            # means the "gutter" is a ragged gap inside one column.
            continue
        return left, right, crossing
    return None


#: Narrowest gutter, in line heights, between two columns of running text that no line
#: crosses; other gutters are at least 0.8 line heights wide.
_NARROW_GUTTER = 0.2
#: Running text: at least this many lines, this many line heights long and filling this
#: share of their column's width (medians).
_RUNNING_LINES = 3
_RUNNING_WIDTH = 5.0
_RUNNING_FILL = 0.8


def _running_text(lines: Sequence[OcrLine], unit: float) -> bool:
    """Whether ``lines`` are lines of running text, not labels or values of a form (whose
    lengths vary)."""
    if len(lines) < _RUNNING_LINES:
        return False
    width = statistics.median(line.width for line in lines)
    column = max(line.bbox[2] for line in lines) - min(line.bbox[0] for line in lines)
    return width >= _RUNNING_WIDTH * unit and width >= _RUNNING_FILL * column


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Half-open index ranges where ``mask`` is True."""
    padded = np.concatenate(([False], mask, [False])).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


#: A blank between rows at least this many line heights high (lines' boxes shrunk as in
#: :func:`_row_bands`) parts two sections of a block.
_SECTION_GAP = 0.8


def _row_bands(lines: list[OcrLine], unit: float, min_gap: float = 0.0) -> list[list[OcrLine]]:
    """Split where no line covers a horizontal strip at least ``min_gap`` high (gaps between
    rows of the block)."""
    y0 = min(line.bbox[1] for line in lines)
    height = int(max(line.bbox[3] for line in lines) - y0) + 1
    cover = np.zeros(height, dtype=np.int32)
    for line in lines:
        # Shrink each line a little: detection boxes of consecutive lines often touch.
        top = int(line.bbox[1] - y0 + 0.15 * line.height)
        bottom = int(line.bbox[3] - y0 - 0.15 * line.height)
        cover[top : max(top, bottom) + 1] += 1
    gaps = [(a, b) for a, b in _runs(cover == 0) if a > 0 and b < height and b - a >= min_gap]
    if not gaps:
        return [lines]
    cuts = [y0 + (a + b) / 2 for a, b in gaps]
    bands: list[list[OcrLine]] = [[] for _ in range(len(cuts) + 1)]
    for line in lines:
        centre = (line.bbox[1] + line.bbox[3]) / 2
        bands[sum(1 for cut in cuts if centre > cut)].append(line)
    return [band for band in bands if band]


#: One CJK character (set without spaces between words).
CJK = re.compile(f"[{CJK_CLASS}]")
# A list marker is followed by a space, or (CJK text sets none) directly by a CJK character.
# A bullet or checkbox may stand alone: a detector reads one set apart as a line of its own,
# and the item's text beside it joins it on the same row. ("a." or "5." alone is as often
# the end of a sentence wrapped onto the next line.)
#: Bullets and dashes that mark list items (a character class's contents).
_BULLETS = r"•·▪◦●○■□‣⁃*\-–—"
_LIST_MARKER = re.compile(
    rf"^(?:[{_BULLETS}](?:\s|$)"
    r"|(?:\(?\d{1,3}[.)．]|\(?[a-zA-Z][.)]|\[\d+\]"
    f"|{CJK_ENUMERATOR})(?:\\s|(?=[{CJK_CLASS}])))"
)


def _glue(left: str, right: str) -> str:
    """Join two pieces of one paragraph: no space between CJK characters, and a line-end
    hyphen between two lowercase letters is a split word, so it is removed."""
    if not left:
        return right
    if (
        len(left) >= 2
        and left.endswith("-")
        and left[-2].isalpha()
        and right[:1].isalpha()
        and right[:1].islower()
    ):
        return left[:-1] + right
    if joins_at_line_break(left[-1], right[:1]):
        return left + right
    return left + " " + right


def _starts_paragraph(prev: OcrLine, line: OcrLine, left: float, right: float, unit: float,
                      prev_opens: bool = False) -> bool:
    """Whether ``line`` starts a new paragraph after ``prev``; ``prev_opens``: ``prev`` is
    its paragraph's first line."""
    if line.bbox[1] < prev.bbox[1] - 0.5 * unit:
        # Jumped up into the next column: the paragraph usually runs on.
        return False
    if line.bbox[1] - prev.bbox[3] > 0.8 * unit:
        return True
    if _type_changes(prev, line, unit):
        return True
    text = line.text.strip()
    if _LIST_MARKER.match(text):
        return True
    # An exercise's bare number ("2 Skim the poems ...") after a finished sentence.
    if _NUMBERED_ITEM.match(text) and prev.text.rstrip()[-1:] in _SENTENCE_END:
        return True
    char_w = prev.width / max(1, len(prev.text))
    if line.bbox[0] - left > 0.8 * unit and prev.bbox[0] - left < 0.3 * unit:
        if not _LIST_MARKER.match(prev.text.strip()) and not (
                prev_opens and _hangs(prev, line, char_w)):
            return True
    # The previous line ended early although the next word would have fitted on it: the
    # writer broke the line on purpose.
    if CJK.match(text[:1]):
        # CJK breaks a line between any two characters: the next "word" is one character.
        return right - prev.bbox[2] > 3 * char_w
    first_word = text.split(" ", 1)[0] if text else ""
    return right - prev.bbox[2] > (len(first_word) + 2) * char_w


#: A line this many times taller than the other and than the block's typical line is a
#: headline's (a superscript makes a line's box up to half again taller, a detector's boxes
#: of one paragraph's lines differ by as much).
_HEADLINE = 1.8


def _type_changes(prev: OcrLine, line: OcrLine, unit: float, pitch: bool = True) -> bool:
    """Whether one of two lines one under the other is set in much larger type (a headline
    over its article's first line): :data:`_HEADLINE` times taller than the other and than
    the block's typical line (at most :data:`_LARGE_TYPE` times: taller still is vertical
    text), and holding words. Lines of one glyph ("1", "。") have no telling height.
    ``pitch``: CJK type a size up counts too, told by the characters' pitch."""
    if len(prev.text.strip()) < 2 or len(line.text.strip()) < 2:
        return False
    (small, _), (large, text) = sorted(((prev.height / prev.rows, prev.text),
                                        (line.height / line.rows, line.text)))
    # A line of digits that tall is a fraction the detector boxed whole ("3" over "7").
    if (_HEADLINE * max(small, unit) <= large <= _LARGE_TYPE[1] * small
            and sum(ch.isalpha() for ch in text) >= 2):
        return True
    if not pitch:
        return False
    # CJK type a size up (a bold section heading in a newspaper column) shows better in the
    # characters' pitch than in the boxes' height: the heading fills the column with fewer
    # characters. Taller too, so a line whose reading lost characters is no heading.
    prev_pitch, line_pitch = _cjk_pitch(prev), _cjk_pitch(line)
    if prev_pitch is None or line_pitch is None or large < _CJK_HEADING_HEIGHT * small:
        return False
    # The taller line's characters stand further apart.
    big, other = ((prev_pitch, line_pitch) if prev.height / prev.rows >= line.height / line.rows
                  else (line_pitch, prev_pitch))
    return big >= _CJK_HEADING_PITCH * other


#: A CJK line whose characters stand this much further apart than the next line's, and is
#: this much taller, is set in larger type.
_CJK_HEADING_PITCH = 1.2
_CJK_HEADING_HEIGHT = 1.1
#: Pitch is measured on lines of this many characters at least, nearly all CJK.
_PITCH_CHARS = 6
_PITCH_CJK_SHARE = 0.8


def _cjk_pitch(line: OcrLine) -> float | None:
    """Width per character of a line of CJK text (other characters count half), or None
    for a short line or one of other scripts."""
    chars = [ch for ch in line.text if not ch.isspace()]
    cjk = sum(1 for ch in chars if CJK.match(ch))
    if len(chars) < _PITCH_CHARS or cjk < _PITCH_CJK_SHARE * len(chars):
        return None
    return line.width / (cjk + 0.5 * (len(chars) - cjk))


#: A bare item number opening a line, then a capitalised word ("2 Skim the poems").
_NUMBERED_ITEM = re.compile(r"^\d{1,2}\s+[A-Z]")
_SENTENCE_END = frozenset(".?!:;。？！：；")


#: An item's number or marker as a token of its own ("1", "12.", "(b)", "iv)", "•").
_ITEM_HEAD = re.compile(rf"^(?:\(?\d{{1,3}}[.)]?|\(?(?:[a-zA-Z]|[ivx]{{1,4}})[.)]|[{_BULLETS}])$")


def _hangs(prev: OcrLine, line: OcrLine, char_w: float) -> bool:
    """Whether ``line`` is indented to where ``prev``'s text starts after an item number or
    marker: a hanging indent under an item's number or marker ("1 Do you remember ..."
    wrapping under "Do"), the item's own next line, not a new paragraph."""
    text = prev.text.strip()
    head = text.split(" ", 1)[0]
    if not _ITEM_HEAD.match(head) or " " not in text:
        return False
    body_x = prev.bbox[0] + (len(head) + 1) * char_w
    return abs(line.bbox[0] - body_x) <= 1.5 * char_w


def join_paragraphs(lines: Sequence[OcrLine]) -> str:
    """Text of lines already in reading order: wrapped lines joined, ``\\n`` between
    paragraphs (see the module docstring)."""
    lines = [line for line in lines if line.text.strip()]
    if not lines:
        return ""
    unit = median_height(lines)
    paragraphs: list[str] = []
    current = ""
    prev: OcrLine | None = None
    # A row whose pieces stand far apart (title ... page number) is a table-like row, not
    # wrapped prose: it ends its paragraph.
    tabular_row = False
    for at, line in enumerate(lines):
        if prev is not None and (is_vertical(prev) or is_vertical(line)):
            if is_vertical(prev) and is_vertical(line) and not _vertical_break(prev, line):
                # Vertical writing: the next column (to the left) carries the sentence on.
                current = _glue(current, line.text.strip())
            else:
                # A column of vertical type beside upright lines (a headline) is a
                # paragraph of its own.
                paragraphs.append(current)
                current = line.text.strip()
            prev, tabular_row = line, False
            continue
        if prev is not None and _same_row(prev, line):
            tabular_row = tabular_row or line.bbox[0] - prev.bbox[2] > 2 * unit
            current = current + " " + line.text.strip()
            prev = line
            continue
        if prev is not None:
            left, right = _column_edges(lines, at, unit)
            if tabular_row or _starts_paragraph(prev, line, left, right, unit,
                                                prev_opens=current == prev.text.strip()):
                paragraphs.append(current)
                current = ""
        tabular_row = False
        current = _glue(current, line.text.strip())
        prev = line
    paragraphs.append(current)
    return "\n".join(p for p in paragraphs if p)


def _same_row(a: OcrLine, b: OcrLine) -> bool:
    return b.bbox[0] >= a.bbox[2] - 1 and _v_overlap(a.bbox, b.bbox) >= 0.5 * min(
        a.height, b.height
    )


def _vertical_break(prev: OcrLine, line: OcrLine) -> bool:
    """Whether vertical column ``line`` starts a new paragraph after ``prev``: it starts a
    character lower (the first line's indent), or ``prev`` stopped two characters short of
    ``line``'s foot, or the two do not stand side by side."""
    char = max(prev.width, line.width)
    if line.bbox[2] > prev.bbox[0] + 0.5 * char or prev.bbox[0] - line.bbox[2] > 1.5 * char:
        return True
    return line.bbox[1] - prev.bbox[1] > 0.7 * char or line.bbox[3] - prev.bbox[3] > 2 * char


#: The lines before and after a line in reading order that can give its column's edges.
_COLUMN_REACH = 60


def _column_edges(lines: Sequence[OcrLine], at: int, unit: float) -> tuple[float, float]:
    """Left and right edge of the column ``lines[at]`` belongs to: the lines around it in
    reading order in its x-range (or the previous line's), up to a headline before or after
    it (a headline over two columns runs past both), and standing beside the same columns
    of vertical type (a column set beside a vertical headline widens past the headline's
    foot)."""
    line = lines[at]
    prev = lines[at - 1] if at > 0 else line
    # Lines this far away in reading order say nothing of the column here (and looking at
    # every line for every line made a page-long block's joining quadratic).
    first, last = max(0, at - _COLUMN_REACH), min(len(lines), at + _COLUMN_REACH + 1)
    if not _shares_column(prev, line):
        # The line before stands elsewhere (a title centred over the column, a value beside
        # its label): the column is every line around in the line's x-range.
        mates = [o for o in lines[first:last] if _shares_column(o, line)]
        return min(m.bbox[0] for m in mates), max(m.bbox[2] for m in mates)
    verticals = [o for o in lines[first:last] if is_vertical(o)]

    def beside(o: OcrLine) -> frozenset[int]:
        return frozenset(i for i, v in enumerate(verticals) if _v_overlap(o.bbox, v.bbox) > 0.5 * o.height)

    near = [line]
    for indices in (range(at - 1, first - 1, -1), range(at + 1, last)):
        for i in indices:
            if _type_changes(lines[i], line, unit, pitch=False):
                break  # a headline: what lies beyond it is another article
            near.append(lines[i])
    side = beside(line)
    # Lines in the x-range of either: an item's number alone ("1.") shares little.
    mates = [o for o in near if (_shares_column(o, line) or _shares_column(o, prev))
             and not is_vertical(o) and beside(o) == side]
    return min(m.bbox[0] for m in mates), max(m.bbox[2] for m in mates)


def _shares_column(a: OcrLine, b: OcrLine) -> bool:
    return min(a.bbox[2], b.bbox[2]) - max(a.bbox[0], b.bbox[0]) > 0.3 * min(a.width, b.width)


def join_rows(lines: Sequence[OcrLine], row_sep: str = "\n") -> str:
    """Lines in reading order, one visual row per output line (pieces of a row joined with a
    space); for blocks whose line breaks carry meaning."""
    out = ""
    prev: OcrLine | None = None
    for line in lines:
        text = line.text.strip()
        if not text:
            continue
        if prev is None:
            out = text
        else:
            out += (" " if _same_row(prev, line) else row_sep) + text
        prev = line
    return out

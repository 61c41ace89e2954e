"""Rules, fills and column separators of a table, found in the page image: the evidence for
cells that span rows or columns.

Pure: page pixels in, rule segments out (page pixels, top-left origin); no I/O.

Why: positioned words alone cannot tell a tall cell whose text wraps over five lines beside
five one-line cells (a rating table's explanation beside its ratings) from five rows. The
printed rules can: a table that draws a rule between two rows in some columns and not in
others has cells that run on across that boundary in the columns without one.

What counts as a rule: a run of dark or coloured pixels (far from the paper's shade, measured
on the darkest channel, so red rules count) at least a few line heights long, on consecutive
pixel rows, and thin. Fills are found by their edges instead: long runs where the shade
changes from one pixel row to the next (the top and bottom of a coloured header row or a
shaded cell, two row colours meeting); they separate what lies above from what lies below.
Text makes neither: glyphs leave gaps far shorter than the minimum length. Column
separators are the same shade steps between pixel columns, at least a line tall (a glyph's
stem is shorter): a drawn rule's sides, or the white line between two filled cells.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from docparse.geometry import Box
from docparse.layout import DrawnRules

#: Darker than the background by this much (0-255, darkest channel) is ink.
_INK_CONTRAST = 50
#: Two fills meet where the shade steps by this much (0-255) between pixel rows: a hairline
#: between two dark cells is anti-aliased to a small step.
_SHADE_STEP = 30
#: A pixel this far from the paper's shade is tinted (a light grey or pastel fill).
_TINT = 12
#: A run of ink at least this many line heights long (and 3% of the box) can be a rule.
_MIN_LENGTH_UNITS = 2.5
#: A column separator this many line heights tall may close a fill's edge it crosses.
_CROSSING_UNITS = 1.5


@dataclass(frozen=True)
class TableRules:
    """What a table box's image shows of its structure, in page pixels.

    Horizontal segments are ``(x0, y, x1, y)``; vertical ones ``(x, y0, x, y1)``."""

    #: Drawn rules: thin horizontal runs of ink.
    lines: tuple[Box, ...] = ()
    #: Edges of fills (a coloured header row, a shaded cell, two row colours meeting): they
    #: separate what lies above from what lies below, but a shaded cell marks a value, not
    #: a row boundary the table rules.
    band_edges: tuple[Box, ...] = ()
    #: Share of the box in a tint other than the paper's (0-1).
    filled: float = 0.0
    #: Vertical separators, each ``(x, y0, x, y1)``: a drawn rule's sides, or two fills
    #: meeting (the white line between two filled cells).
    verticals: tuple[Box, ...] = ()


def find_rules(
    image: npt.NDArray[np.uint8], box: Sequence[float], unit: float
) -> TableRules:
    """The rules inside ``box`` of the page ``image``; ``unit`` is the table's text line
    height in pixels."""
    height, width = image.shape[:2]
    x0, y0 = max(0, int(box[0])), max(0, int(box[1]))
    x1, y1 = min(width, int(np.ceil(box[2]))), min(height, int(np.ceil(box[3])))
    if x1 - x0 < 4 or y1 - y0 < 4:
        return TableRules()
    crop = image[y0:y1, x0:x1]
    dark = crop.min(axis=2) if crop.ndim == 3 else crop
    # The paper's shade, from the whole page: a table of filled cells has little of it.
    sample = image[::8, ::8]
    background = float(np.median(sample.min(axis=2) if sample.ndim == 3 else sample))
    shade = dark.astype(np.int16)
    ink = shade < background - _INK_CONTRAST
    min_len = max(_MIN_LENGTH_UNITS * unit, 0.03 * (x1 - x0), 8.0)
    thin = max(3.0, 0.35 * unit)
    lines: list[Box] = []
    for top, bottom, left, right in _stack(_long_runs(ink, min_len)):
        if bottom - top + 1 <= thin:
            y = y0 + (top + bottom + 1) / 2
            lines.append((x0 + left, y, x0 + right, y))
    # Vertical separators: the shade stepping between pixel columns along a run at least a
    # line tall (a glyph's stem is shorter than its line).
    across = np.abs(np.diff(shade, axis=1)) >= _SHADE_STEP
    runs = _stack(_long_runs(across.T, max(unit, 8.0)))
    verticals = tuple(
        (x0 + (top + bottom) / 2 + 1, y0 + start, x0 + (top + bottom) / 2 + 1, y0 + end)
        for top, bottom, start, end in runs
    )
    # Where the shade changes from one pixel row to the next along a long run: the top or
    # bottom of a filled band, or two fills meeting (alternating row colours).
    change = np.abs(np.diff(shade, axis=0)) >= _SHADE_STEP
    # An edge falling between pixel rows is drawn over two steps (210, 227, 255), each
    # smaller than the step a fill makes: a step over two pixel rows counts too, where
    # neither of its one-row steps does (a sharp edge stays one row thick).
    two = np.abs(shade[2:] - shade[:-2]) >= _SHADE_STEP
    change[:-1] |= two & ~change[:-1] & ~change[1:]
    # A column rule crossing a fill's edge (a dark rule, or the white line between filled
    # cells) is the same shade on both pixel rows: no step there, so it would cut the edge
    # into cell-wide pieces, each shorter than the minimum length. Gaps are closed only where
    # a separator runs: those between glyphs written on a fill are no rule.
    # (A rule through a fill's edge runs on past the row; a tall glyph's side may not.)
    ruled = np.zeros_like(ink)
    for left, right, start, end in runs:
        if end - start >= _CROSSING_UNITS * unit:
            ruled[max(0, start - 1):end + 2, max(0, left - 1):right + 3] = True
    crossed = np.flatnonzero(ruled[:-1].any(axis=1))  # rows a separator runs through
    if crossed.size:
        change[crossed] = _bridged(change[crossed], ruled[crossed], int(thin))
    edges: list[Box] = []
    for top, bottom, left, right in _stack(_long_runs(change, min_len)):
        y = y0 + (top + bottom) / 2 + 1
        edge = (x0 + left, y, x0 + right, y)
        # A drawn rule's own two sides are no fill's edges.
        if not any(abs(rule[1] - y) <= thin and _overlap(rule, edge) for rule in lines):
            edges.append(edge)
    # Share of the box in a tint other than the paper's: a table tiled by filled cells.
    filled = float(np.mean(np.abs(shade - background) >= _TINT))
    return TableRules(tuple(lines), tuple(edges), filled, verticals)


def page_rules(image: npt.NDArray[np.uint8], unit: float) -> DrawnRules:
    """The thin rules of a whole page image, for finding ruled tables on scans
    (:func:`docparse.layout.builtin_refine.ruled_tables`); ``unit`` is the page's text line
    height in pixels. Rules meet within about a seventh of it (two points at 160 dpi)."""
    found = find_rules(image, (0, 0, image.shape[1], image.shape[0]), unit)
    return DrawnRules(found.lines, found.verticals, scale=max(1.0, unit / _UNITS_PER_POINT))


#: Text lines are about this many points tall: page pixels per point = line height / this.
_UNITS_PER_POINT = 16.0


def _bridged(
    steps: npt.NDArray[np.bool_], through: npt.NDArray[np.bool_], max_gap: int
) -> npt.NDArray[np.bool_]:
    """``steps`` with each gap of at most ``max_gap`` pixels filled where a separator runs
    through it (``through``) and steps stand on both sides of it."""
    out: npt.NDArray[np.bool_] = steps.copy()
    width = steps.shape[1]
    for gap in range(1, max_gap + 1):
        n = width - gap - 1
        if n <= 0:
            break
        # ok[:, i]: steps at i and i + gap + 1, separator pixels from i + 1 to i + gap.
        ok = steps[:, :n] & steps[:, gap + 1:]
        for k in range(gap):
            ok &= through[:, 1 + k:1 + k + n]
        for k in range(gap):
            out[:, 1 + k:1 + k + n] |= ok
    return out


def _overlap(a: Box, b: Box) -> bool:
    """True when horizontal segments ``a`` and ``b`` share half of the shorter one."""
    return min(a[2], b[2]) - max(a[0], b[0]) >= 0.5 * min(a[2] - a[0], b[2] - b[0])


def _long_runs(ink: npt.NDArray[np.bool_], min_len: float) -> list[tuple[int, int, int]]:
    """(row, start, end) of every horizontal run of ink at least ``min_len`` long, sorted by
    row then start."""
    padded = np.zeros((ink.shape[0], ink.shape[1] + 2), dtype=np.int8)
    padded[:, 1:-1] = ink
    steps = np.diff(padded, axis=1)
    # Row-major order pairs each run's start with its end: runs alternate along a row.
    rows, starts = np.nonzero(steps == 1)
    _, ends = np.nonzero(steps == -1)
    keep = ends - starts >= min_len
    return list(zip(rows[keep].tolist(), starts[keep].tolist(), ends[keep].tolist(), strict=True))


def _stack(runs: list[tuple[int, int, int]]) -> list[tuple[int, int, int, int]]:
    """Runs on consecutive pixel rows that overlap horizontally, grouped:
    (top row, bottom row, left, right)."""
    groups: list[list[int]] = []  # [top, bottom, left, right]
    active: list[list[int]] = []  # the groups reaching the previous or the current row
    current = -1
    for row, s, e in runs:  # runs come sorted by row
        if row != current:
            active = [g for g in active if g[1] >= row - 1]
            current = row
        for g in active:
            if min(g[3], e) - max(g[2], s) > 0:
                g[1], g[2], g[3] = row, min(g[2], s), max(g[3], e)
                break
        else:
            group = [row, row, s, e]
            groups.append(group)
            active.append(group)
    return [(g[0], g[1], g[2], g[3]) for g in groups]

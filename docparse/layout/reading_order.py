"""Geometric reading order for layout models without an ordering head.

Page furniture is pulled out first (headers and top page numbers lead, footers, bottom page
numbers and margin notes trail); the body is ordered by a recursive XY-cut:

* the largest clean gap decides the cut: a horizontal whitespace band splits the set into
  top and bottom, a vertical gutter into left and right; gutters win near-ties, because a
  coincidental paragraph break shared by two columns must not interleave them, and a gutter
  between two columns of stacked blocks wins whatever its width (papers set columns a word
  or two apart; a section break shared by both is wider);
* when no clean gap exists, the best column gutter is found while ignoring the blocks that
  cross it; those blocks (titles, wide figures) act as separators that cut the page into
  bands, and each band is read column by column;
* boxes that still cannot be separated are read top to bottom, left to right.

Then ``Region.order`` is numbered as the official layout result does: a 1-based running index
that skips :data:`docparse.labels.SKIP_ORDER_LABELS` (those get None). Pure: no numpy, no I/O.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from docparse.geometry import centre_in, same_row
from docparse.labels import SKIP_ORDER_LABELS
from docparse.layout import Region

_HEADER_LABELS = frozenset({"header", "header_image"})
_FOOTER_LABELS = frozenset({"footer", "footer_image"})
# Page numbers and margin notes (arXiv stamps, side captions) go with the nearer page edge,
# or last, so a tall side note does not look like a column.
_EDGE_LABELS = frozenset({"number"})
_TRAILING_LABELS = frozenset({"aside_text"})
#: Pictures that may be the background of blocks read out of them.
_BACKDROP_LABELS = frozenset({"image", "chart"})
#: A gutter must be this much wider than the largest horizontal gap to lose to it.
_GUTTER_PREFERENCE = 1.2


def order_regions(regions: Sequence[Region], page_width: float, page_height: float, *,
                  backdrops: bool = False) -> list[Region]:
    """Sort regions into reading order and set their 1-based ``order``.

    With ``backdrops``, a picture holding two or more other blocks (a page-sized photo or a
    newspaper page whose text was read out of it) is their background, not a block beside
    them: the rest is ordered without it, and it goes right before the first block it
    holds. Without, it is ordered as any block (it crosses the columns and separates the
    bands above and below its middle); the refinement steps that read text out of pictures
    place what they read right after the picture in that order.

    Example:
        >>> left = Region("text", (50, 100, 290, 700), 0.9)
        >>> right = Region("text", (310, 100, 550, 700), 0.9)
        >>> [r.bbox[0] for r in order_regions([right, left], 600, 800)]
        [50, 310]
    """
    headers: list[Region] = []
    footers: list[Region] = []
    trailing: list[Region] = []
    body: list[Region] = []
    for region in regions:
        centre_y = (region.bbox[1] + region.bbox[3]) / 2
        if region.label in _HEADER_LABELS or (
            region.label in _EDGE_LABELS and centre_y < page_height / 2
        ):
            headers.append(region)
        elif region.label in _FOOTER_LABELS or region.label in _EDGE_LABELS:
            footers.append(region)
        elif region.label in _TRAILING_LABELS:
            trailing.append(region)
        else:
            body.append(region)

    tolerance = 0.002 * max(page_width, page_height, 1.0)
    behind = [r for r in body if _holds_blocks(r, body)] if backdrops else []
    flow = xy_cut([r for r in body if not any(r is b for b in behind)], tolerance)
    for backdrop in behind:
        at = next((i for i, r in enumerate(flow) if _centre_inside(r, backdrop)), len(flow))
        flow.insert(at, backdrop)
    ordered = [
        *_top_down(headers),
        *flow,
        *_top_down(trailing),
        *_top_down(footers),
    ]
    return number_regions(ordered)


def _centre_inside(region: Region, outer: Region) -> bool:
    return region is not outer and centre_in(region.bbox, outer.bbox)


def _holds_blocks(region: Region, body: Sequence[Region]) -> bool:
    """Whether ``region`` is a picture with two or more other blocks centred inside it."""
    if region.label not in _BACKDROP_LABELS:
        return False
    return sum(1 for r in body if _centre_inside(r, region) and r.label not in _BACKDROP_LABELS) >= 2


def number_regions(ordered: Sequence[Region]) -> list[Region]:
    """Copy the regions with ``order`` = running index, None for the unordered labels."""
    result: list[Region] = []
    index = 0
    for region in ordered:
        if region.label in SKIP_ORDER_LABELS:
            result.append(dataclasses.replace(region, order=None))
        else:
            index += 1
            result.append(dataclasses.replace(region, order=index))
    return result


def xy_cut(regions: Sequence[Region], tolerance: float = 1.0) -> list[Region]:
    """Order body regions by recursive XY-cut (see the module docstring).

    ``tolerance`` is how far boxes may overlap a gap and still count as on one side of it.
    """
    if len(regions) <= 1:
        return list(regions)

    y_gap = _largest_gap(regions, axis=1, tolerance=tolerance)
    x_gap = _largest_gap(regions, axis=0, tolerance=tolerance)
    cuts: list[tuple[float, int]] = []
    if x_gap is not None and (
        y_gap is None
        or x_gap[1] * _GUTTER_PREFERENCE >= y_gap[1]
        or _columns(*_split(regions, x_gap[0], axis=0))
    ):
        cuts.append((x_gap[0], 0))
    if y_gap is not None:
        cuts.append((y_gap[0], 1))
    if x_gap is None and y_gap is not None and (
            (gutter := _columns_past_gap(regions, y_gap[1], tolerance)) is not None):
        # Columns crossed only by a few wide blocks (a table across the page's foot), whose
        # gutter is wider than the clean horizontal gap: that gap is a hair between a
        # paragraph's end and a caption's start, shared by chance; the columns are read
        # between the crossing blocks instead (a report's sidebar before its body).
        return _bands_by_columns(regions, gutter, tolerance)
    for position, axis in cuts:
        first, second = _split(regions, position, axis=axis)
        # Guards the recursion: a cut that leaves one side empty would never terminate.
        if first and second:
            return [*xy_cut(first, tolerance), *xy_cut(second, tolerance)]

    banded = _cut_with_separators(regions, tolerance)
    if banded is not None:
        return banded
    return _top_down(regions)


def _columns_past_gap(regions: Sequence[Region], y_gap: float, tolerance: float) -> float | None:
    """The x of the gutter found past the blocks crossing it (:func:`_best_gutter`) when it
    is wider than ``y_gap`` (with the usual preference) and has columns of text on its two
    sides, not a form's rows; None otherwise."""
    gutter = _best_gutter(regions, tolerance)
    if gutter is None or gutter[1] < _GUTTER_PREFERENCE * y_gap:
        return None
    x = gutter[0]
    left = [r for r in regions if r.bbox[2] <= x + tolerance]
    right = [r for r in regions if r.bbox[0] >= x - tolerance]
    return x if _columns(left, right) else None


def _columns(left: Sequence[Region], right: Sequence[Region]) -> bool:
    """Whether two sides of a clean gutter are columns of text, however narrow the gutter:
    each stacks several blocks over most of their joint height, and the blocks do not pair
    up row by row (a form's labels and fields, or boxes of a grid, do). Two-column papers
    set their columns a word or two apart, and a section break shared by both columns then
    leaves a wider horizontal gap than the gutter."""
    if len(left) < 2 or len(right) < 2:
        return False
    top = min(r.bbox[1] for r in (*left, *right))
    bottom = max(r.bbox[3] for r in (*left, *right))
    for side in (left, right):
        if max(r.bbox[3] for r in side) - min(r.bbox[1] for r in side) < 0.5 * (bottom - top):
            return False
    paired = 0
    for a in left:
        for b in right:
            h = min(a.bbox[3] - a.bbox[1], b.bbox[3] - b.bbox[1])
            if abs(a.bbox[1] - b.bbox[1]) <= 0.1 * h and abs(a.bbox[3] - b.bbox[3]) <= 0.1 * h:
                paired += 1
                break
    return paired < 0.5 * len(left)


def _largest_gap(
    regions: Sequence[Region], *, axis: int, tolerance: float
) -> tuple[float, float] | None:
    """(cut position, gap width) of the widest empty stripe along ``axis`` (0 = x, 1 = y)."""
    spans = sorted((r.bbox[axis], r.bbox[axis + 2]) for r in regions)
    best: tuple[float, float] | None = None
    reach = spans[0][1]
    for start, end in spans[1:]:
        width = start - reach
        # A slight overlap (detector jitter) still counts as a gap of zero width.
        if width > -tolerance and (best is None or width > best[1]):
            best = ((start + reach) / 2, max(width, 0.0))
        reach = max(reach, end)
    return best


def _split(
    regions: Sequence[Region], cut: float, *, axis: int
) -> tuple[list[Region], list[Region]]:
    before = [r for r in regions if (r.bbox[axis] + r.bbox[axis + 2]) / 2 < cut]
    after = [r for r in regions if (r.bbox[axis] + r.bbox[axis + 2]) / 2 >= cut]
    return before, after


def _cut_with_separators(regions: Sequence[Region], tolerance: float) -> list[Region] | None:
    """Read bands between gutter-crossing blocks column by column; None without a gutter."""
    gutter = _best_gutter(regions, tolerance)
    return None if gutter is None else _bands_by_columns(regions, gutter[0], tolerance)


def _bands_by_columns(regions: Sequence[Region], gutter: float, tolerance: float) -> list[Region]:
    """The bands between the blocks crossing the gutter at x ``gutter``, each read column
    by column, the crossing blocks between them."""
    separators = sorted(
        (r for r in regions if _crosses(r, gutter, tolerance)), key=lambda r: r.bbox[1]
    )
    rest = [r for r in regions if not _crosses(r, gutter, tolerance)]
    ordered: list[Region] = []
    for separator in separators:
        centre = (separator.bbox[1] + separator.bbox[3]) / 2
        band = [r for r in rest if (r.bbox[1] + r.bbox[3]) / 2 < centre]
        rest = [r for r in rest if (r.bbox[1] + r.bbox[3]) / 2 >= centre]
        ordered.extend(_read_columns(band, gutter, tolerance))
        ordered.append(separator)
    ordered.extend(_read_columns(rest, gutter, tolerance))
    return ordered


def _read_columns(band: Sequence[Region], gutter: float, tolerance: float) -> list[Region]:
    left = [r for r in band if r.bbox[2] <= gutter + tolerance]
    right = [r for r in band if r.bbox[2] > gutter + tolerance]
    return [*xy_cut(left, tolerance), *xy_cut(right, tolerance)]


def _crosses(region: Region, x: float, tolerance: float) -> bool:
    return region.bbox[0] < x - tolerance and region.bbox[2] > x + tolerance


def _best_gutter(regions: Sequence[Region], tolerance: float) -> tuple[float, float] | None:
    """(x, width) of the column gutter crossed by the fewest blocks, if the page has columns.

    A gutter qualifies when blocks on its two sides sit next to each other somewhere (real
    columns, not a staircase) and fewer blocks cross it than stay on either side of it.
    """
    best: tuple[int, float, float] | None = None  # (crossing count, -gap width, x)
    for x in sorted({r.bbox[2] for r in regions}):
        left = [r for r in regions if r.bbox[2] <= x + tolerance]
        right = [r for r in regions if r.bbox[0] >= x - tolerance and r.bbox[2] > x + tolerance]
        if not left or not right:
            continue
        crossing = len(regions) - len(left) - len(right)
        if crossing == 0 or crossing >= len(left) + len(right) or not _side_by_side(left, right):
            continue
        gap = min(r.bbox[0] for r in right) - x
        key = (crossing, -gap, x)
        if best is None or key < best:
            best = key
    if best is None:
        return None
    return best[2] + max(-best[1], 0.0) / 2, max(-best[1], 0.0)


def _side_by_side(left: Sequence[Region], right: Sequence[Region]) -> bool:
    return any(min(a.bbox[3], b.bbox[3]) > max(a.bbox[1], b.bbox[1]) for a in left for b in right)


def _top_down(regions: Sequence[Region]) -> list[Region]:
    """Rows top to bottom, left to right within a row (boxes sharing most of their height)."""
    rows: list[list[Region]] = []
    for region in sorted(regions, key=lambda r: (r.bbox[1], r.bbox[0])):
        row = rows[-1] if rows else None
        if row is not None and same_row(row[0].bbox, region.bbox):
            row.append(region)
        else:
            rows.append([region])
    return [region for row in rows for region in sorted(row, key=lambda r: r.bbox[0])]


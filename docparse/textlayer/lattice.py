"""Ruled grids drawn on a born-digital page (pure).

Word processors export a table's borders as thin horizontal and vertical lines. Where such
lines meet in a lattice, that is a table, whatever the layout model called it: the built-in
model reads the ruled tables of ODT and DOCX exports (nested ones above all) as paragraphs.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from docparse.geometry import Box, connected_groups

#: Rules meet when their boxes come this close (page pixels per unit of scale: a point).
_TOUCH = 2.0
#: A lattice has at least this many horizontal and vertical rules, and more than this many
#: of one kind: a frame around a paragraph is two of each.
_MIN_EACH = 2
_MIN_ONE_KIND = 3


def _touch(a: Box, b: Box, tol: float) -> bool:
    return a[0] - tol <= b[2] and b[0] - tol <= a[2] and a[1] - tol <= b[3] and b[1] - tol <= a[3]


def ruled_grids(horizontal: Sequence[Box], vertical: Sequence[Box], *, scale: float = 1.0) -> list[Box]:
    """Boxes of the lattices the rules form: connected sets of rules (rules touching within
    two points) with at least two horizontal and two vertical rules and three of one kind.
    Largest first.

    Example:
        >>> h = [(0, y, 100, y + 1) for y in (0, 20, 40)]
        >>> v = [(x, 0, x + 1, 41) for x in (0, 50, 99)]
        >>> ruled_grids(h, v)
        [(0, 0, 100, 41)]
        >>> ruled_grids(h[:2], v[:2])  # a frame
        []
    """
    rules = sorted([(b, True) for b in horizontal] + [(b, False) for b in vertical],
                   key=lambda r: r[0][0])
    tol = _TOUCH * scale

    # Rules meeting in a corner or a cross join, and so do rules of one kind touching end to
    # end (a rule drawn in segments). Sorted by left edge, a rule's partners start before its
    # right edge: the scan stops there.
    def links() -> Iterator[tuple[int, int]]:
        for i, (a, _) in enumerate(rules):
            for j in range(i + 1, len(rules)):
                if rules[j][0][0] > a[2] + tol:
                    break
                if _touch(a, rules[j][0], tol):
                    yield i, j

    groups = [[rules[i] for i in group] for group in connected_groups(len(rules), links())]
    out: list[Box] = []
    for members in groups:
        h = _distinct([b[1] for b, flat in members if flat], tol)
        v = _distinct([b[0] for b, flat in members if not flat], tol)
        if min(h, v) < _MIN_EACH or max(h, v) < _MIN_ONE_KIND:
            continue
        out.append((min(b[0] for b, _ in members), min(b[1] for b, _ in members),
                    max(b[2] for b, _ in members), max(b[3] for b, _ in members)))
    return sorted(out, key=lambda b: -(b[2] - b[0]) * (b[3] - b[1]))


def _distinct(positions: list[float], tol: float) -> int:
    """How many different positions (within ``tol``) the rules stand at."""
    count = 0
    last: float | None = None
    for p in sorted(positions):
        if last is None or p - last > tol:
            count += 1
        last = p
    return count

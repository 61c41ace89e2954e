"""Page-range specs: ``"1-3,7"`` (1-based, inclusive) → sorted 0-based indices."""

from __future__ import annotations

from docparse.errors import ConfigurationError


def parse_page_spec(spec: str) -> list[tuple[int, int | None]]:
    """Parse into 1-based inclusive ranges; ``None`` as the end means "to the last page"."""
    ranges: list[tuple[int, int | None]] = []
    for part in spec.replace(" ", "").split(","):
        if not part:
            continue
        try:
            if "-" in part:
                a, b = part.split("-", 1)
                start = int(a) if a else 1
                end: int | None = int(b) if b else None
            else:
                start = end = int(part)
        except ValueError:
            raise ConfigurationError(
                f"option pages: {spec!r} is not a page list like '1-3,7'"
            ) from None
        if start < 1 or (end is not None and end < start):
            raise ConfigurationError(f"option pages: bad range {part!r} in {spec!r}")
        ranges.append((start, end))
    if not ranges:
        raise ConfigurationError(f"option pages: {spec!r} names no page")
    return ranges


def select_pages(spec: str | None, page_count: int) -> list[int]:
    """0-based page indices selected by ``spec`` within a document of ``page_count`` pages."""
    if spec is None:
        return list(range(page_count))
    chosen: set[int] = set()
    for start, end in parse_page_spec(spec):
        last = page_count if end is None else min(end, page_count)
        chosen.update(range(start - 1, last))
    return sorted(i for i in chosen if i < page_count)

"""Section title levels across the whole document (``Block.title_level``; 1 renders as ``##``).

The official rule set (``paddlex .../layout_parsing/title_level.py``) with three signals voting
for each numbered ``paragraph_title``:

1. the level its numbering style means (``1.2.3`` → 3, roman and Chinese numerals → 1,
   letters → 2, ``(n)`` → 4);
2. the order in which numbering styles first appear in the document (the first style seen is
   level 1, the next new one level 2, …; deeper ``1.2`` numbers add their extra depth);
3. the rank of the title's line height among up to four height clusters (taller → higher).

Two agreeing signals win; otherwise the order signal does. Unnumbered titles named like
ABSTRACT, INTRODUCTION, REFERENCES… are level 1; other unnumbered titles take the height rank.
``doc_title`` stays ``#`` and is not levelled.

docparse differs where upstream misfires on real titles: a bare letter or roman numeral followed
by a space ("A Study of…", "I Think") counts as numbering only when another title uses the same
style with a different marker; numbers of three or more digits (years) are not numbering; the
height clusters are found by a small 1-D k-means without scikit-learn, and heights closer than
12% are one cluster (upstream splits noise into up to four "levels"); the line count of a title
is estimated from its box when the text carries no line breaks. Further:

* decimal numbering counts depth from the shallowest number in the document: when chapters are
  titled without their number ("Chapter 1" as the document title) and sections start at
  ``1.1``, ``1.1`` is level 1 and ``1.3.1`` level 2 (upstream: 1 and 3, skipping a level);
* with more than four sizes, the most used sizes seed the clusters, not evenly spaced ones (a
  one-off cover line would otherwise take a cluster from the section titles);
* an unnumbered title takes the level the numbered titles of its size cluster have (a size used
  by no numbered title: one below the nearest taller size that is, or 1 when none is taller),
  so "Authors" set like "1.1 Fundamentals" sits beside it; without numbered titles the size
  rank decides, as upstream.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from docparse.assemble.refs import reading_order
from docparse.document import Block, Document

MAX_LEVEL = 5
_MAX_CLUSTERS = 4
#: Heights within this ratio of each other are one font size.
_SAME_HEIGHT = 1.12

_BRACKET = re.compile(r"^\s*[\(（]?(\d+(?:\.\d+)*)[\)）]")
_ROMAN = re.compile(r"^\s*([IVX]+)(?:([\.．\)])|\s|$)", re.I)
_CHINESE = re.compile(
    r"^\s*(?:第|[（\(])?([一二三四五六七八九十]{1,2})(?:[章节篇卷部条题讲课回）\)]|(?![a-zA-Z\u4e00-\u9fa5]))"
)
_LETTER = re.compile(r"^\s*([A-Z])(?:([\.．\)])|\s)", re.I)
_NUM_LIST = re.compile(r"^\s*(\d{1,2}(?:\.\d+)*)(?:\.?(?:\s|$)|\.(?=\S)|(?=[A-Z][a-z]))")

SPECIAL_KEYWORDS = frozenset(
    {
        "ABSTRACT", "SUMMARY", "RESUME", "绪论", "引言", "CONTENTS", "REFERENCES", "REFERENCE",
        "参考文献", "APPENDIX", "APPENDICES", "附录", "ACKNOWLEDGMENTS", "ACKNOWLEDGEMENTS",
        "ACKNOWLEDGMENT", "ACKNOWLEDGEMENT", "INTRODUCTION", "BACKGROUNDANDRELATEDWORK",
        "BACKGROUND", "RELATEDWORK", "THEORETICALMODELS", "DATA", "METHOD", "METHODS",
        "METHODOLOGY", "TOPICANALYSIS", "RESULT", "RESULTS", "DISCUSSION", "CONCLUSIONS",
        "CONCLUSION", "LIMITATIONS", "BIBLIOGRAPHY", "研究背景", "相关工作", "研究方法",
        "实验结果", "讨论", "结论", "致谢", "目录",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Numbering:
    style: str
    level: int
    marker: str
    #: True for a bare letter/roman numeral before a space, which needs a second witness.
    weak: bool = False


def numbering_of(title: str) -> Numbering | None:
    """The numbering style, its level and its marker at the start of ``title``, if any."""
    text = title.strip()
    if m := _BRACKET.match(text):
        return Numbering("NUM_BRACKET", 4, m.group(1))
    if m := _ROMAN.match(text):
        return Numbering("ROMAN", 1, m.group(1).upper(), weak=m.group(2) is None)
    if m := _CHINESE.match(text):
        return Numbering("CHINESE_NUM", 1, m.group(1))
    if m := _LETTER.match(text):
        return Numbering("LETTER", 2, m.group(1).upper(), weak=m.group(2) is None)
    if m := _NUM_LIST.match(text):
        return Numbering("NUM_LIST", m.group(1).count(".") + 1, m.group(1))
    return None


def line_height(block: Block) -> float:
    """Height of one text line of ``block`` (width for vertical text), in page pixels."""
    x0, y0, x1, y1 = block.block_bbox
    w, h = max(x1 - x0, 1), max(y1 - y0, 1)
    text = block.block_content.strip()
    lines = text.count("\n") + 1
    extent = h if w >= h else w
    chars = len(text.replace("\n", ""))
    if lines == 1 and chars:
        # Font size from area per character (~0.5 em wide glyphs, 1.2 em lines): a wrapped title
        # whose text has no line break still gets its per-line height.
        font = math.sqrt(w * h / (0.6 * chars))
        lines = max(1, round(extent / (1.2 * font)))
    return extent / lines


def kmeans_1d(values: Sequence[float], centers: Sequence[float], iters: int = 50) -> list[float]:
    """Lloyd's k-means on numbers from the given initial ``centers``; returns the final centers."""
    cs = list(centers)
    for _ in range(iters):
        buckets: list[list[float]] = [[] for _ in cs]
        for v in values:
            buckets[min(range(len(cs)), key=lambda i: abs(v - cs[i]))].append(v)
        new = [sum(b) / len(b) if b else c for b, c in zip(buckets, cs, strict=True)]
        if new == cs:
            break
        cs = new
    return cs


def height_ranks(heights: Sequence[float]) -> dict[float, int]:
    """Each height's cluster rank (1 = tallest), with at most four clusters."""
    uniq = sorted(set(heights))
    if not uniq:
        return {}
    groups: list[list[float]] = [[uniq[0]]]
    for h in uniq[1:]:
        if h > groups[-1][-1] * _SAME_HEIGHT:
            groups.append([h])
        else:
            groups[-1].append(h)
    if len(groups) > _MAX_CLUSTERS:
        # Seed from the sizes most titles use (ties: the taller); one-off sizes join the
        # nearest of those.
        uses = Counter(heights)
        ranked = sorted(groups, key=lambda g: (-sum(uses[h] for h in g), -g[-1]))
        groups = sorted(ranked[:_MAX_CLUSTERS], key=lambda g: g[0])
    centers = kmeans_1d(heights, [sum(g) / len(g) for g in groups])
    by_size = sorted(range(len(centers)), key=lambda i: -centers[i])
    rank = {ci: r + 1 for r, ci in enumerate(by_size)}
    return {h: rank[min(range(len(centers)), key=lambda i: abs(h - centers[i]))] for h in uniq}


def _keyword(title: str) -> bool:
    return title.upper().strip().rstrip("：: ").replace(" ", "") in SPECIAL_KEYWORDS


def compute_levels(titles: Sequence[str], heights: Sequence[float]) -> list[int]:
    """The level (1 = top) of each title, given in document order with its line height."""
    found = [numbering_of(t) for t in titles]
    markers: dict[str, set[str]] = {}
    for n in found:
        if n is not None:
            markers.setdefault(n.style, set()).add(n.marker)
    # A weak match needs another title numbered in the same style with a different marker.
    found = [None if n and n.weak and len(markers[n.style]) < 2 else n for n in found]
    seq: dict[str, int] = {}
    for n in found:
        if n is not None and n.style not in seq:
            seq[n.style] = len(seq) + 1
    ranks = height_ranks(heights)
    depths = [n.level for n in found if n is not None and n.style == "NUM_LIST"]
    shallowest = min(depths, default=1)
    first_num_level = 0
    levels: list[int | None] = []
    for title, n, h in zip(titles, found, heights, strict=True):
        cluster = ranks[h]
        if n is not None:
            relative = seq[n.style]
            meant = n.level
            if n.style == "NUM_LIST":
                meant -= shallowest - 1
                if first_num_level:
                    relative += n.level - first_num_level
                else:
                    first_num_level = n.level
            level, votes = Counter([meant, relative, cluster]).most_common(1)[0]
            final: int | None = level if votes > 1 else relative
        elif _keyword(title):
            final = 1
        else:
            final = None  # from its size, once the numbered titles are known
        levels.append(final if final is None else max(1, min(final, MAX_LEVEL)))
    by_size = _levels_by_size(
        [ranks[h] for h, n in zip(heights, found, strict=True) if n is not None],
        [lv for lv, n in zip(levels, found, strict=True) if n is not None and lv is not None],
    )
    return [
        lv if lv is not None else max(1, min(by_size(ranks[h]), MAX_LEVEL))
        for lv, h in zip(levels, heights, strict=True)
    ]


def _levels_by_size(clusters: Sequence[int], levels: Sequence[int]) -> Callable[[int], int]:
    """Level for a size-cluster rank, learnt from the numbered titles of each cluster."""
    votes: dict[int, Counter[int]] = {}
    for c, lv in zip(clusters, levels, strict=True):
        votes.setdefault(c, Counter())[lv] += 1
    known = {c: min(v.items(), key=lambda kv: (-kv[1], kv[0]))[0] for c, v in votes.items()}

    def level(cluster: int) -> int:
        if not known:
            return cluster
        if cluster in known:
            return known[cluster]
        taller = [c for c in known if c < cluster]
        return known[max(taller)] + 1 if taller else 1

    return level


def relevel_titles(doc: Document) -> Document:
    """``doc`` with ``title_level`` set on every recognised ``paragraph_title``."""
    spots: list[tuple[int, int]] = []
    titles: list[str] = []
    heights: list[float] = []
    for p, page in enumerate(doc.pages):
        for b in reading_order(page):
            if b.block_label == "paragraph_title" and b.status == "ok" and b.block_content.strip():
                spots.append((p, b.block_id))
                titles.append(b.block_content)
                heights.append(round(line_height(b), 1))
    if not spots:
        return doc
    levels = dict(zip(spots, compute_levels(titles, heights), strict=True))
    pages = []
    for p, page in enumerate(doc.pages):
        blocks = tuple(
            b.model_copy(update={"title_level": levels[(p, b.block_id)]})
            if levels.get((p, b.block_id), b.title_level) != b.title_level
            else b
            for b in page.parsing_res_list
        )
        pages.append(page.model_copy(update={"parsing_res_list": blocks}))
    return doc.model_copy(update={"pages": tuple(pages)})

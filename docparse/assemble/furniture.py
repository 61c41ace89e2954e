"""Running headers, footers and page numbers the layout model missed on some pages.

A block near the top or bottom margin whose text recurs on other pages near the same margin
(same text once digits are ignored, so "Page 3" matches "Page 4") is page furniture, whatever
the layout model called it on this page: it is relabelled ``header``/``footer``, or ``number``
when the text is only a page number. Pictures repeated at the same place in a margin (logos)
become ``header_image``/``footer_image``. Markdown then leaves them out, as the official
``markdown_ignore_labels`` do.

A ``header`` that recurs nowhere in a document of three pages or more is not a running
header but content the model mislabelled (the document's title at the top of page one, the
first line of a page): it becomes a title or text.

A page with nothing on it but furniture has no body for a header or footer to run above or
below: a line the model called ``header`` or ``footer`` there, whose text recurs on no other
page, is the page's content (a one-line letter, a cover's only line: OCRmyPDF's
missing_docinfo test page, whose one sentence the built-in model calls a header) and becomes
text. Page numbers stay furniture.

How often: at least two pages. A block the model called a title (``paragraph_title``,
``doc_title``) needs three pages, or 30% of the pages when that is fewer, because a short
heading can recur by chance.

Blocks the layout model did label as furniture are skipped by recognition (no text), so text
cannot be compared with them: a margin block whose box matches, edge for edge, a furniture box
of another page is furniture too (the model saw the same line as a footer there). Small layout
models without a footer or footnote class call running lines ``reference_content`` or ``text``,
so every text-like label except captions is a candidate.

The original label is not stored on the block (the result model has no field for it): it stays
recoverable from ``Page.layout_det_res``, the detector's raw output, which keeps every box's
own label at the same coordinates. ``block_order`` is renumbered on pages that changed, since
upstream's running index skips furniture.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from docparse.assemble.refs import reading_order
from docparse.document import Block, Document, Page
from docparse.labels import FURNITURE_LABELS, SKIP_ORDER_LABELS

#: Fraction of the page height that counts as the top or bottom margin.
MARGIN = 0.12
#: Repeats must sit at about the same height (fraction of the page height).
Y_TOLERANCE = 0.04
#: Repeated pictures must match on every edge within this fraction of the page size.
BOX_TOLERANCE = 0.02
MAX_TEXT = 200

_TEXT_CANDIDATES = frozenset(
    {
        "text", "paragraph_title", "doc_title", "content", "vertical_text", "reference",
        "reference_content", "footnote", "vision_footnote", "aside_text", *FURNITURE_LABELS,
    }
)  # fmt: skip
_TITLE_LABELS = frozenset({"paragraph_title", "doc_title"})
_ROMAN = re.compile(r"^[ivxlc]+$")
_PAGE_NUMBER = re.compile(
    r"^(?:page|p\.|pg\.?|seite|página|第)?\s*#+\s*(?:(?:of|/|von|de)\s*#+)?\s*页?$"
)


@dataclass(frozen=True)
class _Spot:
    page_pos: int
    block: Block
    band: str  # "top" | "bottom"
    y: float  # centre, as a fraction of the page height


def normalize(text: str) -> str:
    """Text with digits (and a lone roman numeral) as ``#``, case and spacing folded."""
    t = " ".join(unicodedata.normalize("NFKC", text).lower().split())
    t = t.strip(" -–—|·•")
    if _ROMAN.match(t):
        return "#"
    return re.sub(r"\d+", "#", t)


def detect_furniture(doc: Document) -> Document:
    """``doc`` with repeated margin text and pictures relabelled as furniture, and furniture
    that is a page's only content relabelled as text."""
    relabel: dict[tuple[int, int], str] = {}
    if len(doc.pages) >= 2:
        relabel.update(_like_known_furniture(doc))
        relabel.update(_repeated_text(doc))
        relabel.update(_repeated_pictures(doc))
        for key, label in _unrepeated_headers(doc).items():
            relabel.setdefault(key, label)
    for key, label in _lone_furniture(doc).items():
        relabel.setdefault(key, label)
    if not relabel:
        return doc
    pages = tuple(
        _apply(page, {bid: lab for (p, bid), lab in relabel.items() if p == pos})
        for pos, page in enumerate(doc.pages)
    )
    return doc.model_copy(update={"pages": pages})


def _band(page: Page, block: Block) -> tuple[str, float] | None:
    _, y0, _, y1 = block.block_bbox
    h = max(page.height, 1)
    y = (y0 + y1) / 2 / h
    if (y1 - y0) / h > MARGIN:
        return None
    if y < MARGIN:
        return "top", y
    if y > 1 - MARGIN:
        return "bottom", y
    return None


def _spots(doc: Document, labels: frozenset[str], need_text: bool) -> Iterable[_Spot]:
    for pos, page in enumerate(doc.pages):
        for b in reading_order(page):
            if b.block_label not in labels or b.status in ("failed", "merged"):
                continue
            text = b.block_content.strip()
            if need_text and (not text or len(text) > MAX_TEXT):
                continue
            band = _band(page, b)
            if band is not None:
                yield _Spot(pos, b, band[0], band[1])


def _repeated_text(doc: Document) -> dict[tuple[int, int], str]:
    groups: dict[tuple[str, str], list[_Spot]] = defaultdict(list)
    for s in _spots(doc, _TEXT_CANDIDATES, need_text=True):
        groups[(s.band, normalize(s.block.block_content))].append(s)
    out: dict[tuple[int, int], str] = {}
    title_need = max(2, min(3, math.ceil(0.3 * len(doc.pages))))
    for (band, key), spots in groups.items():
        if not key:
            continue
        label = "number" if _PAGE_NUMBER.match(key) else ("header" if band == "top" else "footer")
        for s in spots:
            if s.block.block_label in FURNITURE_LABELS:
                continue
            near = {o.page_pos for o in spots if abs(o.y - s.y) <= Y_TOLERANCE}
            need = title_need if s.block.block_label in _TITLE_LABELS else 2
            if len(near) >= need:
                out[(s.page_pos, s.block.block_id)] = label
    return out


def _unrepeated_headers(doc: Document) -> dict[tuple[int, int], str]:
    """Lines the layout model called ``header`` that are not running headers: in a document of
    three pages or more a running header recurs (its text, or its place where another page has
    a header); one that does not is content. At the top of the first page it is the
    document's heading when it reads like one (short, no closing punctuation), else text.
    Not headers the built-in OCR read: the built-in model's "header" boxes on a page image
    are often a letterhead's logo, whose OCR text ("续" for a crest) is no heading."""
    if len(doc.pages) < 3:
        return {}
    tops = [s for s in _spots(doc, _TEXT_CANDIDATES, need_text=True) if s.band == "top"]
    boxes = [s for s in _spots(doc, FURNITURE_LABELS - {"header_image", "footer_image"}, False)
             if s.band == "top"]
    out: dict[tuple[int, int], str] = {}
    for s in tops:
        text = s.block.block_content.strip()
        key = normalize(text)
        if (s.block.block_label != "header" or s.block.source.startswith("builtin-ocr")
                or not key or _PAGE_NUMBER.match(key)):
            continue
        if any(o.page_pos != s.page_pos and normalize(o.block.block_content) == key for o in tops):
            continue
        if any(o.page_pos != s.page_pos and _same_box(doc, s, o) for o in boxes):
            continue
        first = reading_order(doc.pages[s.page_pos])
        heading = (s.page_pos == 0 and bool(first) and first[0].block_id == s.block.block_id
                   and len(text.split()) <= 12 and not text.endswith((".", ",", ";", ":")))
        out[(s.page_pos, s.block.block_id)] = "paragraph_title" if heading else "text"
    return out


def _lone_furniture(doc: Document) -> dict[tuple[int, int], str]:
    """Header and footer lines of pages that hold nothing but furniture, when their text is
    on no other page (see the module)."""
    texts: dict[str, set[int]] = defaultdict(set)
    for pos, page in enumerate(doc.pages):
        for b in page.parsing_res_list:
            if b.block_content.strip():
                texts[normalize(b.block_content)].add(pos)
    out: dict[tuple[int, int], str] = {}
    for pos, page in enumerate(doc.pages):
        live = [b for b in page.parsing_res_list if b.status not in ("failed", "merged")]
        if any(b.block_label not in FURNITURE_LABELS for b in live):
            continue
        for b in live:
            key = normalize(b.block_content)
            if (b.block_label in ("header", "footer") and key and not _PAGE_NUMBER.match(key)
                    and texts[key] == {pos}):
                out[(pos, b.block_id)] = "text"
    return out


def _like_known_furniture(doc: Document) -> dict[tuple[int, int], str]:
    """Margin text at the very box where another page has a block labelled as furniture."""
    known = list(_spots(doc, FURNITURE_LABELS - {"header_image", "footer_image"}, False))
    out: dict[tuple[int, int], str] = {}
    for s in _spots(doc, _TEXT_CANDIDATES - FURNITURE_LABELS, need_text=True):
        twins = [
            o
            for o in known
            if o.page_pos != s.page_pos and o.band == s.band and _same_box(doc, s, o)
        ]
        # A title needs two other pages: a heading can share a footer's box by chance.
        need = 2 if s.block.block_label in _TITLE_LABELS else 1
        if len({o.page_pos for o in twins}) < need:
            continue
        if _PAGE_NUMBER.match(normalize(s.block.block_content)):
            out[(s.page_pos, s.block.block_id)] = "number"
        else:
            labels = [o.block.block_label for o in twins]
            out[(s.page_pos, s.block.block_id)] = max(sorted(set(labels)), key=labels.count)
    return out


def _repeated_pictures(doc: Document) -> dict[tuple[int, int], str]:
    spots = list(_spots(doc, frozenset({"image", "header_image", "footer_image"}), False))
    out: dict[tuple[int, int], str] = {}
    for s in spots:
        if s.block.block_label != "image":
            continue
        pages = {o.page_pos for o in spots if o.band == s.band and _same_box(doc, s, o)}
        if len(pages) >= 2:
            out[(s.page_pos, s.block.block_id)] = (
                f"{'header' if s.band == 'top' else 'footer'}_image"
            )
    return out


def _same_box(doc: Document, a: _Spot, b: _Spot) -> bool:
    pa, pb = doc.pages[a.page_pos], doc.pages[b.page_pos]
    for i, (ca, cb) in enumerate(zip(a.block.block_bbox, b.block.block_bbox, strict=True)):
        size_a, size_b = (pa.width, pb.width) if i % 2 == 0 else (pa.height, pb.height)
        if abs(ca / max(size_a, 1) - cb / max(size_b, 1)) > BOX_TOLERANCE:
            return False
    return True


def _apply(page: Page, relabel: dict[int, str]) -> Page:
    if not relabel:
        return page
    blocks = [
        b.model_copy(update={"block_label": relabel[b.block_id], "title_level": None})
        if b.block_id in relabel
        else b
        for b in page.parsing_res_list
    ]
    # Furniture has no running index (upstream skips it); the rest close up, keeping their order
    # (a header found to be content joins it).
    renumbered = []
    index = 1
    for b in blocks:
        order = None
        counted = b.block_order is not None or (b.block_id in relabel
                                                and relabel[b.block_id] in ("text", "paragraph_title"))
        if counted and b.block_label not in SKIP_ORDER_LABELS:
            order, index = index, index + 1
        renumbered.append(
            b if b.block_order == order else b.model_copy(update={"block_order": order})
        )
    return page.model_copy(update={"parsing_res_list": tuple(renumbered)})

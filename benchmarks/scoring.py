"""Scoring parsed Markdown against the kinds of ground truth in ``shared/eval-dev``.

Pure functions: text similarity to a reference Markdown, table-cell recall, olmOCR-bench
style facts (table cell relations, absent text) and invoice key fields.
"""

from __future__ import annotations

import difflib
import html
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser

_DOT_LEADER = re.compile(r"(?:\s*\.){3,}")
_TAG = re.compile(r"<[^>]+>")


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", html.unescape(text))
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    text = text.replace("–", "-").replace("—", "-")
    return " ".join(text.lower().split())


def markdown_words(md: str) -> list[str]:
    """The words of a Markdown document, without markup, tags, image refs or dot leaders."""
    md = re.sub(r"<!--.*?-->", " ", md, flags=re.S)
    md = re.sub(r"!\[[^\]]*\]\([^)]*\)", " ", md)
    md = _TAG.sub(" ", md)
    md = _DOT_LEADER.sub(" ", md)
    md = re.sub(r"^\s*\|?\s*(?:-+\s*\|\s*)+-*\s*$", " ", md, flags=re.M)  # table rules
    md = re.sub(r"[#*_`|>$\\]", " ", md)
    return re.findall(r"\w+(?:[.,']\w+)*", normalise(md))


def text_similarity(ours: str, reference: str) -> float:
    """Order-aware similarity of the two word sequences (difflib ratio, 0..1)."""
    a, b = markdown_words(ours), markdown_words(reference)
    if not a and not b:
        return 1.0
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def word_f1(ours: str, reference: str) -> float:
    a, b = Counter(markdown_words(ours)), Counter(markdown_words(reference))
    common = sum((a & b).values())
    if not common:
        return 0.0
    p, r = common / sum(a.values()), common / sum(b.values())
    return 2 * p * r / (p + r)


# ---------------------------------------------------------------- tables


@dataclass
class Cell:
    text: str
    row: int
    col: int
    colspan: int = 1
    rowspan: int = 1


class _TableParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[tuple[str, int, int]]]] = []
        self._cell: list[str] | None = None
        self._span = (1, 1)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th") and self.tables:
            if not self.tables[-1]:
                self.tables[-1].append([])
            self._cell = []
            self._span = (int(a.get("colspan") or 1), int(a.get("rowspan") or 1))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self.tables:
            self.tables[-1][-1].append(("".join(self._cell), *self._span))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def html_tables(text: str) -> list[list[Cell]]:
    """Every HTML table in ``text`` as positioned cells (rowspan/colspan expanded to a grid)."""
    p = _TableParser()
    p.feed(text)
    out = []
    for rows in p.tables:
        taken: set[tuple[int, int]] = set()
        cells = []
        for r, row in enumerate(rows):
            c = 0
            for txt, colspan, rowspan in row:
                while (r, c) in taken:
                    c += 1
                cells.append(Cell(normalise(txt), r, c, colspan, rowspan))
                for dr in range(rowspan):
                    for dc in range(colspan):
                        taken.add((r + dr, c + dc))
                c += colspan
        out.append(cells)
    return out


def markdown_tables(md: str) -> list[list[Cell]]:
    """Pipe tables of a Markdown reference (docling's output), as cells."""
    tables: list[list[Cell]] = []
    current: list[Cell] | None = None
    r = 0
    for line in md.splitlines():
        s = line.strip()
        if s.startswith("|") and s.endswith("|"):
            parts = [p.strip() for p in s.strip("|").split("|")]
            if all(re.fullmatch(r"-+|:?-+:?", p or "-") for p in parts):
                continue
            if current is None:
                current, r = [], 0
                tables.append(current)
            current.extend(Cell(normalise(p), r, c) for c, p in enumerate(parts))
            r += 1
        else:
            current = None
    return tables


def table_cell_recall(ours: str, reference_md: str) -> float | None:
    """Fraction of the reference's non-empty table cells found among our table cells."""
    ref = [c.text for t in markdown_tables(reference_md) for c in t if c.text]
    if not ref:
        return None
    mine = Counter(c.text for t in html_tables(ours) + markdown_tables(ours) for c in t if c.text)
    hit = 0
    for text in ref:
        if mine[text] > 0:
            mine[text] -= 1
            hit += 1
    return hit / len(ref)


def table_word_recall(ours: str, reference_md: str) -> float | None:
    """Fraction of the words in the reference's table cells found in our table cells: robust to
    how cells are split (docling stacks two values in one cell where others use two rows)."""
    ref = Counter(w for t in markdown_tables(reference_md) for c in t for w in c.text.split())
    if not ref:
        return None
    mine = Counter(w for t in html_tables(ours) + markdown_tables(ours) for c in t
                   for w in c.text.split())
    return sum((ref & mine).values()) / sum(ref.values())


# ---------------------------------------------------------------- olmOCR-bench facts


def _matches(cell: Cell, text: str) -> bool:
    return cell.text == normalise(text)


def _column_overlap(a: Cell, b: Cell) -> bool:
    return a.col < b.col + b.colspan and b.col < a.col + a.colspan


def check_table_fact(fact: dict[str, str], md: str) -> bool:
    """An olmOCR-bench ``table`` test: the cell exists and its stated neighbours hold."""
    for cells in html_tables(md) + markdown_tables(md):
        for cell in (c for c in cells if _matches(c, fact["cell"])):
            ok = True
            if "up" in fact:
                ok &= any(_matches(o, fact["up"]) and o.row + o.rowspan == cell.row
                          and _column_overlap(o, cell) for o in cells)
            if "down" in fact:
                ok &= any(_matches(o, fact["down"]) and o.row == cell.row + cell.rowspan
                          and _column_overlap(o, cell) for o in cells)
            if "left" in fact:
                ok &= any(_matches(o, fact["left"]) and o.col + o.colspan == cell.col
                          and o.row == cell.row for o in cells)
            if "right" in fact:
                ok &= any(_matches(o, fact["right"]) and o.col == cell.col + cell.colspan
                          and o.row == cell.row for o in cells)
            if "top_heading" in fact:
                ok &= any(_matches(o, fact["top_heading"]) and o.row < cell.row
                          and _column_overlap(o, cell) for o in cells)
            if "left_heading" in fact:
                ok &= any(_matches(o, fact["left_heading"]) and o.col < cell.col
                          and o.row <= cell.row < o.row + o.rowspan for o in cells)
            if ok:
                return True
    return False


def check_absent(fact: dict[str, str], md: str) -> bool:
    """An olmOCR-bench ``absent`` test: the text does not stand on its own in the output."""
    needle = re.escape(normalise(fact["text"]))
    return re.search(rf"(?<![\w.,]){needle}(?![\w]|[.,]\w)", normalise(_TAG.sub(" ", md))) is None


def check_fact(fact: dict[str, str], md: str) -> bool:
    kind = fact.get("type")
    if kind == "table":
        return check_table_fact(fact, md)
    if kind == "absent":
        return check_absent(fact, md)
    if kind == "present":
        return normalise(fact["text"]) in normalise(_TAG.sub(" ", md))
    raise ValueError(f"unknown fact type {kind!r}")


# ---------------------------------------------------------------- invoice fields

_MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august",
           "september", "october", "november", "december"]


def _date_variants(iso: str) -> list[str]:
    y, m, d = (int(x) for x in iso.split("-"))
    month = _MONTHS[m - 1]
    return [iso, f"{month} {d}, {y}", f"{month} {d} , {y}", f"{d} {month} {y}", f"{m}/{d}/{y}",
            f"{d:02d}/{m:02d}/{y}", f"{d}.{m}.{y}"]


def invoice_fields(expected: dict[str, object], md: str) -> dict[str, bool]:
    """Which key fields of an invoice2data expectation appear in the output text."""
    text = normalise(_TAG.sub(" ", md))
    squashed = text.replace(" ,", ",")
    found: dict[str, bool] = {}
    for key in ("issuer", "invoice_number", "partner_name", "partner_website"):
        if key in expected:
            found[key] = normalise(str(expected[key])) in text
    if "date" in expected:
        found["date"] = any(v in squashed for v in _date_variants(str(expected["date"])))
    if "amount" in expected:
        found["amount"] = f"{float(str(expected['amount'])):.2f}" in text
    for i, line in enumerate(expected.get("lines", []) or []):  # type: ignore[union-attr]
        assert isinstance(line, dict)
        found[f"line{i + 1}.name"] = normalise(str(line["name"])) in text
        found[f"line{i + 1}.price"] = str(line["price_unit"]) in text
    return found


def mean(values: Iterable[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return sum(vals) / len(vals) if vals else None


def fraction(flags: Sequence[bool]) -> str:
    return f"{sum(flags)}/{len(flags)}"

"""Multi-page born-digital test documents for the document-level passes, drawn with pymupdf.

Two reports with running headers, footers and page numbers on every page:

* :func:`build_report_pdf` (4 pages): a title, numbered headings of three levels, a ruled table
  that starts on page 1 (a footnote under it, above the page break), fills page 2 and ends on
  page 3, each continuation repeating the header row; then a paragraph cut by the break
  between pages 3 and 4 in mid-sentence.
* :func:`build_unrelated_tables_pdf` (2 pages): page 1 ends with one table, page 2 starts with
  another of the same width and column count but its own header: they must stay two tables.

Deterministic (fixed fonts, no timestamps), so the same bytes come out every run. The module
exports the content it draws, so tests compare against what is on the page.
"""

# pymupdf ships without complete type hints.
# mypy: disallow-untyped-calls=False

from __future__ import annotations

from collections.abc import Sequence

import pymupdf

WIDTH, HEIGHT = 612.0, 792.0
LEFT, RIGHT = 72.0, 540.0
BODY_TOP, BODY_BOTTOM = 80.0, 728.0
BODY_FONT, BODY_SIZE = "tiro", 10.5
LINE = 13.5

REPORT_TITLE = "Regional Water Monitoring Programme: Annual Report 2024"
RUNNING_HEADER = "Regional Water Monitoring Programme - Annual Report 2024"
RUNNING_FOOTER = "Riverside Environmental Agency"

#: Numbered headings of the report in reading order, with their expected level.
HEADINGS: tuple[tuple[str, int], ...] = (
    ("1 Monitoring Network", 1),
    ("1.1 Station Equipment", 2),
    ("1.1.1 Annual Means", 3),
    ("2 Results", 1),
    ("2.1 Seasonal Variation", 2),
)

INTRO = (
    "The monitoring programme measures the chemical and biological state of the rivers in the "
    "region throughout the year. Samples are taken by field teams and analysed by an accredited "
    "laboratory within forty-eight hours of collection. This report summarises the results of "
    "the 2024 campaign and compares them with the long-term averages of the network."
)
STATIONS = (
    "The network consists of forty sampling stations placed along the main rivers and their "
    "larger tributaries. Stations are chosen so that every reach between two major inflows is "
    "covered, and each station is visited at least once a month, more often in spring when "
    "the discharge changes quickly."
)
EQUIPMENT = (
    "Every station carries an automatic sampler, a multi-parameter probe for temperature, "
    "conductivity and dissolved oxygen, and a data logger that transmits hourly readings. "
    "The probes are calibrated in the laboratory every six weeks."
)
TABLE_INTRO = (
    "Table 1 lists the annual mean values recorded at each station. Nitrate and phosphate are "
    "given as concentrations; the ecological class follows the national assessment scheme."
)
FOOTNOTE = "* Annual means of monthly samples; stations marked with a dagger were moved in 2023."
RESULTS = (
    "Across the network the mean nitrate concentration fell slightly compared with the previous "
    "year, while phosphate remained stable. The largest improvements were recorded downstream "
    "of the two treatment plants that were upgraded during the spring."
)
#: The paragraph cut by the page break between pages 3 and 4, in mid-sentence.
SPLIT_FIRST = (
    "Seasonal patterns were similar to earlier years. Water temperature peaked in late July, "
    "and dissolved oxygen reached its lowest values during the same weeks, in particular at "
    "the slow-flowing lowland stations where the summer discharge is small and the water is "
    "warmed by the long hours of sunshine. The effect was strongest in the reaches below the "
    "weirs, where the water stands almost still for several weeks and the oxygen demand of the"
)
SPLIT_SECOND = (
    "decaying plant material on the river bed is highest. Oxygen levels recovered within a few "
    "days after the first autumn storms, which raised the discharge at every station."
)
CLOSING = (
    "The field teams will continue the monthly sampling in 2025, and two new stations on the "
    "upper tributaries will be added to the network in the spring."
)

TABLE_HEADER: tuple[str, ...] = ("Station", "River", "Nitrate (mg/l)", "Phosphate (mg/l)", "Class")
_RIVERS = ("Avon", "Teme", "Wye", "Lugg", "Severn", "Arrow", "Frome", "Leadon")
_CLASSES = ("Good", "Moderate", "High", "Good", "Poor")
_STATION_NAMES = (
    "Abbey Bridge", "Ashford Mill", "Barton Weir", "Bishops Ford", "Bradley Lock", "Brook End",
    "Castle Meadow", "Church Ferry", "Clifton Reach", "Coombe Farm", "Cross Keys", "Dean Gauge",
    "Dunmore Pool", "Eastwood", "Elm Crossing", "Fernhill", "Foxley Sluice", "Glen Bridge",
    "Green Lane", "Hale Meadows", "Hartley Mill", "Holme Weir", "Kingsbridge", "Langford",
    "Lower Hope", "Marsh Gate", "Mill Stream", "Newbury Cut", "Oakley Ford", "Old Quay",
    "Pendle Weir", "Priory Lock", "Queensferry", "Redbank", "Ridge Ford", "Sandy Lane",
    "Stoke Mill", "Tanners Wharf", "Upton Bridge", "Westmead",
)  # fmt: skip


def _row(i: int) -> tuple[str, ...]:
    nitrate = 8.0 + ((i * 37) % 170) / 10
    phosphate = 0.05 + ((i * 53) % 90) / 100
    return (
        _STATION_NAMES[i],
        _RIVERS[i % len(_RIVERS)],
        f"{nitrate:.1f}",
        f"{phosphate:.2f}",
        _CLASSES[i % len(_CLASSES)],
    )


#: Data rows of the three-page table: on page 1, page 2 and page 3.
TABLE_ROWS: tuple[tuple[str, ...], ...] = tuple(_row(i) for i in range(40))
ROWS_PER_PAGE = (9, 27, 4)

UNRELATED_A_HEADER: tuple[str, ...] = ("Parameter", "Method", "Detection limit", "Unit")
UNRELATED_A_ROWS: tuple[tuple[str, ...], ...] = (
    ("Nitrate", "Ion chromatography", "0.10", "mg/l"),
    ("Phosphate", "Molybdate blue", "0.01", "mg/l"),
    ("Ammonium", "Indophenol blue", "0.02", "mg/l"),
    ("Dissolved oxygen", "Optical probe", "0.20", "mg/l"),
    ("Conductivity", "Four-electrode cell", "1.00", "uS/cm"),
    ("Turbidity", "Nephelometry", "0.50", "NTU"),
)
UNRELATED_B_HEADER: tuple[str, ...] = ("Team", "Region", "Visits", "Samples")
UNRELATED_B_ROWS: tuple[tuple[str, ...], ...] = (
    ("North", "Upper valley", "124", "496"),
    ("South", "Estuary", "118", "472"),
    ("East", "Industrial zone", "131", "524"),
    ("West", "Forest reaches", "97", "388"),
    ("Central", "City centre", "140", "560"),
)

_COLUMN_WIDTHS = (130.0, 78.0, 96.0, 108.0, 56.0)
_ROW_H = 19.0


def _furniture(page: pymupdf.Page, number: int, count: int) -> None:
    grey = (0.35, 0.35, 0.35)
    page.insert_text((LEFT, 42), RUNNING_HEADER, fontsize=8, fontname="helv", color=grey)
    page.draw_line((LEFT, 50), (RIGHT, 50), color=grey, width=0.5)
    page.draw_line((LEFT, 742), (RIGHT, 742), color=grey, width=0.5)
    page.insert_text((LEFT, 756), RUNNING_FOOTER, fontsize=8, fontname="helv", color=grey)
    label = f"Page {number} of {count}"
    x = RIGHT - pymupdf.get_text_length(label, fontname="helv", fontsize=8)
    page.insert_text((x, 756), label, fontsize=8, fontname="helv", color=grey)


def _heading(page: pymupdf.Page, y: float, text: str, level: int) -> float:
    size = {1: 15.0, 2: 12.5, 3: 11.0}[level]
    page.insert_text((LEFT, y + size), text, fontsize=size, fontname="hebo")
    return y + size + 10


def _paragraph(page: pymupdf.Page, y: float, text: str, *, size: float = BODY_SIZE) -> float:
    """Draw justified ``text`` from ``y``; returns the y below it."""
    lines = _wrap(text, size)
    rect = pymupdf.Rect(LEFT, y, RIGHT, y + len(lines) * LINE * size / BODY_SIZE + 6)
    left = page.insert_textbox(
        rect, text, fontsize=size, fontname=BODY_FONT, align=pymupdf.TEXT_ALIGN_JUSTIFY
    )
    if left < 0:
        raise ValueError(f"paragraph does not fit its box: {text[:40]!r}")
    return rect.y1 + 8


def _wrap(text: str, size: float) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        trial = f"{current} {word}".strip()
        if pymupdf.get_text_length(trial, fontname=BODY_FONT, fontsize=size) > RIGHT - LEFT:
            lines.append(current)
            current = word
        else:
            current = trial
    return [*lines, current] if current else lines


def _table(
    page: pymupdf.Page,
    y0: float,
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    widths: Sequence[float] = _COLUMN_WIDTHS,
) -> float:
    """A fully ruled table with a bold, shaded header row; returns its bottom edge."""
    x0 = LEFT
    total = sum(widths)
    n = len(rows) + 1
    page.draw_rect(
        pymupdf.Rect(x0, y0, x0 + total, y0 + _ROW_H), color=None, fill=(0.88, 0.9, 0.93)
    )
    for r in range(n + 1):
        page.draw_line((x0, y0 + r * _ROW_H), (x0 + total, y0 + r * _ROW_H), width=0.6)
    x = x0
    for w in (0.0, *widths):
        x += w
        page.draw_line((x, y0), (x, y0 + n * _ROW_H), width=0.6)
    for r, cells in enumerate((header, *rows)):
        x = x0
        for w, cell in zip(widths, cells, strict=True):
            font = "hebo" if r == 0 else "helv"
            page.insert_text((x + 5, y0 + r * _ROW_H + 13), cell, fontsize=9, fontname=font)
            x += w
    return y0 + n * _ROW_H


def _new_pages(doc: pymupdf.Document, n: int) -> list[pymupdf.Page]:
    for _ in range(n):
        doc.new_page(width=WIDTH, height=HEIGHT)
    # Loaded afresh: page objects returned by new_page lose their document once another is added.
    return [doc[i] for i in range(n)]


def _finish(doc: pymupdf.Document, title: str) -> bytes:
    meta = {"title": title, "creationDate": "", "modDate": "", "producer": "docparse tests"}
    doc.set_metadata(meta)
    data: bytes = doc.tobytes(garbage=4, deflate=True, no_new_id=True)
    doc.close()
    return data


def build_report_pdf() -> bytes:
    """The four-page report (see the module docstring) as PDF bytes."""
    doc = pymupdf.open()
    pages = _new_pages(doc, 4)
    for n, page in enumerate(pages, start=1):
        _furniture(page, n, len(pages))
    a, b, c = ROWS_PER_PAGE
    # Page 1: title, three heading levels, then the table's start and its footnote.
    p = pages[0]
    left = p.insert_textbox(
        pymupdf.Rect(LEFT + 20, 66, RIGHT - 20, 136),
        REPORT_TITLE,
        fontsize=22,
        fontname="hebo",
        align=pymupdf.TEXT_ALIGN_CENTER,
    )
    if left < 0:
        raise ValueError("the title does not fit its box")
    y = _paragraph(p, 140.0, INTRO)
    for (text, level), body in zip(HEADINGS[:3], (STATIONS, EQUIPMENT, TABLE_INTRO), strict=True):
        y = _heading(p, y + 6, text, level)
        y = _paragraph(p, y, body)
    y = _table(p, y + 6, TABLE_HEADER, TABLE_ROWS[:a])
    p.insert_text((LEFT, y + 16), FOOTNOTE, fontsize=7.5, fontname="tiit")
    if y + 16 > BODY_BOTTOM:
        raise ValueError("page 1 overflows")
    # Page 2: nothing but the table's middle, under its repeated header row.
    _table(pages[1], BODY_TOP, TABLE_HEADER, TABLE_ROWS[a : a + b])
    # Page 3: the table's end, the results section, the first half of the split paragraph.
    p = pages[2]
    y = _table(p, BODY_TOP, TABLE_HEADER, TABLE_ROWS[a + b : a + b + c]) + 24
    y = _heading(p, y, *HEADINGS[3])
    y = _paragraph(p, y, RESULTS)
    y = _heading(p, y + 6, *HEADINGS[4])
    # Pushed down so the paragraph ends at the foot of the page, as a page break cuts it.
    lines = len(_wrap(SPLIT_FIRST, BODY_SIZE))
    y = max(y, BODY_BOTTOM - lines * LINE - 6)
    y = _paragraph(p, y, SPLIT_FIRST)
    # Page 4: the rest of the sentence, then a closing paragraph.
    p = pages[3]
    y = _paragraph(p, BODY_TOP, SPLIT_SECOND)
    _paragraph(p, y + 4, CLOSING)
    return _finish(doc, REPORT_TITLE)


def build_unrelated_tables_pdf() -> bytes:
    """Two pages: the first ends with one table, the second starts with a different one."""
    doc = pymupdf.open()
    pages = _new_pages(doc, 2)
    for n, page in enumerate(pages, start=1):
        _furniture(page, n, len(pages))
    widths = (130.0, 150.0, 96.0, 92.0)
    p = pages[0]
    y = _heading(p, BODY_TOP, "3 Laboratory Methods", 1)
    y = _paragraph(p, y, INTRO)
    y = _paragraph(p, y, STATIONS)
    y = _paragraph(p, y, RESULTS)
    y = _paragraph(p, y, EQUIPMENT)
    y = _paragraph(p, y, TABLE_INTRO)
    # The first table ends the page (pushed to the bottom margin, as a typesetter would).
    height = (len(UNRELATED_A_ROWS) + 1) * _ROW_H
    _table(p, max(y, BODY_BOTTOM - height), UNRELATED_A_HEADER, UNRELATED_A_ROWS, widths)
    p = pages[1]
    y = _table(p, BODY_TOP, UNRELATED_B_HEADER, UNRELATED_B_ROWS, widths) + 24
    y = _heading(p, y, "4 Field Teams", 1)
    y = _paragraph(p, y, CLOSING)
    _paragraph(p, y, RESULTS)
    return _finish(doc, "Laboratory Methods")

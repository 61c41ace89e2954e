"""Make the sample documents docparse's README and tests use, with known content.

    python samples/make_samples.py          # writes samples/*.pdf, samples/scan.png, expected.json

Deterministic: the same files every run (fixed fonts, no timestamps in the PDFs).
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pymupdf
from PIL import Image, ImageDraw, ImageFilter

HERE = Path(__file__).resolve().parent

REPORT_TITLE = "Quarterly Water Quality Report"
REPORT_HEADINGS = ["1 Introduction", "1.1 Sampling Sites", "2 Results", "2.1 Laboratory Methods"]
REPORT_PARAGRAPHS = [
    "This report summarises the water quality measurements collected by the river authority "
    "during the third quarter. Samples were taken every week at four monitoring stations.",
    "The stations cover the upper valley, the industrial zone, the city centre and the estuary. "
    "Each station records temperature, acidity and dissolved oxygen.",
    "Dissolved oxygen stayed above the legal minimum at every station. The estuary showed the "
    "highest salinity, as expected from tidal mixing near the coast.",
    "All samples were analysed within two days by an accredited laboratory using standard "
    "methods for nitrate, phosphate and heavy metals.",
]
REPORT_TABLE = [
    ["Station", "Temperature", "Acidity", "Oxygen"],
    ["Upper valley", "14.2", "7.1", "9.8"],
    ["Industrial zone", "16.8", "6.7", "7.4"],
    ["City centre", "17.5", "6.9", "8.1"],
    ["Estuary", "18.1", "7.8", "8.9"],
]
REPORT_FORMULA = "E = m c^2"
REPORT_CAPTION = "Figure 1. Oxygen levels per station"

INVOICE_LINES = [
    ["Description", "Quantity", "Unit price", "Amount"],
    ["Water testing kit", "2", "45.00", "90.00"],
    ["Laboratory analysis", "4", "120.00", "480.00"],
    ["Field visit", "1", "250.00", "250.00"],
]
INVOICE_FIELDS = {
    "number": "INV-2024-0117",
    "date": "2024-03-15",
    "total": "820.00",
    "vendor": "Riverside Analytics Ltd",
    "customer": "Northern River Authority",
}


def _bar_chart_png() -> bytes:
    img = Image.new("RGB", (480, 300), "white")
    d = ImageDraw.Draw(img)
    d.line((40, 260, 460, 260), fill="black", width=2)
    d.line((40, 20, 40, 260), fill="black", width=2)
    for i, (h, colour) in enumerate([(180, "#2a6f97"), (120, "#e07a5f"), (150, "#81b29a"), (200, "#f2cc8f")]):
        x = 70 + i * 100
        d.rectangle((x, 260 - h, x + 60, 260), fill=colour, outline="black")
    for i in range(5):
        d.ellipse((300 + i * 25, 40 + i * 10, 320 + i * 25, 60 + i * 10), fill="#3d405b")
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def _table(page: pymupdf.Page, rows: list[list[str]], x0: float, y0: float, widths: list[float],
           row_h: float = 22, size: float = 10) -> float:
    y = y0
    total = sum(widths)
    for r, row in enumerate(rows):
        page.draw_line((x0, y), (x0 + total, y), width=0.8)
        x = x0
        for c, cell in enumerate(row):
            font = "hebo" if r == 0 else "helv"
            page.insert_text((x + 5, y + row_h - 7), cell, fontsize=size, fontname=font)
            x += widths[c]
        y += row_h
    page.draw_line((x0, y), (x0 + total, y), width=0.8)
    x = x0
    for w in [0.0, *widths]:
        x += w
        page.draw_line((x, y0), (x, y), width=0.8)
    return y


def _furniture(page: pymupdf.Page, number: int) -> None:
    page.insert_text((72, 40), "River Authority - Q3 Water Quality", fontsize=8, fontname="helv")
    page.insert_text((300, 810), f"Page {number}", fontsize=8, fontname="helv")


def make_report(path: Path) -> None:
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    _furniture(page, 1)
    page.insert_textbox((72, 70, 523, 110), REPORT_TITLE, fontsize=22, fontname="hebo", align=1)
    y = 130.0
    for heading, para in zip(REPORT_HEADINGS[:2], REPORT_PARAGRAPHS[:2], strict=True):
        page.insert_text((72, y), heading, fontsize=14, fontname="hebo")
        y += 12
        page.insert_textbox((72, y, 523, y + 70), para, fontsize=11, fontname="helv")
        y += 80
    page.insert_text((72, y), "Table 1. Mean values per station", fontsize=10, fontname="helv")
    y = _table(page, REPORT_TABLE, 72, y + 10, [150, 100, 90, 90]) + 30
    page.insert_textbox((200, y, 400, y + 30), REPORT_FORMULA, fontsize=16, fontname="tiit", align=1)
    page2 = doc.new_page(width=595, height=842)
    _furniture(page2, 2)
    y = 80.0
    for heading, para in zip(REPORT_HEADINGS[2:], REPORT_PARAGRAPHS[2:], strict=True):
        page2.insert_text((72, y), heading, fontsize=14, fontname="hebo")
        y += 12
        page2.insert_textbox((72, y, 523, y + 70), para, fontsize=11, fontname="helv")
        y += 80
    page2.insert_image(pymupdf.Rect(130, y, 466, y + 210), stream=_bar_chart_png())
    page2.insert_textbox((72, y + 220, 523, y + 240), REPORT_CAPTION, fontsize=10, fontname="helv", align=1)
    doc.set_metadata({"title": REPORT_TITLE, "creationDate": "", "modDate": "", "producer": "docparse samples"})
    doc.save(path, garbage=4, deflate=True, no_new_id=True)


def make_invoice(path: Path) -> None:
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    page.insert_text((72, 80), "INVOICE", fontsize=26, fontname="hebo")
    page.insert_text((72, 110), INVOICE_FIELDS["vendor"], fontsize=12, fontname="hebo")
    page.insert_text((72, 126), "12 Mill Lane, Riverside", fontsize=10, fontname="helv")
    page.insert_text((360, 80), f"Invoice number: {INVOICE_FIELDS['number']}", fontsize=10, fontname="helv")
    page.insert_text((360, 96), f"Date: {INVOICE_FIELDS['date']}", fontsize=10, fontname="helv")
    page.insert_text((72, 170), "Bill to:", fontsize=10, fontname="hebo")
    page.insert_text((72, 186), INVOICE_FIELDS["customer"], fontsize=10, fontname="helv")
    y = _table(page, INVOICE_LINES, 72, 220, [190, 80, 90, 90])
    page.insert_text((352, y + 30), f"Total due: {INVOICE_FIELDS['total']} EUR", fontsize=12, fontname="hebo")
    page.insert_textbox((72, y + 70, 523, y + 110), "Payment is due within thirty days. Thank you for "
                        "your business.", fontsize=10, fontname="helv")
    doc.set_metadata({"title": "Invoice", "creationDate": "", "modDate": "", "producer": "docparse samples"})
    doc.save(path, garbage=4, deflate=True, no_new_id=True)


def make_scan(path: Path, report: Path) -> None:
    """A scanned-looking page: the report's first page rasterised, greyed, blurred, noisy."""
    import random

    with pymupdf.open(report) as doc:
        pix = doc[0].get_pixmap(dpi=150)
    img = Image.frombytes("RGB", (pix.width, pix.height), pix.samples).convert("L")
    img = img.rotate(0.6, resample=Image.Resampling.BICUBIC, fillcolor=255, expand=False)
    img = img.filter(ImageFilter.GaussianBlur(0.6))
    rng = random.Random(7)
    px = img.load()
    assert px is not None
    for _ in range(img.width * img.height // 60):
        x, y = rng.randrange(img.width), rng.randrange(img.height)
        px[x, y] = rng.choice((90, 150, 200))
    img.convert("RGB").save(path, format="PNG", optimize=True)


def main(out: Path = HERE) -> int:
    out.mkdir(parents=True, exist_ok=True)
    make_report(out / "report.pdf")
    make_invoice(out / "invoice.pdf")
    make_scan(out / "scan.png", out / "report.pdf")
    expected = {
        "report.pdf": {
            "title": REPORT_TITLE,
            "headings": REPORT_HEADINGS,
            "paragraphs": REPORT_PARAGRAPHS,
            "table": REPORT_TABLE,
            "formula": REPORT_FORMULA,
            "caption": REPORT_CAPTION,
        },
        "invoice.pdf": {"fields": INVOICE_FIELDS, "table": INVOICE_LINES},
        "scan.png": {"title": REPORT_TITLE, "paragraphs": REPORT_PARAGRAPHS[:2]},
    }
    (out / "expected.json").write_text(json.dumps(expected, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE))

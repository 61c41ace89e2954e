"""A born-digital test page drawn with pymupdf: header, title, two text columns, a ruled
table, a raster figure with caption, footer. Shared by the built-in layout tests."""

# pymupdf ships without complete type hints.
# mypy: disallow-untyped-calls=False

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pymupdf

WIDTH, HEIGHT = 612.0, 792.0
LEFT = pymupdf.Rect(60, 160, 296, 740)
RIGHT = pymupdf.Rect(316, 160, 552, 740)

_WORDS = (
    "layout analysis splits a page into regions such as paragraphs titles tables and figures "
    "so that each region can be recognised on its own and the results can be put back together "
    "in the order a person would read them from top to bottom and column by column"
).split()


def _paragraph(seed: int, n_words: int) -> str:
    return " ".join(_WORDS[(seed + i * 7) % len(_WORDS)] for i in range(n_words)).capitalize() + "."


def _figure_pixmap() -> pymupdf.Pixmap:
    yy, xx = np.mgrid[0:200, 0:300]
    rgb = np.stack([(xx * 255 // 300), (yy * 255 // 200), ((xx + yy) % 64) * 4], axis=2).astype(
        np.uint8
    )
    rgb[60:140, 100:200] = (200, 30, 30)
    return pymupdf.Pixmap(pymupdf.csRGB, 300, 200, rgb.tobytes(), False)


def build_pdf() -> bytes:
    """The test page as PDF bytes."""
    doc = pymupdf.open()
    page = doc.new_page(width=WIDTH, height=HEIGHT)
    page.insert_text((60, 40), "Journal of Synthetic Layouts, Vol. 3", fontsize=8)
    page.insert_text((520, 40), "Page 17", fontsize=8)
    page.insert_textbox(
        pymupdf.Rect(60, 70, 552, 130),
        "Reading Order for Small Layout Models",
        fontsize=24,
        fontname="hebo",
        align=pymupdf.TEXT_ALIGN_CENTER,
    )
    # Left column: three paragraphs.
    y = LEFT.y0
    for i in range(3):
        if i == 1:
            page.insert_text((LEFT.x0, y + 4), "2 Related Work", fontsize=12, fontname="hebo")
            y += 20
        rect = pymupdf.Rect(LEFT.x0, y, LEFT.x1, y + 150)
        page.insert_textbox(rect, f"LEFT{i + 1} " + _paragraph(i * 5, 90), fontsize=9.5)
        y += 170
    # Right column: a paragraph, a ruled table, a figure with caption, a paragraph.
    page.insert_textbox(
        pymupdf.Rect(RIGHT.x0, 160, RIGHT.x1, 260), "RIGHT1 " + _paragraph(3, 60), fontsize=9.5
    )
    rows, cols = 6, 4
    x0, y0, cw, rh = RIGHT.x0 + 10, 280.0, 54.0, 18.0
    for r in range(rows + 1):
        page.draw_line((x0, y0 + r * rh), (x0 + cols * cw, y0 + r * rh))
    for c in range(cols + 1):
        page.draw_line((x0 + c * cw, y0), (x0 + c * cw, y0 + rows * rh))
    for r in range(rows):
        for c in range(cols):
            text = (
                ["Model", "Params", "Score", "Time"][c]
                if r == 0
                else f"{(r * 13 + c * 7) % 97}.{c}"
            )
            page.insert_text((x0 + c * cw + 4, y0 + r * rh + 13), text, fontsize=9)
    page.insert_image(pymupdf.Rect(RIGHT.x0 + 20, 420, RIGHT.x1 - 20, 560), pixmap=_figure_pixmap())
    page.insert_textbox(
        pymupdf.Rect(RIGHT.x0, 566, RIGHT.x1, 590),
        "Figure 1. A drawn picture used as a figure.",
        fontsize=8,
    )
    page.insert_textbox(
        pymupdf.Rect(RIGHT.x0, 600, RIGHT.x1, 740), "RIGHT2 " + _paragraph(11, 80), fontsize=9.5
    )
    page.insert_text((60, 770), "Preprint. Do not distribute.", fontsize=8)
    data: bytes = doc.tobytes()
    doc.close()
    return data


def render(pdf: bytes, dpi: int = 144, page_no: int = 0) -> npt.NDArray[np.uint8]:
    """Page ``page_no`` of ``pdf`` as an RGB array."""
    with pymupdf.open(stream=pdf, filetype="pdf") as doc:
        pix = doc[page_no].get_pixmap(dpi=dpi, alpha=False)
        pixels = np.frombuffer(pix.samples, np.uint8).reshape(pix.h, pix.w, pix.n)
        return np.ascontiguousarray(pixels[:, :, :3])

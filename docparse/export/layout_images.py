"""``img``: each page with numbered, labelled boxes (the official ``save_to_img``)."""

from __future__ import annotations

import colorsys
import hashlib
import io

from docparse.document import Document, Page
from docparse.export.naming import stem_of
from docparse.formats import ExportFiles, ExportRequest


def label_colour(label: str) -> tuple[int, int, int]:
    """A stable colour per label (the same in every format that draws boxes)."""
    h = int(hashlib.md5(label.encode()).hexdigest()[:4], 16) / 0xFFFF
    r, g, b = colorsys.hsv_to_rgb(h, 0.85, 0.85)
    return int(r * 255), int(g * 255), int(b * 255)


def draw_page(page: Page, background: bytes | None = None) -> bytes:
    """PNG bytes of the page (or a white canvas) with every block's box, order and label."""
    from PIL import Image, ImageDraw, ImageFont

    if background is not None:
        img = Image.open(io.BytesIO(background)).convert("RGB").resize((page.width, page.height))
    else:
        img = Image.new("RGB", (page.width, page.height), "white")
    draw = ImageDraw.Draw(img, "RGBA")
    font = ImageFont.load_default(size=max(12, page.height // 90))
    for b in page.parsing_res_list:
        x1, y1, x2, y2 = b.block_bbox
        colour = label_colour(b.block_label)
        draw.rectangle((x1, y1, x2, y2), outline=colour, width=3, fill=(*colour, 30))
        tag = f"{b.order + 1} {b.block_label}" + ("" if b.status == "ok" else f" [{b.status}]")
        tw = draw.textlength(tag, font=font)
        th = font.size + 4  # type: ignore[union-attr]
        draw.rectangle((x1, max(0, y1 - th), x1 + tw + 6, max(th, y1)), fill=colour)
        draw.text((x1 + 3, max(0, y1 - th) + 1), tag, fill="white", font=font)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


class LayoutImagesExporter:
    """``<stem>_<page_index>_layout_det_res.png`` per page (official naming). The pages come
    from ``request.pages`` or the document's origin; never a blank page drawn silently."""

    name = "img"
    subdir = "layout"

    def render(self, document: Document, request: ExportRequest) -> ExportFiles:
        from docparse.export.pages import origin_pages

        stem = stem_of(document, request.stem)
        pages = request.pages or origin_pages(document)
        files: dict[str, bytes] = {}
        for page in document.pages:
            name = f"{stem}_layout_det_res.png" if page.page_index is None else (
                f"{stem}_{page.page_index}_layout_det_res.png")
            files[name] = draw_page(page, pages(page))
        return ExportFiles(files)

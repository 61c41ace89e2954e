"""Layout pictures: each page with numbered, labelled boxes (``save_to_img``)."""

from __future__ import annotations

import colorsys
import hashlib
import io
from pathlib import Path

from docparse.document import Document, Page
from docparse.errors import OutputError
from docparse.output.atomic import write_bytes


def _colour(label: str) -> tuple[int, int, int]:
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
        colour = _colour(b.block_label)
        draw.rectangle((x1, y1, x2, y2), outline=colour, width=3, fill=(*colour, 30))
        tag = f"{b.order + 1} {b.block_label}" + ("" if b.status == "ok" else f" [{b.status}]")
        tw = draw.textlength(tag, font=font)
        th = font.size + 4  # type: ignore[union-attr]
        draw.rectangle((x1, max(0, y1 - th), x1 + tw + 6, max(th, y1)), fill=colour)
        draw.text((x1 + 3, max(0, y1 - th) + 1), tag, fill="white", font=font)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def _render_backgrounds(doc: Document) -> dict[int | None, bytes]:
    """Re-render the source pages at the parsed size, when the input file is still there."""
    from docparse.errors import InputError
    from docparse.sources.opener import open_source

    out: dict[int | None, bytes] = {}
    path = Path(doc.input_path)
    if not path.is_file():
        return out
    try:
        src = open_source(path)
    except InputError:
        return out
    try:
        from PIL import Image

        for page in doc.pages:
            idx = 0 if page.page_index is None else page.page_index
            # Render at a dpi that reproduces the parsed pixel width.
            probe = src.render(idx, dpi=72, with_text_layer=False)
            dpi = max(1, round(72 * page.width / max(1, probe.width)))
            pix = src.render(idx, dpi=dpi, with_text_layer=False).image
            buf = io.BytesIO()
            Image.fromarray(pix).save(buf, format="PNG")
            out[page.page_index] = buf.getvalue()
    finally:
        src.close()
    return out


def save_layout_images(doc: Document, folder: Path, *, stem: str | None = None) -> list[Path]:
    """Write ``<stem>_<page_index>_layout_det_res.png`` per page (official naming)."""
    from docparse.output.files import default_stem

    if folder.suffix:
        raise OutputError(f"{folder}: save_to_img needs a folder")
    stem = stem or default_stem(doc)
    backgrounds = _render_backgrounds(doc)
    written = []
    for page in doc.pages:
        name = f"{stem}_layout_det_res.png" if page.page_index is None else (
            f"{stem}_{page.page_index}_layout_det_res.png")
        target = folder / name
        write_bytes(target, draw_page(page, backgrounds.get(page.page_index)))
        written.append(target)
    return written

"""Read a PDF page's own text with pymupdf into :class:`TextLayerPage` (page pixels).

Coordinates: pymupdf reports text in the unrotated page space, relative to the crop box;
the renderer draws the rotated page at ``scale``. So every box goes through
``page.rotation_matrix * scale``, which puts it on the rendered pixels (top-left origin).
``TextSpan.size`` is in page pixels too (points times ``scale``).

What the extractor decides, and why:

* ``render_mode`` is the *effective* one: 3 (invisible) for text MuPDF reports as neither
  filled nor stroked (PDF modes 3 and 7), for fully transparent text, and for text painted
  over later by a large opaque raster image (old scans put their OCR text under the page
  image). An image that lets the page show through hides nothing: a soft-masked one, or one
  drawn with a fill opacity below one (a watermark or an "APPROVED" stamp laid over the text
  by a stamping tool, which sets the opacity in the graphics state). Only the parallelogram
  a rotated image covers hides text, not its upright bounding box.
  The rawdict ``char_flags`` carry the fill/stroke bits; ``get_texttrace`` would too, but
  costs a second pass and cannot be matched to rawdict spans reliably.
* Unmapped glyphs (no Unicode, e.g. a font without ToUnicode and with private glyph names)
  come out as U+FFFD because the ``TEXT_CID_FOR_UNKNOWN_UNICODE`` flag is left off: with it
  MuPDF returns raw codes that look like ordinary letters, and rawdict only flags the span.
  Each span counts its U+FFFD and NUL characters in ``unmapped``.
* Ligatures stay single characters (one glyph box); :mod:`block_text` expands them.
* Left out: a tiled text watermark (translucent lines repeated askew across the page) and
  spans whose glyph boxes are absurdly tall for their size (a broken Type3 font, whose
  text is broken too): the blocks they fall in are read as if the layer had no text there.
* ``image_coverage`` is the union of raster-image boxes over the page area, from MuPDF's
  bbox log, which also gives the drawing order the under-image test needs.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from docparse.geometry import Box, area, askew
from docparse.textlayer.font_maps import contradicted, differences, to_unicode
from docparse.textlayer.model import TextChar, TextLayerPage, TextLine, TextSpan

if TYPE_CHECKING:
    import pymupdf

Affine = tuple[float, float, float, float, float, float]

# TEXT_PRESERVE_LIGATURES | TEXT_PRESERVE_WHITESPACE | TEXT_MEDIABOX_CLIP. No image blocks
# (rawdict would copy every image's bytes) and no CID-for-unknown (see module doc).
_TEXT_FLAGS = 1 | 2 | 64
_FILLED, _STROKED = 16, 32  # MuPDF FZ_STEXT_FILLED / FZ_STEXT_STROKED char flags
_UNMAPPED = frozenset("\ufffd\x00")
#: An image at least this fraction of the page hides the text drawn before it.
_COVERING_IMAGE = 0.5
_GRID = 64  # cells per side for the image-coverage union


def extract_page(page: pymupdf.Page, scale: float) -> TextLayerPage:
    """Text of ``page`` as lines, spans and characters in page pixels at ``scale``.

    Args:
        page: a loaded pymupdf page (the caller holds the MuPDF lock).
        scale: render scale (pixels per PDF point) of the page image the boxes must match.

    Example:
        >>> import pymupdf
        >>> doc = pymupdf.open()
        >>> page = doc.new_page(width=200, height=100)
        >>> _ = page.insert_text((10, 50), "Hi", fontsize=12)
        >>> extract_page(page, 2.0).lines[0].spans[0].text
        'Hi'
    """
    mu: Any = page  # pymupdf's own annotations are partial
    _believe_glyph_names(mu)
    raw = _rawdict(mu)
    _name_tex_extension_glyphs(mu, raw)
    log: list[tuple[str, Sequence[float]]] = mu.get_bboxlog()
    m = mu.rotation_matrix
    affine: Affine = (m.a * scale, m.b * scale, m.c * scale, m.d * scale, m.e * scale, m.f * scale)
    width, height = float(raw["width"]), float(raw["height"])
    hidden = _hidden_text_regions(log, width * height, lambda: _image_draws(mu, log))
    raw_lines = [line for block in raw["blocks"] for line in block.get("lines", ())]
    watermark = _tiled_watermark(raw_lines)
    lines: list[TextLine] = []
    for line in raw_lines:
        if id(line) in watermark:
            continue
        converted = _line(line, affine, hidden, scale)
        if converted is not None:
            lines.append(converted)
    rect = mu.rect
    return TextLayerPage(
        width=float(rect.width) * scale,
        height=float(rect.height) * scale,
        lines=tuple(lines),
        image_coverage=image_coverage(
            [bbox for kind, bbox in log if kind == "fill-image"], width, height
        ),
        rules=_rules(log, affine, scale),
        vertical_rules=_rules(log, affine, scale, vertical=True),
        scale=scale,
        small_images=_small_images(log, affine),
        unverified_fonts=_unverified_fonts(mu, {s.font for line in lines for s in line.spans}),
    )


def _believe_glyph_names(page: Any) -> None:
    """Drop, in the open document only (never saved), the ToUnicode map of each simple
    Type1 font of ``page`` that contradicts the glyph names the font draws by
    (:mod:`docparse.textlayer.font_maps`): MuPDF then reads its text from those names. The
    map goes before the first extraction that loads the font; a dropped map stays dropped
    for the document's later pages."""
    import pymupdf

    doc = page.parent
    for xref, _ext, kind, *_ in page.get_fonts(full=True):
        if kind not in ("Type1", "MMType1"):
            continue
        map_kind, map_ref = doc.xref_get_key(xref, "ToUnicode")
        if map_kind != "xref":
            continue
        kind_of, array = doc.xref_get_key(xref, "Encoding/Differences")
        if kind_of != "array":
            continue
        named = {code: chr(u) for code, name in differences(array).items()
                 if (u := pymupdf.mupdf.fz_unicode_from_glyph_name(name))}
        if not named:
            continue
        try:
            mapped = to_unicode(doc.xref_stream(int(map_ref.split()[0])) or b"")
        except (RuntimeError, ValueError):  # a damaged map stream: MuPDF copes or not
            continue
        if contradicted(named, mapped):
            doc.xref_set_key(xref, "ToUnicode", "null")


#: A subset font's tag ("ABCDEF+"), which MuPDF leaves out of span font names.
_SUBSET_TAG = re.compile(r"^[A-Z]{6}\+")
#: MuPDF keeps a font's name in 32 bytes: span font names are the first 31 of /BaseFont.
_FONT_NAME_BYTES = 31


def _unverified_fonts(page: Any, used: set[str]) -> tuple[str, ...]:
    """Names (as spans give them) of the embedded fonts this page writes with that have no
    ToUnicode map: their text comes from their codes' names, unchecked against what they
    draw (:mod:`docparse.textlayer.font_check`). A font not embedded is drawn from its
    names, so it says what it shows; a Type3 font is left to the unmapped-glyph count. Two
    subsets of one font share a span name: the name is unverified when either lacks a map
    (olmOCR's olmo page: the body's subset has none, its sibling for one glyph has one)."""
    if not used:
        return ()
    doc = page.parent
    unmapped: set[str] = set()
    for xref, ext, kind, basefont, *_ in page.get_fonts(full=True):
        if kind == "Type3" or ext == "n/a" or not basefont:
            continue
        name = _SUBSET_TAG.sub("", basefont[:_FONT_NAME_BYTES])
        if name in used and doc.xref_get_key(xref, "ToUnicode")[0] == "null":
            unmapped.add(name)
    return tuple(sorted(unmapped))


#: An image at most this many points tall and wide may stand for a glyph or two.
_SMALL_IMAGE_HEIGHT = 30.0
_SMALL_IMAGE_WIDTH = 120.0
#: Pages drawing more small images than this (icons in a map) keep the first ones only.
_MAX_SMALL_IMAGES = 200


def _small_images(log: Sequence[tuple[str, Sequence[float]]], affine: Affine) -> tuple[Box, ...]:
    out: list[Box] = []
    for kind, bbox in log:
        if kind != "fill-image":
            continue
        x0, y0, x1, y1 = bbox
        if 0 < y1 - y0 <= _SMALL_IMAGE_HEIGHT and 0 < x1 - x0 <= _SMALL_IMAGE_WIDTH:
            out.append(_transform(bbox, affine))
            if len(out) == _MAX_SMALL_IMAGES:
                break
    return tuple(out)


#: A rule is at most this many points thick and at least this many times longer than thick.
_RULE_THICKNESS = 2.0
_RULE_ASPECT = 3.0
#: Pages drawing more rules than this (charts, hatching) keep the first ones only.
_MAX_RULES = 2000


def _rules(log: Sequence[tuple[str, Sequence[float]]], affine: Affine, scale: float, *,
           vertical: bool = False) -> tuple[Box, ...]:
    """Thin horizontal (or ``vertical``) lines and bars drawn on the page, from the bbox log
    the extraction has anyway: formula readers find fraction and radical bars among them, the
    layout's checks the rules of ruled tables."""
    out: list[Box] = []
    for kind, raw in log:
        if not kind.endswith("-path"):
            continue
        box = _transform(raw, affine)
        height, width = box[3] - box[1], box[2] - box[0]
        if vertical:
            height, width = width, height
        if height <= _RULE_THICKNESS * scale and width >= max(_RULE_ASPECT * height, scale):
            out.append(box)
            if len(out) >= _MAX_RULES:
                break
    return tuple(out)


#: TeX's math extension font (cmex10 and its kin) by character code: the big operators and
#: delimiters of displayed formulas. pdfTeX often embeds it without a ToUnicode map, so MuPDF
#: has no Unicode for it; the code is the glyph (the OMX encoding). Pieces of extensible
#: delimiters other than their top are zero-width (dropped by readers of formulas).
_TEX_EXTENSION = re.compile(r"^(?:[A-Z]{6}\+)?(?:cmex|lmex|eusm?ex|msbmex|rm-lmex)", re.IGNORECASE)
_OMX: dict[int, str] = {
    **dict(zip(range(0x00, 0x10), "()[]⌊⌋⌈⌉{}⟨⟩|‖/\\", strict=True)),
    **dict(zip(range(0x10, 0x20), "()()[]⌊⌋⌈⌉{}⟨⟩/\\", strict=True)),
    **dict(zip(range(0x20, 0x30), "()[]⌊⌋⌈⌉{}⟨⟩//\\\\", strict=True)),
    0x30: "(", 0x31: ")", 0x32: "[", 0x33: "]", 0x38: "{", 0x39: "}", 0x44: "⟨", 0x45: "⟩",
    **{c: "\u200b" for c in (0x34, 0x35, 0x36, 0x37, 0x3A, 0x3B, 0x3C, 0x3D, 0x3E, 0x3F,
                             0x40, 0x41, 0x42, 0x43, 0x74, 0x75, 0x76, 0x77)},
    **dict(zip(range(0x46, 0x62), "⨆⨆∮∮⨀⨀⨁⨁⨂⨂∑∏∫⋃⋂⨄⋀⋁∑∏∫⋃⋂⨄⋀⋁∐∐", strict=True)),
    0x68: "[", 0x69: "]", 0x6A: "⌊", 0x6B: "⌋", 0x6C: "⌈", 0x6D: "⌉", 0x6E: "{", 0x6F: "}",
    0x70: "√", 0x71: "√", 0x72: "√", 0x73: "√",
}


def _name_tex_extension_glyphs(page: Any, raw: dict[str, Any]) -> None:
    """Give unmapped glyphs of TeX's math extension font their characters, in place.

    Only pages that have such glyphs pay for it: a second extraction with MuPDF's raw
    character codes, matched to the first by glyph box."""
    wanted = [
        ch
        for block in raw["blocks"] for line in block.get("lines", ()) for span in line["spans"]
        if _TEX_EXTENSION.search(str(span["font"]))
        for ch in span["chars"] if ch["c"] in _UNMAPPED
    ]
    if not wanted:
        return
    import pymupdf

    coded = _rawdict(page, _TEXT_FLAGS | pymupdf.TEXT_CID_FOR_UNKNOWN_UNICODE)
    codes = {
        tuple(round(v, 1) for v in ch["bbox"]): ch["c"]
        for block in coded["blocks"] for line in block.get("lines", ()) for span in line["spans"]
        if _TEX_EXTENSION.search(str(span["font"]))
        for ch in span["chars"]
    }
    for ch in wanted:
        code = codes.get(tuple(round(v, 1) for v in ch["bbox"]))
        if code is not None and len(code) == 1 and ord(code) in _OMX:
            ch["c"] = _OMX[ord(code)]


def _rawdict(page: Any, flags: int = _TEXT_FLAGS) -> dict[str, Any]:
    """``page.get_text("rawdict")`` with MuPDF's quad corrections off, whatever the process
    set: docparse's rules, golden outputs and eval-dev figures are made with the glyph boxes
    MuPDF gives without them. That is the state pymupdf4llm sets for the whole process when
    it is imported (pymupdf 2.0 imports it); without this, what docparse reads from a PDF
    would depend on what else the process imported (found when the command stopped
    importing pymupdf4llm: three of the sixteen development documents read differently)."""
    import pymupdf

    tools: Any = pymupdf.TOOLS
    previous = bool(tools.unset_quad_corrections())
    tools.unset_quad_corrections(True)
    try:
        raw: dict[str, Any] = page.get_text("rawdict", flags=flags)
    finally:
        tools.unset_quad_corrections(previous)
    return raw


#: Translucent askew lines of one direction from this many on are a tiled watermark.
_WATERMARK_LINES = 3


def _tiled_watermark(lines: Sequence[dict[str, Any]]) -> set[int]:
    """``id`` of the lines that tile a text watermark over the page ("www.example.com" or
    "DRAFT" repeated at an angle): translucent lines, askew, at least three in one
    direction. A single askew line (a stamp's date, one "Secret" across the page) stays.

    >>> mark = {"dir": (0.93, -0.36), "spans": [{"alpha": 112, "chars": [{"c": "w"}]}]}
    >>> len(_tiled_watermark([dict(mark) for _ in range(3)]))
    3
    >>> len(_tiled_watermark([dict(mark) for _ in range(2)]))
    0
    """
    by_direction: dict[int, list[int]] = {}
    for line in lines:
        dx, dy = line["dir"]
        spans = [span for span in line["spans"] if span.get("chars")]
        if not askew((dx, dy)) or not spans:
            continue
        if all(span.get("alpha", 255) < 255 for span in spans):
            # Two-degree bins: one watermark's lines differ in the last digits only.
            key = round(math.degrees(math.atan2(dy, dx)) / 2)
            by_direction.setdefault(key, []).append(id(line))
    return {i for ids in by_direction.values() if len(ids) >= _WATERMARK_LINES for i in ids}


def _line(
    line: dict[str, Any], affine: Affine, hidden: Sequence[Box], scale: float
) -> TextLine | None:
    dx, dy = line["dir"]
    a, b, c, d = affine[:4]
    vx, vy = a * dx + c * dy, b * dx + d * dy
    norm = (vx * vx + vy * vy) ** 0.5 or 1.0
    direction = (vx / norm, vy / norm)
    spans: list[TextSpan] = []
    for span in line["spans"]:
        raw_chars = span["chars"]
        if not raw_chars or _absurd_metrics(span):
            continue
        chars = tuple(TextChar(ch["c"], _transform(ch["bbox"], affine)) for ch in raw_chars)
        text = "".join(ch.c for ch in chars)
        spans.append(
            TextSpan(
                text=text,
                bbox=_transform(span["bbox"], affine),
                font=str(span["font"]),
                size=float(span["size"]) * scale,
                render_mode=_render_mode(span, hidden),
                chars=chars,
                direction=direction,
                unmapped=sum(1 for ch in text if ch in _UNMAPPED),
                baseline=_baseline(raw_chars, affine),
            )
        )
    if not spans:
        return None
    return TextLine(spans=tuple(spans), bbox=_transform(line["bbox"], affine),
                    vertical=bool(line.get("wmode", 0)))


#: Glyph boxes taller than this many times the font size come from a broken font (a Type3
#: font whose matrix and box disagree a thousandfold); the tallest real ones, Cambria Math's,
#: are under six.
_ABSURD_HEIGHT = 20.0


def _absurd_metrics(span: dict[str, Any]) -> bool:
    """Whether the span's glyph boxes are absurdly tall for its size: its font is broken,
    and so, in the PDFs that have one, is its text (letters mapped to spaces), which is then
    left to OCR like any text the layer lacks.

    >>> _absurd_metrics({"size": 0.12, "chars": [{"bbox": (0, -19, 7, 101)}]})
    True
    >>> _absurd_metrics({"size": 10.0, "chars": [{"bbox": (0, 0, 6, 56)}]})
    False
    """
    size = float(span.get("size", 0.0))
    heights = sorted(ch["bbox"][3] - ch["bbox"][1] for ch in span["chars"])
    return size > 0 and heights[len(heights) // 2] > _ABSURD_HEIGHT * size


def _render_mode(span: dict[str, Any], hidden: Sequence[Box]) -> int:
    flags = int(span.get("char_flags", _FILLED))
    painted = flags & (_FILLED | _STROKED)
    if not painted or span.get("alpha", 255) == 0:
        return 3
    if hidden:
        x0, y0, x1, y1 = span["bbox"]
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        if any(h[0] <= cx <= h[2] and h[1] <= cy <= h[3] for h in hidden):
            return 3
    if painted == _FILLED | _STROKED:
        return 2
    return 1 if painted == _STROKED else 0


#: An image drawn with at least this fill opacity is opaque (MuPDF passes 1.0 as a float).
_OPAQUE = 0.99


@dataclass(frozen=True)
class _ImageDraw:
    """One image as drawn: whether the page shows through it, and the corners of the unit
    square through its matrix (unrotated page space, the bbox log's), in order around."""

    see_through: bool
    corners: tuple[tuple[float, float], ...]


def _hidden_text_regions(
    log: Sequence[tuple[str, Sequence[float]]],
    page_area: float,
    draws: Callable[[], Sequence[_ImageDraw] | None],
) -> list[Box]:
    """Boxes of text drawn before a large opaque image that covers them (unrotated page
    space). ``draws`` gives every image of the log in drawing order (None when they could not
    be matched with the log: each large image then hides what its box holds); it is only
    called when a large image follows some text."""
    regions: list[Box] = []
    texts: list[Box] = []
    image_no = -1
    known: Sequence[_ImageDraw] | None = None
    asked = False
    for kind, raw in log:
        box = (float(raw[0]), float(raw[1]), float(raw[2]), float(raw[3]))
        if kind.endswith("-text"):
            texts.append(box)
            continue
        if kind != "fill-image":
            continue
        image_no += 1
        if not texts or area(box) < _COVERING_IMAGE * page_area:
            continue
        if not asked:
            known, asked = draws(), True
        draw = known[image_no] if known is not None and image_no < len(known) else None
        if draw is not None and draw.see_through:
            continue
        kept: list[Box] = []
        for t in texts:
            cx, cy = (t[0] + t[2]) / 2, (t[1] + t[3]) / 2
            if draw is not None:
                inside = _in_convex(draw.corners, cx, cy)
            else:
                inside = box[0] <= cx <= box[2] and box[1] <= cy <= box[3]
            (regions if inside else kept).append(t)
        texts = kept
    return regions


def _in_convex(corners: Sequence[tuple[float, float]], x: float, y: float) -> bool:
    """Whether ``(x, y)`` lies in the convex polygon ``corners`` (either winding, edges in).

    >>> _in_convex([(0, 0), (10, 0), (10, 10), (0, 10)], 5, 10)
    True
    >>> _in_convex([(5, 0), (10, 5), (5, 10), (0, 5)], 1, 1)
    False
    """
    sign = 0.0
    for i, (ax, ay) in enumerate(corners):
        bx, by = corners[(i + 1) % len(corners)]
        cross = (bx - ax) * (y - ay) - (by - ay) * (x - ax)
        if cross * sign < -1e-9:
            return False
        if cross:
            sign = cross
    return True


def _image_draws(page: Any, log: Sequence[tuple[str, Sequence[float]]]) -> list[_ImageDraw] | None:
    """Every image the page draws, in the bbox log's order, or None if they do not match it.

    A device run over the page (as the bbox log's own) gives each image's fill opacity, soft
    mask and matrix. The page runs unrotated, as for the bbox log."""
    import pymupdf

    mu = pymupdf.mupdf

    class _Images(mu.FzDevice2):  # type: ignore[misc, name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.use_virtual_fill_image()
            self.seen: list[tuple[bool, tuple[float, ...]]] = []

        def fill_image(self, ctx: Any, image: Any, ctm: Any, alpha: float, params: Any) -> None:
            see_through = image.mask is not None or float(alpha) < _OPAQUE
            self.seen.append((see_through, (ctm.a, ctm.b, ctm.c, ctm.d, ctm.e, ctm.f)))

    rotation = page.rotation
    if rotation:
        page.set_rotation(0)
    try:
        device = _Images()
        mu.fz_run_page(page.this, device, mu.FzMatrix(), mu.FzCookie())
        mu.fz_close_device(device)
    finally:
        if rotation:
            page.set_rotation(rotation)
    if len(device.seen) != sum(1 for kind, _ in log if kind == "fill-image"):
        return None
    return [_ImageDraw(see_through, tuple((a * x + c * y + e, b * x + d * y + f)
                                          for x, y in ((0, 0), (1, 0), (1, 1), (0, 1))))
            for see_through, (a, b, c, d, e, f) in device.seen]


def image_coverage(boxes: Iterable[Sequence[float]], width: float, height: float) -> float:
    """Fraction of a ``width`` x ``height`` page covered by the union of ``boxes``.

    Measured on a 64x64 grid of cell centres, so overlapping images count once.

    >>> image_coverage([(0, 0, 50, 100), (25, 0, 100, 100)], 100, 100)
    1.0
    """
    if width <= 0 or height <= 0:
        return 0.0
    import numpy as np

    cells = np.zeros((_GRID, _GRID), dtype=bool)
    centres = (np.arange(_GRID) + 0.5) / _GRID
    xs, ys = centres * width, centres * height
    for x0, y0, x1, y1 in boxes:
        cols = (xs >= x0) & (xs <= x1)
        rows = (ys >= y0) & (ys <= y1)
        cells |= rows[:, None] & cols[None, :]
    return float(cells.mean())


def _baseline(chars: Sequence[dict[str, Any]], affine: Affine) -> float | None:
    """Page-pixel y of the span's first visible glyph's origin (a span may start with a space
    placed on another baseline: renderers that set every glyph apart, such as matplotlib)."""
    for ch in chars:
        if not str(ch["c"]).isspace():
            x, y = ch["origin"]
            _, b, _, d, _, f = affine
            return float(b * x + d * y + f)
    return None


def _transform(bbox: Sequence[float], affine: Affine) -> Box:
    a, b, c, d, e, f = affine
    x0, y0, x1, y1 = bbox
    if b == 0.0 and c == 0.0:  # no rotation: the common case, kept cheap
        xa, xb, ya, yb = a * x0 + e, a * x1 + e, d * y0 + f, d * y1 + f
    else:
        xa, xb = a * x0 + c * y0 + e, a * x1 + c * y1 + e
        ya, yb = b * x0 + d * y0 + f, b * x1 + d * y1 + f
    return (min(xa, xb), min(ya, yb), max(xa, xb), max(ya, yb))



"""Small PDFs for the text-layer tests, generated with pymupdf or written as raw objects."""

# mypy: disallow-untyped-calls=False
# (pymupdf ships only partial annotations)
from __future__ import annotations

from pathlib import Path

import pymupdf

#: A system font with Hebrew and Arabic glyphs; pymupdf's built-in fonts have neither.
DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def open_pdf(data: bytes) -> pymupdf.Document:
    return pymupdf.open(stream=data, filetype="pdf")


def raw_pdf(content: bytes, fonts: bytes, extra: list[bytes] | None = None) -> bytes:
    """A one-page 300x200 pt PDF. ``fonts`` is the font resource dictionary body; ``extra``
    objects are numbered from 5 on (font objects, glyph procedures)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Resources << /Font << "
        + fonts
        + b" >> >> /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        *(extra or []),
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return out


def _type3_over_helvetica(names: tuple[str, str], first: int, shown: bytes,
                          box_top: int = 1000) -> bytes:
    """``shown`` (codes) in a Type3 font of two square glyphs named ``names`` at codes
    ``first`` and ``first + 1``, whose FontBBox reaches ``box_top``, above a line of
    Helvetica ("Readable words")."""
    glyph = b"600 0 0 0 500 700 d1 0 0 500 700 re f"
    stream = b"<< /Length %d >>\nstream\n" % len(glyph) + glyph + b"\nendstream"
    one, two = (name.encode() for name in names)
    font = (
        b"<< /Type /Font /Subtype /Type3 /FontBBox [0 0 1000 %d] " % box_top
        + b"/FontMatrix [0.001 0 0 0.001 0 0] /CharProcs << /%s 7 0 R /%s 8 0 R >> " % (one, two)
        + b"/Encoding << /Type /Encoding /Differences [%d /%s /%s] >> " % (first, one, two)
        + b"/FirstChar %d /LastChar %d /Widths [600 600] /Resources << >> >>" % (first, first + 1)
    )
    helvetica = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
    content = (
        b"BT /F1 12 Tf 20 150 Td (" + shown + b") Tj ET "
        b"BT /F2 12 Tf 20 100 Td (Readable words) Tj ET"
    )
    return raw_pdf(content, b"/F1 5 0 R /F2 6 0 R", [font, helvetica, stream, stream])


def type3_without_tounicode() -> bytes:
    """Five glyphs drawn in a Type3 font whose glyph names (/g1, /g2) map to no Unicode and
    that has no ToUnicode CMap, above a line of ordinary Helvetica text."""
    return _type3_over_helvetica(("g1", "g2"), 1, b"\x01\x02\x01\x02\x01")


def render_modes() -> bytes:
    """One line switching render modes (0 visible, 3 hidden, 1 stroked), transparent text
    (ExtGState ca 0) and text clipped away by a tiny clip path."""
    content = (
        b"BT /F1 12 Tf 20 150 Td (shown ) Tj 3 Tr (hidden) Tj 1 Tr ( outlined) Tj 0 Tr ET "
        b"q /G0 gs BT /F1 12 Tf 20 100 Td (transparent) Tj ET Q "
        b"q 0 0 5 5 re W n BT /F1 12 Tf 20 50 Td (clipped) Tj ET Q"
    )
    data = raw_pdf(
        content, b"/F1 5 0 R", [b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    )
    return data.replace(
        b"/Font << /F1 5 0 R >>", b"/Font << /F1 5 0 R >> /ExtGState << /G0 << /ca 0 >> >>"
    )


def grey_pixmap(width: int = 40, height: int = 40) -> pymupdf.Pixmap:
    pix = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, width, height), False)
    pix.clear_with(200)
    return pix


def scanned_page(*, text_under_image: bool = False) -> bytes:
    """A 'scan': a page-sized image plus an OCR text layer. By default the OCR text is drawn
    after the image in render mode 3 (the usual sandwich PDF); with ``text_under_image`` it is
    ordinary text that the image, drawn later, paints over."""
    doc = pymupdf.open()
    page = doc.new_page(width=300, height=200)
    words = [((20, 50), "Scanned invoice total"), ((20, 80), "Paid in full")]
    if text_under_image:
        for point, text in words:
            page.insert_text(point, text, fontsize=12)
        page.insert_image(page.rect, pixmap=grey_pixmap(), keep_proportion=False)
    else:
        page.insert_image(page.rect, pixmap=grey_pixmap(), keep_proportion=False)
        for point, text in words:
            page.insert_text(point, text, fontsize=12, render_mode=3)
    return bytes(doc.tobytes())


def transparent_watermark() -> bytes:
    """Born-digital text with a page-sized, soft-masked (semi-transparent) image drawn over it."""
    doc = pymupdf.open()
    page = doc.new_page(width=300, height=200)
    page.insert_text((20, 50), "Body text under a watermark", fontsize=12)
    pix = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 20, 20), True)
    pix.clear_with(128)
    page.insert_image(page.rect, pixmap=pix, keep_proportion=False)
    return bytes(doc.tobytes())


def slide_with_background() -> bytes:
    """Born-digital slide: a page-sized background picture with visible text on top."""
    doc = pymupdf.open()
    page = doc.new_page(width=300, height=200)
    page.insert_image(page.rect, pixmap=grey_pixmap(), keep_proportion=False)
    page.insert_text((20, 50), "Quarterly results", fontsize=14)
    return bytes(doc.tobytes())


def stamped_page(*, alpha: float = 1.0, turn_degrees: float = 0.0) -> bytes:
    """Born-digital text, then a stamp image drawn over most of the page, as stamping tools
    do: with the fill opacity ``alpha`` set in the graphics state (no soft mask), turned by
    ``turn_degrees`` about the page's centre. "Under the stamp" lies at the centre; "In the
    corner" near the top-left corner of the turned stamp's upright bounding box, outside
    the stamp itself."""
    import math

    t = math.radians(turn_degrees)
    w, h = 240.0, 140.0
    a, b, c, d = w * math.cos(t), w * math.sin(t), -h * math.sin(t), h * math.cos(t)
    # The unit square's centre (0.5, 0.5) lands on the page's centre (150, 100).
    e, f = 150 - (a + c) / 2, 100 - (b + d) / 2
    content = (
        b"BT /F1 10 Tf 95 97 Td (Under the stamp) Tj ET "
        b"BT /F1 8 Tf 40 180 Td (In the corner) Tj ET "
        b"q /GS0 gs %.4f %.4f %.4f %.4f %.4f %.4f cm /Im0 Do Q" % (a, b, c, d, e, f)
    )
    pixels = b"\x60\xa0\xa0\x60"
    image = (b"<< /Type /XObject /Subtype /Image /Width 2 /Height 2 /ColorSpace /DeviceGray "
             b"/BitsPerComponent 8 /Length %d >>\nstream\n" % len(pixels) + pixels + b"\nendstream")
    data = raw_pdf(content, b"/F1 5 0 R", [
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>", image])
    return data.replace(
        b"/Font << /F1 5 0 R >>",
        b"/Font << /F1 5 0 R >> /XObject << /Im0 6 0 R >> /ExtGState << /GS0 << /ca %.2f >> >>"
        % alpha,
    )


def watermarked_page(marks: int) -> bytes:
    """Two lines of body text under ``marks`` translucent copies of "www.example.com" set
    at 20 degrees across the page, as a watermarking tool tiles them."""
    doc = pymupdf.open()
    page = doc.new_page(width=300, height=300)
    page.insert_text((20, 60), "Body text of the page", fontsize=11)
    page.insert_text((20, 80), "and its second line", fontsize=11)
    for i in range(marks):
        origin = pymupdf.Point(30, 120 + 50 * i)
        page.insert_text(origin, "www.example.com", fontsize=24, fill_opacity=0.4,
                         morph=(origin, pymupdf.Matrix(20)))
    return bytes(doc.tobytes())


def type3_with_absurd_box() -> bytes:
    """A Type3 font whose FontBBox is three hundred times too tall (its glyph boxes come out
    thousands of points high) drawing "ABBA", above a line of Helvetica."""
    return _type3_over_helvetica(("A", "B"), 65, b"ABBA", box_top=300000)


def shifted_font_page(codes: bytes, honest: bytes = b"Readable words", shift: int = 1) -> bytes:
    """``codes`` set in an embedded font without a ToUnicode map whose glyphs are named
    ``shift`` letters off (by one: the glyph named "s" draws a "t", "a" a "b", "z" an "a"),
    as olmOCR's gnarly olmo page sets its paper: the text layer says ``codes``, the page
    shows each letter's successor (``shift=0``: the font draws what it names). Below it,
    ``honest`` in plain Helvetica. The font is pymupdf's own Helvetica (a bare CFF) with its
    outlines moved by fontTools."""
    import io
    import string
    from types import SimpleNamespace

    from fontTools.cffLib import CFFFontSet

    helvetica = pymupdf.Font("helv")
    cff = CFFFontSet()
    cff.decompile(io.BytesIO(helvetica.buffer), None)
    top = cff[cff.fontNames[0]]
    index = dict(top.CharStrings.charStrings)
    for letters in (string.ascii_lowercase, string.ascii_uppercase):
        for name, drawn in zip(letters, letters[shift:] + letters[:shift], strict=True):
            top.CharStrings.charStrings[name] = index[drawn]
    out = io.BytesIO()
    cff.compile(out, SimpleNamespace(recalcBBoxes=False))
    program = out.getvalue()

    def drawn(code: int) -> str:
        ch = chr(code)
        for letters in (string.ascii_lowercase, string.ascii_uppercase):
            if ch in letters:
                return letters[(letters.index(ch) + shift) % 26]
        return ch

    widths = b" ".join(b"%d" % round(1000 * helvetica.glyph_advance(ord(drawn(c))))
                       for c in range(32, 123))
    font = (b"<< /Type /Font /Subtype /Type1 /BaseFont /ABCDEF+Shifted /FirstChar 32 "
            b"/LastChar 122 /Widths [" + widths + b"] /Encoding /WinAnsiEncoding "
            b"/FontDescriptor 7 0 R >>")
    descriptor = (b"<< /Type /FontDescriptor /FontName /ABCDEF+Shifted /Flags 32 "
                  b"/FontBBox [-166 -225 1000 931] /ItalicAngle 0 /Ascent 718 /Descent -207 "
                  b"/CapHeight 718 /StemV 88 /FontFile3 8 0 R >>")
    stream = (b"<< /Subtype /Type1C /Length %d >>\nstream\n" % len(program) + program
              + b"\nendstream")
    content = (b"BT /F1 20 Tf 20 140 Td (" + codes + b") Tj ET "
               b"BT /F2 12 Tf 20 90 Td (" + honest + b") Tj ET")
    return raw_pdf(content, b"/F1 5 0 R /F2 6 0 R", [
        font, b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>", descriptor, stream])


def polish_subset_page(mapped: tuple[str, str, str] = (".", "-", "6")) -> bytes:
    """"Tłoczenie ciśnienia sumą" as docling-parse's Polish pump manuals set it: the accented
    letters in a Type1 font of their own whose /Differences names them (codes 33-35:
    ``/lslash /aogonek /sacute``) and whose ToUnicode map gives ``mapped`` for them (another
    font's map: ". - 6" there). The rest in plain Helvetica."""
    entries = b" ".join(b"<%02X> <%04X>" % (33 + i, ord(ch)) for i, ch in enumerate(mapped))
    cmap = (b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap "
            b"/CMapName /Polish def 1 begincodespacerange <00> <FF> endcodespacerange "
            b"3 beginbfchar " + entries + b" endbfchar endcmap CMapName currentdict "
            b"/CMap defineresource pop end end")
    accents = (b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /FirstChar 33 "
               b"/LastChar 35 /Widths [278 556 500] /Encoding << /Type /Encoding "
               b"/Differences [33 /lslash /aogonek /sacute] >> /ToUnicode 7 0 R >>")
    stream = b"<< /Length %d >>\nstream\n" % len(cmap) + cmap + b"\nendstream"
    # T[ł]oczenie ci[ś]nienia sum[ą]: the accents from F2, the rest from F1.
    content = (b"BT /F1 14 Tf 20 120 Td (T) Tj /F2 14 Tf (!) Tj /F1 14 Tf (oczenie ci) Tj "
               b"/F2 14 Tf (#) Tj /F1 14 Tf (nienia sum) Tj /F2 14 Tf (\") Tj ET")
    return raw_pdf(content, b"/F1 5 0 R /F2 6 0 R", [
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>", accents, stream])

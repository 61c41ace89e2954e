"""Which way must a born-digital page be turned for its own text to run left to right?

A landscape table set sideways on a portrait page (a budget's monthly columns, a wide survey),
or a page scanned and OCR'd on its side, carries text whose lines run up or down the page.
The layout model sees a picture of sideways glyphs and boxes it as one image, and every word
of it is lost; a table read sideways is transposed. The text layer says exactly which way its
lines run, so such a page is turned before layout, the way the official pipeline's document
orientation step turns a scan (``doc_preprocessor_res["angle"]``), without guessing from pixels.

Only strong evidence turns a page: most of its visible characters (:data:`SHARE`) and at least
:data:`MIN_CHARS` of them run the same non-horizontal way. A sideways running head or an arXiv
stamp in the margin is a minority and changes nothing. Lines in vertical writing mode (CJK
set top to bottom, glyphs upright) are the right way up already and do not count.
"""

from __future__ import annotations

from docparse.textlayer.model import TextLayerPage

#: Visible characters that must run one way before a page is turned.
MIN_CHARS = 20
#: Share of the page's visible characters (on straight lines) that must run that way.
SHARE = 0.6
#: A line runs along an axis when its direction's component on it is at least this.
_ALONG = 0.9


def sideways_turn(layer: TextLayerPage) -> int:
    """Degrees (0, 90, 180 or 270) to turn the page clockwise so that most of its visible
    text runs left to right; 0 when it does already or the evidence is weak.

    >>> from docparse.textlayer.model import TextLine, TextSpan
    >>> up = TextSpan("Opening balance (745)" * 3, (0, 0, 10, 300), "Arial", 10,
    ...               direction=(0.0, -1.0))
    >>> sideways_turn(TextLayerPage(600, 800, (TextLine((up,), up.bbox),)))
    90
    """
    counts = {0: 0, 90: 0, 180: 0, 270: 0}
    for line in layer.lines:
        if line.vertical:
            continue
        for span in line.spans:
            if span.render_mode == 3:  # invisible: an OCR layer says nothing of the pixels
                continue
            dx, dy = span.direction
            # Turning the view clockwise by 90° makes an upward line run to the right.
            if dx >= _ALONG:
                turn = 0
            elif dy <= -_ALONG:
                turn = 90
            elif dx <= -_ALONG:
                turn = 180
            elif dy >= _ALONG:
                turn = 270
            else:
                continue
            counts[turn] += sum(1 for ch in span.text if not ch.isspace())
    total = sum(counts.values())
    turn, most = max(((t, n) for t, n in counts.items() if t), key=lambda item: item[1])
    if most >= MIN_CHARS and most >= SHARE * total:
        return turn
    return 0

"""Page pictures for the formats that draw pages, re-rendered from the document's origin.

A parsed document remembers where it came from (:class:`docparse.document.Origin`): the file
with its size and modification time, or the bytes it was given, and the password it was opened
with (never serialised). When that is gone or changed, drawing fails with a clear error
instead of drawing boxes on blank pages.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from typing import TYPE_CHECKING

from docparse.document import Document, Origin, Page
from docparse.errors import DocParseError, OutputError

if TYPE_CHECKING:
    from docparse.sources import Source


def origin_pages(doc: Document) -> Callable[[Page], bytes]:
    """A function giving each page's picture at its parsed size (PNG), opened lazily once."""
    origin = doc.origin or Origin(path=doc.input_path)
    opened: list[Source] = []

    def page_picture(page: Page) -> bytes:
        if not opened:
            opened.append(_open(doc, origin))
        src = opened[0]
        from PIL import Image

        idx = 0 if page.page_index is None else page.page_index
        # A scanned page straightened and turned upright by pre-processing was parsed so.
        done = page.doc_preprocessor_res or {}
        quarter = int(done.get("angle") or 0) // 90 % 4
        width = page.height if quarter % 2 else page.width
        try:
            # Render at a dpi that reproduces the parsed pixel width.
            probe = src.render(idx, dpi=72, with_text_layer=False)
            dpi = max(1, round(72 * width / max(1, probe.width)))
            pix = src.render(idx, dpi=dpi, with_text_layer=False).image
        except DocParseError as exc:
            raise OutputError(f"{doc.input_path}: cannot render page {idx + 1}: {exc}") from exc
        if done:
            from docparse.preprocess.page import replay

            pix = replay(pix, quarter * 90, float(done.get("skew") or 0.0))
        buf = io.BytesIO()
        Image.fromarray(pix).save(buf, format="PNG")
        return buf.getvalue()

    return page_picture


def _open(doc: Document, origin: Origin) -> Source:
    from docparse.sources.opener import open_source

    what = f"{doc.input_path}: cannot draw the pages"
    if origin.data is not None:
        source: bytes | str = origin.data
    else:
        assert origin.path is not None
        try:
            st = os.stat(origin.path)
        except OSError:
            raise OutputError(f"{what}: the input is no longer at {origin.path}") from None
        if origin.size is not None and (st.st_size, st.st_mtime_ns) != (origin.size, origin.mtime_ns):
            raise OutputError(f"{what}: {origin.path} changed since it was parsed")
        source = origin.path
    try:
        return open_source(source, password=origin.password, name=doc.input_path)
    except DocParseError as exc:
        raise OutputError(f"{what}: {exc}") from exc

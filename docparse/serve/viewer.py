"""The HTML viewer of a job's document, as the service keeps and serves it.

The viewer is rendered once, when the job ends (the input's bytes are still in the
document's origin then, so the page pictures can be drawn; the upload is deleted right
after). Small documents give one self-contained HTML; big ones (the exporter's ``auto``
rule) keep their page pictures as files under ``view/imgs/``, which the HTML references
relatively, so ``GET /v1/jobs/{id}/view`` finds them at ``/v1/jobs/{id}/view/imgs/<name>``
behind the same key check.

A page that cannot send the key with picture requests (the upload page shows the viewer in
a sandboxed ``srcdoc`` frame) asks for the pictures embedded: :func:`embed_pictures`.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable

from docparse.document import Document
from docparse.serve.jobs import VIEW_HTML, VIEW_PICTURES

#: A picture reference in the stored viewer: only the ``src`` of an ``<img>`` tag the exporter
#: wrote (document text is escaped and tables hold no ``<img``, so nothing else can match).
_IMG_SRC = re.compile(r'(<img\b[^<>]*?\ssrc=")' + re.escape(VIEW_PICTURES) +
                      r'/((?:page|picture)_[0-9]{4,6}\.(jpg|png))"')


def job_view_files(doc: Document) -> dict[str, bytes]:
    """The viewer's files, named relative to the job folder: ``view.html`` (and
    ``view/imgs/*`` when the pictures are not embedded)."""
    from docparse.export.html_viewer import render_viewer

    out = render_viewer(doc, images="auto", stem="view", folder=VIEW_PICTURES)
    files = dict(out.files)
    files[VIEW_HTML] = files.pop("view.html")
    return files


def embed_pictures(html: bytes, read: Callable[[str], bytes | None]) -> bytes:
    """``html`` with every picture file it references inlined as a ``data:`` URI (the
    viewer's CSP allows ``data:`` pictures); ``read(name)`` gives a picture's bytes."""

    def inline(m: re.Match[str]) -> str:
        data = read(m.group(2))
        if data is None:
            return m.group(0)
        mime = "image/png" if m.group(3) == "png" else "image/jpeg"
        return f'{m.group(1)}data:{mime};base64,{base64.b64encode(data).decode("ascii")}"'

    return _IMG_SRC.sub(inline, html.decode("utf-8")).encode("utf-8")

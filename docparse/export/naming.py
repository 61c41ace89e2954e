"""Output names: the stem a document's files are named by, always one safe path component.

Every output name (the CLI's stems, ``Document.save_to_*``, a ``stem=`` given by a caller)
goes through :func:`safe_stem`, so an input named ``...png``, ``a/b.pdf`` (a separator inside
a name), ``CON.pdf`` or with bytes that are not UTF-8 can never name ``.``/``..``, a hidden
file, a path outside the output folder, or a file some filesystem refuses.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import PurePath

from docparse.document import Document

#: Names Windows reserves for devices, with or without an extension (``CON.md`` too).
_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
    | {f"{dev}{n}" for dev in ("COM", "LPT") for n in (*"123456789", "¹", "²", "³")}
)
#: Separators, characters Windows refuses in names (``"<>`` would also break the HTML
#: ``<img src="…">`` Markdown references pictures with), control characters, and the lone
#: surrogates a non-UTF-8 file name decodes to (they cannot be written as UTF-8 text).
_UNSAFE = re.compile(r'[/\\:*?"<>|\x00-\x1f\x7f\ud800-\udfff]')
#: Longest stem in UTF-8 bytes: derived names (``<stem>_<page>_layout_det_res.png``, a
#: ``-N`` to keep stems unique, the writer's ``.<name>.XXXXXXXX.tmp``) stay under the
#: 255-byte name limit of common filesystems.
MAX_STEM_BYTES = 160
#: Stem for in-memory input (``<bytes>``) and names with nothing usable left.
FALLBACK = "document"


def safe_stem(stem: str) -> str:
    """``stem`` made into one safe path component (idempotent: safe stems are unchanged).

    Unsafe characters become ``_``; leading dots become ``_`` (no ``.``, ``..`` or hidden
    names); trailing dots and spaces become ``_`` (Windows drops them); device names get a
    leading ``_``; a stem longer than :data:`MAX_STEM_BYTES` is cut and given a hash of the
    whole, so two long names stay apart.

    >>> [safe_stem(s) for s in ["..", ".", "a/b", "CON", "report"]]
    ['__', '_', 'a_b', '_CON', 'report']
    """
    text = _UNSAFE.sub("_", stem)
    body = text.lstrip(".")
    text = "_" * (len(text) - len(body)) + body
    body = text.rstrip(". ")
    text = body + "_" * (len(text) - len(body))
    if not text:
        return FALLBACK
    if text.split(".")[0].rstrip(" ").upper() in _RESERVED:
        text = "_" + text
    raw = text.encode("utf-8")
    if len(raw) > MAX_STEM_BYTES:
        digest = hashlib.sha256(stem.encode("utf-8", "surrogatepass")).hexdigest()[:10]
        head = raw[: MAX_STEM_BYTES - len(digest) - 1].decode("utf-8", "ignore")
        text = safe_stem(f"{head}-{digest}")
    return text


def default_stem(doc: Document) -> str:
    """``report`` for ``report.pdf``; ``document`` for in-memory input (``<bytes>``)."""
    name = PurePath(doc.input_path).name
    stem = PurePath(name).stem
    if not stem or stem.startswith("<"):
        return FALLBACK
    return safe_stem(stem)


def stem_of(doc: Document, stem: str | None) -> str:
    """The stem to name ``doc``'s files by: the one asked for or the document's, made safe."""
    return safe_stem(stem) if stem is not None else default_stem(doc)

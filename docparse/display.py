"""Paths and URLs as docparse shows them: in messages, events, JSON and logs.

File names are bytes on POSIX; Python decodes the bytes that are not UTF-8 into lone
surrogates (``b'\\xff.pdf'`` becomes ``'\\udcff.pdf'``, PEP 383) so the name still opens the
file. Such a string cannot be encoded as UTF-8: written to JSON, a UTF-8 file or a strict
stream it raises ``UnicodeEncodeError`` far from where the name came in. Every path docparse
shows goes through :func:`display_path` once, where it enters (the source label, the
discovery messages, the batch's lines), so everything downstream holds valid text.

Server URLs may carry credentials (``http://user:secret@host/v1``); :func:`display_url`
drops them, and every URL docparse shows goes through it.
"""

from __future__ import annotations

import codecs
import hashlib
import os
import re
from urllib.parse import urlsplit, urlunsplit


def display_text(text: str) -> str:
    """``text`` with undecodable file-name bytes shown as ``\\xNN`` (valid UTF-8 always).

    >>> display_text("in/\\udcff.pdf")
    'in/\\\\xff.pdf'
    >>> display_text("report.pdf")
    'report.pdf'
    """
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        pass
    try:
        raw = text.encode("utf-8", "surrogateescape")  # the file name's own bytes back
    except UnicodeEncodeError:  # a surrogate that did not come from a file name
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return raw.decode("utf-8", "backslashreplace")


def display_path(path: str | os.PathLike[str]) -> str:
    """The path as text safe for messages, events and JSON (see :func:`display_text`)."""
    return display_text(os.fspath(path))


def file_name_text(name: str) -> str:
    """A name for an output file made from an input's name: each undecodable byte becomes
    ``%XX``, so output names (and Markdown links to them) are valid UTF-8 everywhere and two
    such inputs still get different names.

    >>> file_name_text("\\udcff")
    '%FF'
    """
    try:
        name.encode("utf-8")
        return name
    except UnicodeEncodeError:
        pass
    try:
        raw = name.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate that did not come from a file name
        return name.encode("utf-8", "replace").decode("utf-8")
    return raw.decode("utf-8", "_docparse_percent")


def _percent(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    bad = exc.object[exc.start : exc.end]
    return "".join(f"%{b:02X}" for b in bad), exc.end


codecs.register_error("_docparse_percent", _percent)


def display_url(url: str) -> str:
    """``url`` without ``user:password@`` (credentials never reach outputs or logs).

    >>> display_url("http://user:secret@gpu:8000/v1")
    'http://gpu:8000/v1'
    """
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unbalanced IPv6 bracket: still never show the password
        return re.sub(r"//[^/?#]*@", "//", url)
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


__all__ = ["display_path", "display_text", "display_url", "file_name_text"]


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

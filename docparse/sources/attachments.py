"""Files embedded in a PDF (its ``/EmbeddedFiles``), read without trusting what they declare.

E-invoices are PDFs that carry their own data as XML (Factur-X, ZUGFeRD and XRechnung embed a
UN/CEFACT Cross Industry Invoice; others embed UBL). That XML holds fields the printed page
often leaves out (order and contract references, service periods, unit codes), so a parse that
drops it loses the invoice's most exact copy. Every attachment is listed; text files are read.

Why not ``Document.embfile_get``: it inflates the whole stream, and a crafted PDF can declare
a small file whose stream inflates to gigabytes. Here the raw stream is read and inflated with
a cap (only FlateDecode, the filter PDF writers use for attachments; other filters are listed
with a note, not read). The XML is never parsed, only sniffed for its root element, so no
entity or external reference in it is ever resolved.
"""

from __future__ import annotations

import codecs
import hashlib
import re
import zlib
from typing import Any

from docparse.document import Attachment

#: Largest embedded file whose content is read (inflated size), and largest raw stream read.
MAX_TEXT_BYTES = 4 * 1024 * 1024
_MAX_RAW_BYTES = 16 * 1024 * 1024
#: At most this many attachments are listed (a portfolio can hold thousands).
MAX_ATTACHMENTS = 64

_TEXT_TYPES = ("text/", "application/xml", "application/json", "application/csv")
_TEXT_SUFFIXES = (".xml", ".json", ".csv", ".txt", ".md")
_XML_DECL = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
#: The first element's local name, past the declaration, comments and a doctype.
_ROOT = re.compile(r"<(?![?!])(?:[A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)")


def embedded_files(doc: Any) -> tuple[Attachment, ...]:
    """Every file embedded in the open pymupdf document ``doc`` (the caller holds the MuPDF
    lock), in the PDF's order, with the text of text files."""
    count = min(int(doc.embfile_count()), MAX_ATTACHMENTS)
    if count == 0:
        return ()
    streams = _stream_xrefs(doc)
    out: list[Attachment] = []
    for index in range(count):
        info = doc.embfile_info(index)
        xref = streams[index] if index < len(streams) else 0
        out.append(_attachment(doc, info, xref))
    return tuple(out)


def _stream_xrefs(doc: Any) -> list[int]:
    """The stream xref of each entry of the flat ``/EmbeddedFiles /Names`` array (what MuPDF
    itself lists), 0 where none is found. File specifications are indirect objects or, as
    some writers set them, dictionaries inline in the array."""
    kind, value = doc.xref_get_key(doc.pdf_catalog(), "Names/EmbeddedFiles/Names")
    if kind != "array":
        return []
    return [_file_stream(doc, spec.strip()) for spec in _array_items(value)[1::2]]


_REF = re.compile(r"(\d+)\s+\d+\s+R")
#: The embedded file's stream in an inline file specification's /EF dictionary.
_EF_FILE = re.compile(r"/EF\s*<<.*?/(?:U?F)\s+(\d+)\s+\d+\s+R", re.S)


def _file_stream(doc: Any, spec: str) -> int:
    """The xref of the stream a file specification (its source text) points to, or 0."""
    if (ref := _REF.fullmatch(spec)) is not None:
        # MuPDF follows the path through an indirect /EF dictionary too.
        kind, value = doc.xref_get_key(int(ref[1]), "EF/F")
        found = _REF.fullmatch(value) if kind == "xref" else None
    else:
        found = _EF_FILE.search(spec)
    return int(found[1]) if found else 0


def _string_end(body: str, i: int) -> int:
    """Index just past the literal string opening at ``body[i]`` (escapes and balanced
    parentheses inside it), or the end of ``body`` when it is not closed."""
    depth = 0
    while i < len(body):
        if body[i] == "\\":
            i += 2
            continue
        depth += {"(": 1, ")": -1}.get(body[i], 0)
        i += 1
        if depth == 0:
            return i
    return len(body)


def _array_items(array: str) -> list[str]:
    """The top-level items of a PDF array's text: strings, names, numbers, references and
    dictionaries, each as its source text."""
    items: list[str] = []
    body = array.strip()
    if body.startswith("["):
        body = body[1:body.rindex("]")] if "]" in body else body[1:]
    i, n = 0, len(body)
    while i < n:
        c = body[i]
        if c.isspace():
            i += 1
            continue
        start = i
        if c == "(":
            i = _string_end(body, i)
        elif body.startswith("<<", i):
            depth = 0
            while i < n:
                if body.startswith("<<", i):
                    depth, i = depth + 1, i + 2
                elif body.startswith(">>", i):
                    depth, i = depth - 1, i + 2
                    if depth == 0:
                        break
                elif body[i] == "(":  # a string inside the dictionary may hold ">>"
                    i = _string_end(body, i)
                else:
                    i += 1
        elif c == "<":
            i = body.find(">", i) + 1 or n
        elif (ref := _REF.match(body, i)) is not None:
            i = ref.end()  # "12 0 R" is one item
        else:
            i += 1
            while i < n and not body[i].isspace() and body[i] not in "(<[/":
                i += 1
        items.append(body[start:i])
    return items


def _attachment(doc: Any, info: dict[str, Any], xref: int) -> Attachment:
    name = str(info.get("name") or "")
    filename = str(info.get("ufilename") or info.get("filename") or "")
    base = Attachment(name=name, filename=filename,
                      description=str(info.get("description") or ""))
    if xref <= 0:
        return base.model_copy(update={"note": "the file is not stored where it can be read"})
    mime = _mime_type(doc, xref)
    base = base.model_copy(update={"mime_type": mime})
    data, note = _content(doc, xref)
    if data is None:
        return base.model_copy(update={"note": note})
    text = _text(data, mime, filename or name)
    return base.model_copy(update={
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "text": text,
        "format": _format(text) if text is not None else None,
    })


def _mime_type(doc: Any, xref: int) -> str | None:
    kind, value = doc.xref_get_key(xref, "Subtype")
    if kind != "name" or not value.startswith("/"):
        return None
    # PDF names spell "/" as #2F and other bytes as #XX.
    return re.sub(r"#([0-9A-Fa-f]{2})", lambda m: chr(int(m.group(1), 16)), value[1:]) or None


def _content(doc: Any, xref: int) -> tuple[bytes | None, str | None]:
    """The file's bytes, or None and why they were not read."""
    kind, length = doc.xref_get_key(xref, "Length")
    if kind == "int" and int(length) > _MAX_RAW_BYTES:
        return None, f"not read: its stream is over {_MAX_RAW_BYTES // (1024 * 1024)} MiB"
    _, parms = doc.xref_get_key(xref, "DecodeParms")
    kind, value = doc.xref_get_key(xref, "Filter")
    filters = re.findall(r"/(\w+)", value) if kind in ("name", "array") else []
    if filters not in ([], ["FlateDecode"]) or parms not in ("null", ""):
        shown = " ".join(filters) or parms
        return None, f"not read: stored with {shown}"
    raw = bytes(doc.xref_stream_raw(xref) or b"")
    if len(raw) > _MAX_RAW_BYTES:
        return None, f"not read: its stream is over {_MAX_RAW_BYTES // (1024 * 1024)} MiB"
    if not filters:
        data = raw
    else:
        inflater = zlib.decompressobj()
        try:
            data = inflater.decompress(raw, MAX_TEXT_BYTES + 1)
        except zlib.error as exc:
            return None, f"not read: damaged stream ({exc})"
    if len(data) > MAX_TEXT_BYTES:
        return None, f"not read: over {MAX_TEXT_BYTES // (1024 * 1024)} MiB"
    return data, None


def _text(data: bytes, mime: str | None, filename: str) -> str | None:
    """The file's text when it is a text file, else None."""
    kind = (mime or "").lower()
    is_text = (kind.startswith(_TEXT_TYPES) or kind.endswith("+xml")
               or filename.lower().endswith(_TEXT_SUFFIXES))
    if not is_text or b"\0" in data:
        return None
    encoding = "utf-8-sig"
    if (declared := _XML_DECL.match(data)) is not None:
        try:
            encoding = codecs.lookup(declared.group(1).decode("ascii")).name
        except LookupError:
            pass
        if encoding == "utf-8":
            encoding = "utf-8-sig"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


def _format(text: str) -> str | None:
    """``ubl-invoice`` or ``cii-invoice`` by the XML's root element, else None."""
    head = text[:4096]
    if not head.lstrip().startswith("<"):
        return None
    body = re.sub(r"<!--.*?-->", "", re.sub(r"<\?.*?\?>", "", head, flags=re.S), flags=re.S)
    root = _ROOT.search(body)
    if root is None:
        return None
    if root.group(1) in ("Invoice", "CreditNote") and "urn:oasis:names:specification:ubl" in head:
        return "ubl-invoice"
    if root.group(1) == "CrossIndustryInvoice":
        return "cii-invoice"
    return None

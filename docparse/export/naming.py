"""Output names: the stem a document's files are named by, always one safe path component.

Every output name (the CLI's stems, ``Document.save_to_*``, a ``stem=`` given by a caller)
goes through :func:`safe_stem` (defined in :mod:`docparse.display` beside the other names made
from input names, so input discovery can use it too), so an input named ``...png``, ``a/b.pdf`` (a separator inside
a name), ``CON.pdf`` or with bytes that are not UTF-8 can never name ``.``/``..``, a hidden
file, a path outside the output folder, or a file some filesystem refuses.
"""

from __future__ import annotations

from pathlib import PurePath

from docparse.display import FALLBACK, MAX_STEM_BYTES, safe_stem
from docparse.document import Document

__all__ = ["FALLBACK", "MAX_STEM_BYTES", "default_stem", "safe_stem", "stem_of"]


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

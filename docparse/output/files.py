"""JSON and Markdown files for a :class:`Document` (output naming as the official pipeline)."""

from __future__ import annotations

from pathlib import Path, PurePath

from docparse.document import Document
from docparse.output.atomic import replace_dir, write_text


def default_stem(doc: Document) -> str:
    """``report`` for ``report.pdf``; ``document`` for in-memory input (``<bytes>``)."""
    name = PurePath(doc.input_path).name
    stem = PurePath(name).stem
    if not stem or stem.startswith("<"):
        return "document"
    return stem


def ignore_labels(doc: Document) -> tuple[str, ...]:
    """The Markdown-ignored labels the document was parsed with (recorded per page)."""
    from docparse.labels import MARKDOWN_IGNORE_LABELS

    for page in doc.pages:
        labels = page.model_settings.get("markdown_ignore_labels")
        if isinstance(labels, list):
            return tuple(str(x) for x in labels)
    return MARKDOWN_IGNORE_LABELS


def _target(path: Path, stem: str, suffix: str) -> Path:
    if path.suffix.lower() == suffix:
        return path
    return path / f"{stem}{suffix}"


def save_json(doc: Document, path: Path, *, stem: str | None = None) -> Path:
    """Write ``doc`` as JSON to ``path`` (a ``.json`` file, or a folder for ``<stem>.json``)."""
    target = _target(path, stem or default_stem(doc), ".json")
    write_text(target, doc.to_json(indent=2) + "\n")
    return target


def markdown_files(
    doc: Document, stem: str, *, per_page: bool = False
) -> tuple[dict[str, str], dict[str, bytes]]:
    """The Markdown files (name -> text) and pictures (name -> JPEG) for ``doc``.

    Pictures live under ``imgs/<stem>/`` beside the Markdown and are referenced relative to it.
    Page-level files are named as the official pipeline's: ``<stem>_<page_index>.md``."""
    from docparse.assemble.markdown import MarkdownParams, render_document, render_pages

    params = MarkdownParams(image_dir=f"imgs/{stem}", ignore_labels=ignore_labels(doc))
    if per_page:
        texts = render_pages(doc, params)
        names = [
            f"{stem}.md" if p.page_index is None else f"{stem}_{p.page_index}.md" for p in doc.pages
        ]
        md = dict(zip(names, texts, strict=True))
    else:
        md = {f"{stem}.md": render_document(doc, params)}
    referenced = {b.image for b in doc.blocks if b.image}
    images = {name: data for name, data in doc.images.items() if name in referenced}
    return md, images


def save_markdown(
    doc: Document, path: Path, *, per_page: bool = False, stem: str | None = None
) -> Path:
    """Write Markdown (and its pictures) into the folder ``path`` (or to a ``.md`` file path,
    whose folder then holds ``imgs/``). Returns the (first) Markdown file written."""
    if path.suffix.lower() == ".md":
        folder, stem = path.parent, stem or path.stem
    else:
        folder, stem = path, stem or default_stem(doc)
    md, images = markdown_files(doc, stem, per_page=per_page)
    referenced = any(b.image for b in doc.blocks)
    # A document loaded from JSON carries no pixels: keep the pictures already on disk.
    if images or not referenced:
        if images or (folder / "imgs" / stem).exists():
            replace_dir(folder / "imgs" / stem, images)
    first: Path | None = None
    for name, text in md.items():
        target = folder / name
        write_text(target, text)
        first = first or target
    assert first is not None
    return first

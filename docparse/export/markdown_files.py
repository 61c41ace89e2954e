"""``md``: Markdown per PaddleOCR-VL's conventions, with the pictures it references."""

from __future__ import annotations

from docparse.document import Document
from docparse.export.naming import stem_of
from docparse.formats import ExportFiles, ExportRequest


def ignore_labels(doc: Document) -> tuple[str, ...]:
    """The Markdown-ignored labels the document was parsed with (recorded per page)."""
    from docparse.labels import MARKDOWN_IGNORE_LABELS

    for page in doc.pages:
        labels = page.model_settings.get("markdown_ignore_labels")
        if isinstance(labels, list):
            return tuple(str(x) for x in labels)
    return MARKDOWN_IGNORE_LABELS


class MarkdownExporter:
    """``<stem>.md`` (or the official per-page ``<stem>_<page_index>.md``) and the pictures,
    under ``imgs/<stem>/``, referenced relative to the Markdown."""

    name = "md"
    subdir = ""

    def render(self, document: Document, request: ExportRequest) -> ExportFiles:
        from docparse.assemble.markdown import MarkdownParams, render_document, render_pages

        stem = stem_of(document, request.stem)
        image_dir = request.image_dir if request.image_dir is not None else f"imgs/{stem}"
        params = MarkdownParams(image_dir=image_dir, ignore_labels=ignore_labels(document))
        files: dict[str, bytes] = {}
        if request.per_page:
            for page, text in zip(document.pages, render_pages(document, params), strict=True):
                name = f"{stem}.md" if page.page_index is None else f"{stem}_{page.page_index}.md"
                files[name] = text.encode("utf-8")
        else:
            files[f"{stem}.md"] = render_document(document, params).encode("utf-8")
        referenced = {b.image for b in document.blocks if b.image}
        pictures = {n: data for n, data in document.images.items() if n in referenced}
        # A document loaded from JSON carries no pixels: the pictures already on disk stay.
        if not pictures and referenced:
            return ExportFiles(files)
        for name, data in pictures.items():
            files[f"imgs/{stem}/{name}"] = data
        return ExportFiles(files, owned_dirs=(f"imgs/{stem}",))

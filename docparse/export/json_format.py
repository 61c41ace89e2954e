"""``json``: the document as docparse's versioned JSON (:mod:`docparse.document`)."""

from __future__ import annotations

from docparse.document import Document
from docparse.export.naming import stem_of
from docparse.formats import ExportFiles, ExportRequest


class JsonExporter:
    name = "json"
    subdir = ""

    def render(self, document: Document, request: ExportRequest) -> ExportFiles:
        text = document.to_json(indent=2) + "\n"
        return ExportFiles({f"{stem_of(document, request.stem)}.json": text.encode("utf-8")})

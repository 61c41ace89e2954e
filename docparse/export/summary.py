"""``summary``: a short, readable listing of what was found (``Document.print()``)."""

from __future__ import annotations

from docparse.document import Document
from docparse.export.naming import stem_of
from docparse.formats import ExportFiles, ExportRequest


def _head(text: str, width: int = 70) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def summary_text(doc: Document) -> str:
    lines = [f"{doc.input_path}: {doc.page_count} page(s), status {doc.status}"]
    for page in doc.pages:
        idx = "-" if page.page_index is None else page.page_index + 1
        lines.append(f"  page {idx} ({page.width}x{page.height}), "
                     f"{len(page.parsing_res_list)} blocks")
        for b in page.parsing_res_list:
            mark = "" if b.status == "ok" else f" [{b.status}]"
            body = _head(b.block_content) if b.block_content else (f"<{b.image}>" if b.image else "")
            lines.append(f"    {b.order + 1:>3} {b.block_label:<18}{mark} {body}")
    for e in doc.errors:
        where = "" if e.page_index is None else f"page {e.page_index + 1} "
        lines.append(f"  error: {where}block {e.block_id}: {e.reason}: {e.message}")
    return "\n".join(lines) + "\n"


class SummaryExporter:
    name = "summary"
    subdir = ""

    def render(self, document: Document, request: ExportRequest) -> ExportFiles:
        name = f"{stem_of(document, request.stem)}.summary.txt"
        return ExportFiles({name: summary_text(document).encode("utf-8")})

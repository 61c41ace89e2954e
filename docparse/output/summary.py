"""``Document.print()``: a short, readable listing of what was found."""

from __future__ import annotations

import sys
from typing import Any

from docparse.document import Document


def _head(text: str, width: int = 70) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def print_document(doc: Document, *, file: Any = None) -> None:
    out = file or sys.stdout
    print(f"{doc.input_path}: {doc.page_count} page(s), status {doc.status}", file=out)
    for page in doc.pages:
        idx = "-" if page.page_index is None else page.page_index + 1
        print(f"  page {idx} ({page.width}x{page.height}), {len(page.parsing_res_list)} blocks",
              file=out)
        for b in page.parsing_res_list:
            mark = "" if b.status == "ok" else f" [{b.status}]"
            body = _head(b.block_content) if b.block_content else (f"<{b.image}>" if b.image else "")
            print(f"    {b.order + 1:>3} {b.block_label:<18}{mark} {body}", file=out)
    for e in doc.errors:
        where = "" if e.page_index is None else f"page {e.page_index + 1} "
        print(f"  error: {where}block {e.block_id}: {e.reason}: {e.message}", file=out)

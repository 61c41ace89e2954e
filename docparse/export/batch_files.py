"""The files a batch writes for one document (``docparse parse`` and ``docparse batch`` alike),
and the one-line summary of what failed in it."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from docparse.document import Document
from docparse.export.writer import WritePlan
from docparse.options import OutputOptions


def plan_outputs(doc: Document, folder: Path, stem: str, out: OutputOptions) -> WritePlan:
    """Every file of one document's requested formats (per-page Markdown included), to be
    written all or none."""
    from docparse.export.writer import plan_document
    from docparse.formats import ExportRequest

    plan = plan_document(doc, folder, sorted(out.format), ExportRequest(stem=stem), subdirs=True)
    if "md" in out.format and out.per_page:
        plan += plan_document(doc, folder, ["md"], ExportRequest(stem=stem, per_page=True))
    return plan


def write_outputs(doc: Document, folder: Path, stem: str, out: OutputOptions) -> list[Path]:
    """Write the requested formats for one document, all or none (see :mod:`docparse.export`)."""
    from docparse.export.writer import commit

    plan = plan_outputs(doc, folder, stem, out)
    commit(plan)
    return list(plan.listed)


def failure_summary(doc: Document) -> str:
    """What failed, for the warning line: ``"3 timeout, 1 http_400; from http://gpu:8000/v1"``."""
    reasons = Counter(e.reason for e in doc.errors)
    text = ", ".join(f"{n} {reason}" for reason, n in sorted(reasons.items()))
    endpoints = sorted({b.error.endpoint for b in doc.blocks
                        if b.status == "failed" and b.error is not None and b.error.endpoint})
    return text + (f"; from {', '.join(endpoints)}" if endpoints else "")


__all__ = ["failure_summary", "plan_outputs", "write_outputs"]

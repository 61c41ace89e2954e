"""Pages → one :class:`Document`: status, errors, volatile stats, then document-level passes."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence

from docparse.document import Attachment, Document, ErrorItem, Stats
from docparse.options import AssemblyOptions, ParseOptions
from docparse.pipeline.page_run import PageOutcome


def build_document(
    input_path: str,
    page_count: int,
    outcomes: Sequence[PageOutcome],
    failed_pages: Sequence[ErrorItem],
    started: float,
    layout_name: str,
    recognizer_name: str,
    attachments: Sequence[Attachment] = (),
) -> Document:
    errors = [e for o in outcomes for e in o.errors] + list(failed_pages)
    # From the page itself (not the outcome), so a page reloaded by --resume keeps its warning.
    errors += [ErrorItem(page_index=o.page.page_index, reason="damaged_content", message=w,
                         severity="warning") for o in outcomes for w in o.page.warnings]
    blocks = [b for o in outcomes for b in o.page.parsing_res_list]
    needing = [b for b in blocks if b.source not in ("image",) and b.status in ("ok", "failed")]
    failed = [b for b in blocks if b.status == "failed"]
    if not errors:
        status = "success"
    elif (needing and len(failed) == len(needing)) or (failed_pages and len(failed_pages) == len(outcomes)):
        status = "failed"
    else:
        status = "partial"
    seconds = time.perf_counter() - started
    saved: Counter[str] = Counter()
    endpoints: Counter[str] = Counter()
    timings: Counter[str] = Counter()
    for o in outcomes:
        saved.update(o.requests_saved)
        endpoints.update(o.endpoints)
        timings.update(o.timings)
    stats = Stats(
        seconds=round(seconds, 4),
        pages_per_second=round(len(outcomes) / seconds, 4) if seconds > 0 else 0.0,
        recognition_requests=sum(o.requests for o in outcomes),
        requests_saved=dict(saved),
        retries=sum(o.retries for o in outcomes),
        layout_backend=layout_name,
        recognizer=recognizer_name,
        endpoints=dict(endpoints),
        timings={k: round(v, 4) for k, v in timings.items()},
        official_requests=sum(o.official_requests for o in outcomes),
        truncated_blocks=sum(o.truncated for o in outcomes),
    )
    images: dict[str, bytes] = {}
    for o in outcomes:
        images.update(o.images)
    doc = Document(
        input_path=input_path,
        page_count=page_count,
        status=status,
        errors=tuple(errors),
        stats=stats,
        attachments=tuple(attachments),
        pages=tuple(o.page for o in outcomes),
    )
    return doc.with_images(images)


def restructure_document(doc: Document, opts: ParseOptions | AssemblyOptions) -> Document:
    """The document-level passes (cross-page tables, headings, paragraphs, furniture)."""
    from docparse.assemble.restructure import restructure

    a = opts.group(AssemblyOptions) if isinstance(opts, ParseOptions) else opts
    out = restructure(doc, merge_tables=a.merge_tables, relevel_titles=a.relevel_titles,
                      join_paragraphs=a.join_paragraphs, detect_furniture=a.detect_furniture)
    return out.with_images(doc.images).with_origin(doc.origin)



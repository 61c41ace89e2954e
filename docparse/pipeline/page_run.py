"""One page from layout regions to an assembled :class:`Page`. The only place that knows the
order of the per-page steps; each step is one call into the package that owns it, passing
frozen records: regions → :class:`Plan` → :class:`TextLayerReading` → :class:`PageTasks` →
:class:`Recognized` → :class:`Page`."""

from __future__ import annotations

import dataclasses
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from docparse.assemble.page import assemble_page, page_errors
from docparse.blocks import plan_page
from docparse.document import ErrorItem, Page
from docparse.layout import (
    DrawnRules,
    LayoutBackend,
    RefiningBackend,
    Region,
    layout_evidence,
    refine_regions,
)
from docparse.options import ParseOptions
from docparse.preprocess.page import Preprocessed, turned_record
from docparse.recognize import Recognizer
from docparse.recognize.run import prepared_for, read_ahead, recognize_tasks
from docparse.recognize.table_rules import page_rules
from docparse.recognize.tasks import prepare_tasks
from docparse.sources import PageImage, source_warnings
from docparse.textlayer.reading import read_page
from docparse.versions import VERSIONS


@dataclass
class PageOutcome:
    page: Page
    images: dict[str, bytes]
    errors: list[ErrorItem] = field(default_factory=list)
    requests: int = 0
    retries: int = 0
    endpoints: Counter[str] = field(default_factory=Counter)
    requests_saved: Counter[str] = field(default_factory=Counter)
    #: Requests the official routing would send for this page (furniture included, one per
    #: merged group), for the requests-per-page comparison.
    official_requests: int = 0
    #: Blocks whose answer was degenerate and got truncated (flagged ``error.reason="truncated"``).
    truncated: int = 0
    timings: dict[str, float] = field(default_factory=dict)


def seal_recognition(options: ParseOptions) -> bool:
    """Seals are read only when asked and the pipeline version's recogniser knows the prompt."""
    version = VERSIONS.get(options.pipeline_version)
    return options.seal_recognition and version is not None and version.seal_recognition


def model_settings(options: ParseOptions, layout_name: str, recognizer_name: str) -> dict[str, Any]:
    """The official ``model_settings`` keys plus docparse's (deterministic: no timings)."""
    return {
        "use_doc_preprocessor": False,
        "use_layout_detection": True,
        "use_chart_recognition": options.chart_recognition,
        "use_seal_recognition": seal_recognition(options),
        "use_ocr_for_image_block": False,
        "format_block_content": False,
        "merge_layout_blocks": options.merge_layout_blocks,
        "markdown_ignore_labels": list(options.markdown_ignore_labels),
        # Upstream: true unless layout_shape_mode is "rect"; docparse keeps polygons only from
        # the models that have them.
        "return_layout_polygon_points": layout_name == "pp-doclayoutv3",
        "pipeline_version": options.pipeline_version,
        "layout": layout_name,
        "recognizer": recognizer_name,
        "text_layer": options.text_layer,
        "keep_furniture": options.keep_furniture,
    }


def _reads_furniture(options: ParseOptions, recognizer: Recognizer) -> bool:
    """Whether furniture boxes are recognised. They are skipped to save requests; a
    recogniser of whole pages has read them already, and their text lets the document's
    furniture rules work on scans too (a page whose only line the model calls a header)."""
    return options.keep_furniture or not recognizer.needs_crops


async def process_page(
    page: PageImage,
    regions: Sequence[Region],
    *,
    options: ParseOptions,
    layout: LayoutBackend,
    recognizer: Recognizer,
    settings: Mapping[str, Any],
    preprocessed: Preprocessed | None = None,
    deadline_at: float | None = None,
    cpu_stages_done: Callable[[], None] | None = None,
) -> PageOutcome:
    """One page from its layout regions to its assembled outcome. ``cpu_stages_done`` is
    called once the page's own CPU work is over and only its recognition is left."""
    t0 = time.perf_counter()
    use_text = uses_text_layer(page, options)
    # With no text layer to go by, a recogniser that reads whole pages reads this one first:
    # the layout's labels are then checked against its words (and recognition reuses them).
    lines = None if use_text or _past(deadline_at) else await read_ahead(recognizer, page)
    evidence = dataclasses.replace(layout_evidence(page, use_text),
                                   furniture=options.detect_furniture)
    if lines is not None:
        read = lines.evidence()
        evidence = dataclasses.replace(evidence, ocr_lines=read,
                                       drawn_rules=_drawn_rules(page, read, layout))
    elif not use_text and preprocessed is not None:
        # A recogniser of crops reads nothing ahead: the lines page pre-processing found (image
        # processing, no model) still say where the text is, at no further cost.
        evidence = dataclasses.replace(evidence, line_boxes=preprocessed.text_line_boxes)
    regions = refine_regions(layout, regions, evidence)
    plan = plan_page(
        regions, page_width=page.width, page_height=page.height,
        chart_recognition=options.chart_recognition,
        keep_furniture=_reads_furniture(options, recognizer),
        markdown_ignore_labels=options.markdown_ignore_labels,
        # Merging exists to save VLM requests; per-page OCR gains nothing from it and users
        # lose per-box content, so only crop-based recognizers get merged groups.
        merge_text_blocks=options.merge_layout_blocks and recognizer.needs_crops,
        seal_recognition=seal_recognition(options),
    )
    reading = read_page(page.text_layer if use_text else None, plan.text_layer_queries(),
                        "prefer" if options.text_layer == "prefer" else "auto")
    plan = plan.with_text_layer(reading)
    work = prepare_tasks(plan, reading.contents, page.image, page_index=page.page_index,
                         needs_crops=recognizer.needs_crops)
    tasks = await prepared_for(recognizer, work.tasks)
    if cpu_stages_done is not None:
        cpu_stages_done()
    t1 = time.perf_counter()
    recognized = await recognize_tasks(recognizer, page, tasks, layout_boxes=plan.boxes(),
                                       deadline_at=deadline_at, lines=lines)
    contents = {**reading.contents, **work.with_answers(recognized.contents)}
    plan = plan.without_unread_tentative(contents)
    t2 = time.perf_counter()
    assembled = assemble_page(
        input_path=page.input_path, page_index=page.page_index, page_count=page.page_count,
        width=page.width, height=page.height, model_settings=settings, planned=plan.blocks,
        contents=contents, extra_blocks=reading.outside + recognized.extra, regions=regions,
        doc_preprocessor_res=_preprocessor_record(page, preprocessed),
        warnings=source_warnings(page),
    )
    saved: Counter[str] = Counter()
    # Tables, formulas and charts the built-in recogniser took from the text layer count too.
    if from_text := plan.requests_saved(contents, "text-layer"):
        saved["text_layer"] = from_text
    if work.furniture_skipped:
        saved["furniture"] = work.furniture_skipped
    return PageOutcome(
        page=assembled,
        images=dict(work.pictures),
        errors=page_errors(assembled),
        requests=recognized.requests,
        retries=recognized.retries,
        endpoints=Counter(recognized.endpoints),
        requests_saved=saved,
        official_requests=plan.official_requests,
        truncated=recognized.truncated,
        timings={"plan": t1 - t0, "recognize": t2 - t1},
    )


def _preprocessor_record(
    page: PageImage, preprocessed: Preprocessed | None
) -> dict[str, Any] | None:
    """What page pre-processing did: a scan turned and straightened, or a born-digital page
    the source turned because its text ran sideways; None when the page is as it came."""
    if preprocessed is not None:
        return preprocessed.record()
    if turned := int(page.meta.get("turned", 0)):
        return turned_record(turned)
    return None


def _drawn_rules(
    page: PageImage,
    lines: Sequence[tuple[str, tuple[float, float, float, float]]],
    layout: LayoutBackend,
) -> DrawnRules | None:
    """The rules a page read by OCR shows, measured at its text's line height (None on a
    page without pixels or text). Measuring takes a fraction of a second: only for a layout
    backend whose refinement looks at them (the built-in model's)."""
    heights = sorted(b[3] - b[1] for _, b in lines)
    if page.image is None or not heights or not isinstance(layout, RefiningBackend):
        return None
    return page_rules(page.image, heights[len(heights) // 2])


def uses_text_layer(page: PageImage, options: ParseOptions) -> bool:
    """Whether the page's own text is read: not with ``text_layer="off"``, not on a page with
    no text at all (a scanned PDF page), and in ``auto`` not on a scan whose only text is an
    invisible OCR layer (its boxes would all be refused as ``scanned_page``): such a page is
    read by OCR, whose lines then check the layout's labels and keep the text the layout
    model left unboxed."""
    from docparse.textlayer.gate import is_ocr_layer

    layer = page.text_layer
    if layer is None or not layer.lines or options.text_layer == "off":
        return False
    return options.text_layer == "prefer" or not is_ocr_layer(layer)


def _past(deadline_at: float | None) -> bool:
    return deadline_at is not None and time.monotonic() > deadline_at

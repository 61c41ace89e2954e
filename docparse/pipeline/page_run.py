"""One page from layout regions to an assembled :class:`Page`: plan, text layer, crops,
recognition. The only place that knows the order of the per-page steps."""

from __future__ import annotations

import dataclasses
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from docparse.assemble.page import BlockContent, assemble_page
from docparse.blocks import PlannedBlock, plan_blocks
from docparse.blocks.routing import official_sends
from docparse.document import BlockError, BlockStatus, ErrorItem, Page
from docparse.errors import DeadlineExceededError, OutputError
from docparse.labels import TEXT_LIKE_LABELS
from docparse.layout import LayoutBackend, Region, layout_evidence, refine_regions
from docparse.options import ParseOptions
from docparse.recognize import (
    ExtraBlock,
    PageRecognition,
    RecognitionResult,
    RecognitionTask,
    Recognizer,
)
from docparse.sources import PageImage


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


def image_name(page_index: int | None, label: str, bbox: tuple[int, int, int, int]) -> str:
    """Official ``img_in_{label}_box_{x1}_{y1}_{x2}_{y2}.jpg``, made unique per page."""
    base = f"img_in_{label}_box_{bbox[0]}_{bbox[1]}_{bbox[2]}_{bbox[3]}.jpg"
    return base if page_index is None else f"p{page_index}_{base}"


def crop(image: npt.NDArray[np.uint8], bbox: tuple[int, int, int, int]) -> npt.NDArray[np.uint8]:
    """The official crop: ``img[y1:y2, x1:x2]``, no padding (clipped to the page)."""
    h, w = image.shape[:2]
    x1, y1 = max(0, bbox[0]), max(0, bbox[1])
    x2, y2 = min(w, bbox[2]), min(h, bbox[3])
    return np.ascontiguousarray(image[y1:y2, x1:x2])


def encode_jpeg(pixels: npt.NDArray[np.uint8]) -> bytes:
    """A picture file as the official ``save_to_markdown`` writes it: OpenCV's JPEG encoder
    (quality 95) on the BGR crop, byte for byte. Crops *sent* to the VLM are PIL quality 75;
    that is the recognizer's business, not this one's."""
    import cv2

    ok, buf = cv2.imencode(".jpg", np.ascontiguousarray(pixels[:, :, ::-1]))
    if not ok:
        raise OutputError(f"cannot encode a {pixels.shape[1]}x{pixels.shape[0]} picture as JPEG")
    return bytes(buf.tobytes())


def model_settings(options: ParseOptions, layout_name: str, recognizer_name: str) -> dict[str, Any]:
    """The official ``model_settings`` keys plus docparse's (deterministic: no timings)."""
    return {
        "use_doc_preprocessor": False,
        "use_layout_detection": True,
        "use_chart_recognition": options.chart_recognition,
        "use_seal_recognition": False,
        "use_ocr_for_image_block": False,
        "format_block_content": False,
        "merge_layout_blocks": options.merge_layout_blocks,
        "markdown_ignore_labels": list(options.markdown_ignore_labels),
        "return_layout_polygon_points": False,
        "layout": layout_name,
        "recognizer": recognizer_name,
        "text_layer": options.text_layer,
        "keep_furniture": options.keep_furniture,
    }


def _apply_text_layer(
    page: PageImage, planned: list[PlannedBlock], options: ParseOptions
) -> tuple[list[PlannedBlock], dict[int, BlockContent]]:
    """Take text-like blocks from the PDF's own text where the quality gate trusts it.

    A merged group is dissolved when every member passes, so each box keeps its own text."""
    if page.text_layer is None or options.text_layer == "off":
        return planned, {}
    from docparse.textlayer.gate import decide
    from docparse.textlayer.snap import snap_to_lines

    mode: Literal["auto", "prefer"] = "prefer" if options.text_layer == "prefer" else "auto"
    # Furniture ("skip") costs nothing from the text layer: its text helps find repeats.
    eligible = [p.route in ("ocr", "skip") and p.label in TEXT_LIKE_LABELS for p in planned]
    snapped = snap_to_lines(page.text_layer, [p.bbox for p in planned], eligible)
    texts: dict[int, str] = {}
    boxes: dict[int, tuple[int, int, int, int]] = {}
    for p, box, ok in zip(planned, snapped, eligible, strict=True):
        if not ok:
            continue
        decision = decide(page.text_layer, box, p.label, mode)
        if decision.text is not None:
            texts[p.block_id] = decision.text
            boxes[p.block_id] = (int(box[0]), int(box[1]), int(box[2] + 0.999), int(box[3] + 0.999))
    by_id = {p.block_id: p for p in planned}
    out: list[PlannedBlock] = []
    contents: dict[int, BlockContent] = {}
    for p in planned:
        group = by_id[p.group_id].members or (p.block_id,)
        if all(m in texts for m in group):
            if p.members or p.is_member:
                p = dataclasses.replace(p, group_id=p.block_id, members=())
            # The box grows to the whole lines its text came from.
            p = dataclasses.replace(p, bbox=boxes[p.block_id])
            contents[p.block_id] = BlockContent(texts[p.block_id], "text-layer")
        out.append(p)
    return out, contents


def _structures_from_text_layer(
    page: PageImage,
    planned: Sequence[PlannedBlock],
    options: ParseOptions,
    done: Mapping[int, BlockContent],
) -> dict[int, BlockContent]:
    """For the built-in recognizer: tables, formulas and charts from the PDF's own characters.

    The built-in table recognizer builds a grid from positioned text; the text layer gives it
    exact words instead of OCR'd ones. (A PaddleOCR-VL server always gets these blocks: it
    recognises structure and LaTeX, which the text layer does not have.)"""
    if page.text_layer is None or options.text_layer == "off":
        return {}
    from docparse.recognize.line_order import OcrLine
    from docparse.recognize.table_grid import lines_to_table_html
    from docparse.textlayer.gate import decide
    from docparse.textlayer.pieces import has_rotated_text, pieces_in_box

    out: dict[int, BlockContent] = {}
    for p in planned:
        if p.block_id in done or p.route not in ("table", "formula", "chart"):
            continue
        # The gate's hard checks (unmapped glyphs, invisible OCR layers, ...) apply as for
        # text; sparse tables may cover little of their box, so low coverage is allowed.
        verdict = decide(page.text_layer, p.bbox, "text", "auto")
        if verdict.text is None and verdict.reason != "low_coverage":
            continue
        if p.route == "table" and has_rotated_text(page.text_layer, p.bbox):
            continue  # rotated column headers: the grid needs what OCR sees of them
        pieces = pieces_in_box(page.text_layer, p.bbox)
        if not pieces:
            continue
        if p.route == "table":
            content = lines_to_table_html([OcrLine(t, b) for t, b in pieces])
        else:
            content = verdict.text or " ".join(t for t, _ in pieces)
        out[p.block_id] = BlockContent(content, "text-layer")
    return out


def _task_crop(
    image: npt.NDArray[np.uint8], p: PlannedBlock, by_id: Mapping[int, PlannedBlock]
) -> npt.NDArray[np.uint8]:
    if not p.members:
        return crop(image, p.bbox)
    from docparse.blocks.stack import stack_group_image

    return stack_group_image(
        [crop(image, by_id[m].bbox) for m in p.members],
        p.alignments,  # type: ignore[arg-type]
    )


async def process_page(
    page: PageImage,
    regions: Sequence[Region],
    *,
    options: ParseOptions,
    recognizer: Recognizer,
    layout: LayoutBackend,
    settings: Mapping[str, Any],
    deadline_at: float | None = None,
) -> PageOutcome:
    t0 = time.perf_counter()
    regions = refine_regions(layout, regions, layout_evidence(page, options.text_layer != "off"))
    planned = plan_blocks(
        regions,
        page_width=page.width,
        page_height=page.height,
        chart_recognition=options.chart_recognition,
        keep_furniture=options.keep_furniture,
        markdown_ignore_labels=options.markdown_ignore_labels,
        # Merging exists to save VLM requests; per-page OCR gains nothing from it and users
        # lose per-box content, so only crop-based recognizers get merged groups.
        merge_text_blocks=options.merge_layout_blocks and recognizer.needs_crops,
    )
    official = sum(
        1 for p in planned
        if not p.is_member and official_sends(p.label, chart_recognition=options.chart_recognition)
    )
    planned, contents = _apply_text_layer(page, planned, options)
    if not recognizer.needs_crops:
        contents.update(_structures_from_text_layer(page, planned, options, contents))
    by_id = {p.block_id: p for p in planned}
    images: dict[str, bytes] = {}
    saved: Counter[str] = Counter()
    tasks: list[RecognitionTask] = []
    for p in planned:
        if p.block_id in contents or p.is_member:
            if p.block_id in contents and official_sends(p.label, chart_recognition=options.chart_recognition):
                if not p.is_member or by_id[p.group_id].block_id in contents:
                    saved["text_layer"] += 1
            continue
        if p.route == "image":
            name = image_name(page.page_index, p.label, p.bbox)
            pixels = crop(page.image, p.bbox)
            if pixels.size:
                images[name] = encode_jpeg(pixels)
            contents[p.block_id] = BlockContent("", "image", image=name if pixels.size else None)
        elif p.route == "skip":
            contents[p.block_id] = BlockContent("", "none", "skipped")
            saved["furniture"] += 1
        else:
            member_boxes = tuple(by_id[m].bbox for m in p.members[1:])
            tasks.append(
                RecognitionTask(
                    block_id=p.block_id,
                    label=p.label,
                    kind=p.route,  # type: ignore[arg-type]
                    bbox=p.bbox,
                    crop=_task_crop(page.image, p, by_id) if recognizer.needs_crops else None,
                    member_bboxes=member_boxes,
                )
            )
    t1 = time.perf_counter()
    outcome_errors: list[ErrorItem] = []
    requests = retries = truncated = 0
    endpoints: Counter[str] = Counter()
    extra: list[ExtraBlock] = []
    if page.text_layer is not None and options.text_layer != "off":
        from docparse.textlayer.outside import blocks_outside

        extra = blocks_outside(page.text_layer, [p.bbox for p in planned], mode=options.text_layer)
    if tasks:
        # Every layout box, so a page-level OCR does not turn text inside pictures into blocks.
        page.meta["layout_boxes"] = [p.bbox for p in planned]
        try:
            rec = await recognizer.recognize_page(page, tasks, deadline_at=deadline_at)
        except DeadlineExceededError as exc:
            # The page keeps its layout: every block not recognised in time is recorded.
            err = BlockError(reason="deadline_exceeded", message=str(exc))
            rec = PageRecognition(results={
                t.block_id: RecognitionResult(t.block_id, "", "none", error=err) for t in tasks})
        extra = extra + rec.extra_blocks
        for t in tasks:
            r = rec.results.get(t.block_id)
            if r is None:
                err = BlockError(reason="missing_result", message="the recognizer returned nothing")
                contents[t.block_id] = BlockContent("", "none", "failed", err)
            else:
                requests += r.requests
                retries += r.retries
                if r.endpoint:
                    endpoints[r.endpoint] += r.requests
                status: BlockStatus = "failed" if r.error is not None else "ok"
                error = r.error
                if error is None and r.truncated:
                    # The content is kept (it is what the official client would give), but a
                    # silent truncation would hide that the model looped: flag it on the block.
                    truncated += 1
                    error = BlockError(
                        reason="truncated",
                        message="degenerate answer (repetition loop or token limit), also after a "
                        "retry with repetition_penalty; truncated",
                        endpoint=r.endpoint,
                    )
                contents[t.block_id] = BlockContent(r.content, r.source, status, error)
            c = contents[t.block_id]
            if c.status == "failed" and c.error is not None:
                outcome_errors.append(
                    ErrorItem(page_index=page.page_index, block_id=t.block_id,
                              reason=c.error.reason, message=c.error.message)
                )
    for p in planned:
        if p.is_member:
            leader = contents.get(p.group_id)
            contents[p.block_id] = BlockContent("", leader.source if leader else "none", "merged")
    pictures = {p.bbox for p in planned if p.label == "image"}
    planned = [
        p for p in planned
        if not (p.label == "text" and p.bbox in pictures and not contents[p.block_id].content
                and contents[p.block_id].status == "ok")
    ]
    t2 = time.perf_counter()
    assembled = assemble_page(
        input_path=page.input_path,
        page_index=page.page_index,
        page_count=page.page_count,
        width=page.width,
        height=page.height,
        model_settings=settings,
        planned=planned,
        contents=contents,
        extra_blocks=extra,
        regions=regions,
    )
    # Block ids shift when extra blocks are inserted; error items must name the final ids.
    if extra:
        id_map = {p.bbox: b.block_id for p in planned for b in assembled.parsing_res_list
                  if b.block_bbox == p.bbox and b.block_label == p.label}
        by_old = {p.block_id: id_map.get(p.bbox, p.block_id) for p in planned}
        outcome_errors = [e.model_copy(update={"block_id": by_old.get(e.block_id or -1, e.block_id)})
                          for e in outcome_errors]
    preprocessed = page.meta.get("preprocessed")  # docparse.preprocess.page.Preprocessed
    if preprocessed is not None:
        assembled = assembled.model_copy(update={"doc_preprocessor_res": preprocessed.record()})
    return PageOutcome(
        page=assembled,
        images=images,
        errors=outcome_errors,
        requests=requests,
        retries=retries,
        endpoints=endpoints,
        requests_saved=saved,
        official_requests=official,
        truncated=truncated,
        timings={"plan": t1 - t0, "recognize": t2 - t1},
    )

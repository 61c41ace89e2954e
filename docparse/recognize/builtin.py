"""The built-in CPU recognizer: PP-OCRv6 lines assigned to layout boxes.

OCR runs once per page and every line goes to the smallest task box holding at least half
of it; per-crop OCR is slower and cuts lines at tight or overlapping boxes. When the tasks
cover only a small part of the page (born-digital pages where the text layer already gave
most blocks), just the padded task regions are read: detection cost grows with the pixel
area and recognition cost with the number of lines, so skipping the rest of the page is
faster (see :data:`REGION_MODE_MAX_COVERAGE`).

Text found outside every box is kept as extra ``text`` blocks, except in the thin top and
bottom margins (page furniture, unless set in a title's type:
:func:`docparse.geometry.in_furniture_band`), rotated side text, text inside other layout boxes the
pipeline passes as ``layout_boxes``, and text the visible PDF text layer
already holds. This happens only when the whole page was read.

A text box the text layer was refused for because a picture fills most of it (a cover, a
poster: :func:`lines_from_text_layer`) is read by OCR, but each line the visible text layer
holds whole takes the layer's characters.

Content by task kind: ``table`` gives an HTML grid (:mod:`docparse.recognize.table_grid`),
``formula`` and ``chart`` their plain OCR text (no LaTeX, no chart table: only the VLM path
produces those; ``source`` says so), everything else text joined as described in
:mod:`docparse.recognize.line_order`. On born-digital pages tables, formulas and charts come
from the PDF's characters instead (:func:`structures_from_text_layer`): a formula set in math
fonts as LaTeX (:mod:`docparse.textlayer.math`).

Script coverage: the PP-OCRv6 model in the rapidocr wheel has no Hangul, Arabic or Thai
characters, so pages in those scripts come back (nearly) empty from this recognizer.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from docparse.document import BlockError, ContentSource
from docparse.errors import ModelError
from docparse.geometry import Box, IntBox, in_furniture_band, nearby_groups
from docparse.labels import FURNITURE_LABELS
from docparse.recognize import (
    ExtraBlock,
    PageLines,
    PageRecognition,
    RecognitionResult,
    RecognitionTask,
)
from docparse.recognize.builtin_engine import LineRecognizer, RapidOcrEngine, TwoScaleReader
from docparse.recognize.line_order import (
    OcrLine,
    join_paragraphs,
    join_rows,
    median_height,
    order_lines,
    union_box,
)
from docparse.recognize.stacked_fractions import join_stacked_fractions
from docparse.recognize.table_grid import lines_to_table_html
from docparse.recognize.table_rules import TableRules, find_rules

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from docparse.sources import PageImage
    from docparse.textlayer.model import TextLayerPage

logger = logging.getLogger("docparse")


#: Read only the task regions when their padded area is at most this share of the page.
#: Recognition (per line) dominates detection (per pixel), so the gain follows the share of
#: the page's lines inside the tasks. Measured on a dense 144-dpi paper page (CPU seconds,
#: whole page 5.0-6.9): tasks on 3% of the area 0.57, 7% 1.3, 12% 2.2, 18% 3.3, and at 31%
#: (a table holding most lines) as slow as the whole page. Whole-page reading also keeps the
#: text outside every box, so region reading must win clearly to be chosen.
REGION_MODE_MAX_COVERAGE = 0.25
#: Lines outside every box need this recognition score to count as content.
EXTRA_MIN_SCORE = 0.7
#: Labels whose line breaks carry meaning (tables of contents, code).
ROW_LABELS = frozenset({"content", "algorithm"})


class BuiltinRecognizer:
    """Recognizer backed by the PP-OCRv6 models of the rapidocr wheel.

    Args:
        engine: Line detector + reader; defaults to :class:`RapidOcrEngine` on the wheel's
            own model files (loaded on first use).
        region_mode_max_coverage: See :data:`REGION_MODE_MAX_COVERAGE`; 0 always reads the
            whole page.

    Example:
        >>> recognizer = BuiltinRecognizer()
        >>> result = await recognizer.recognize_page(page, tasks)  # doctest: +SKIP
    """

    name = "builtin"
    needs_crops = False

    def __init__(
        self,
        engine: LineRecognizer | None = None,
        *,
        region_mode_max_coverage: float = REGION_MODE_MAX_COVERAGE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._engine: LineRecognizer = engine if engine is not None else TwoScaleReader(RapidOcrEngine())
        self._max_coverage = region_mode_max_coverage
        self._clock = clock

    async def read_page(self, page: PageImage) -> PageLines | None:
        """Every line of the page (see :class:`docparse.recognize.ReadsPages`); None when the
        OCR fails on the whole page (recognition then reads it box by box)."""
        try:
            return PageLines(tuple(await asyncio.to_thread(self._engine, page.image)))
        except ModelError:
            raise
        except Exception as exc:
            logger.warning("%s: page OCR failed: %s", _where(page), exc)
            return None

    async def recognize_page(
        self,
        page: PageImage,
        tasks: Sequence[RecognitionTask],
        *,
        layout_boxes: Sequence[IntBox] = (),
        deadline_at: float | None = None,
        lines: PageLines | None = None,
    ) -> PageRecognition:
        """Recognise every task of ``page``; raises :class:`ModelError` only when the OCR
        models cannot load. With no tasks nothing is read. No OCR call starts after
        ``deadline_at`` (a ``clock`` instant); tasks left fail with ``deadline_exceeded``.

        Tables, formulas and charts of born-digital pages come from the PDF's own characters
        when it has them (:func:`structures_from_text_layer`); only the rest is OCR'd.
        ``lines``: the page as :meth:`read_page` read it, used instead of reading again."""
        from_text = structures_from_text_layer(page, tasks)
        rest = [t for t in tasks if t.block_id not in from_text]
        if not rest:
            return PageRecognition(results=from_text)
        rec = await asyncio.to_thread(self._recognize, page, rest, tuple(layout_boxes),
                                      deadline_at, lines)
        rec.results.update(from_text)
        return rec

    async def aclose(self) -> None:
        """Nothing to release: the models live as long as the recognizer."""

    def _recognize(
        self,
        page: PageImage,
        tasks: Sequence[RecognitionTask],
        layout_boxes: Sequence[IntBox],
        deadline_at: float | None,
        lines: PageLines | None = None,
    ) -> PageRecognition:
        groups = None if lines is not None else plan_regions(page.width, page.height, tasks,
                                                             self._max_coverage)
        whole_page = groups is None
        batches: list[tuple[Sequence[RecognitionTask], list[OcrLine]]] = []
        failed: dict[int, BlockError] = {}
        if lines is not None:
            batches.append((tasks, list(lines.lines)))
        elif groups is None:
            if self._past(deadline_at):
                groups = [list(tasks)]
            else:
                try:
                    batches.append((tasks, self._engine(page.image)))
                except ModelError:
                    raise
                except Exception as exc:
                    # Read box by box instead, so one unreadable region fails only its block.
                    logger.warning("%s: page OCR failed, reading box by box: %s", _where(page), exc)
                    whole_page = False
                    groups = [[task] for task in tasks]
        if groups is not None:
            batches, failed = self._read_regions(page, groups, deadline_at)
        assigned: dict[int, list[list[OcrLine]]] = {}
        outside: list[OcrLine] = []
        for group, found in batches:
            # A numerator over its denominator is one line: "$\\frac{5}{8}$", not "5 8".
            found = join_stacked_fractions(found, page.image)
            in_boxes, rest = assign_lines(found, group)
            assigned.update(in_boxes)
            outside += rest
        if whole_page and not failed:
            assigned.update(self._second_look(page, tasks, assigned, deadline_at))
        if page.text_layer is not None:
            # Text set over a picture: where the visible text layer holds an OCR'd line, its
            # characters replace the OCR's guess (a cover's title, a script OCR cannot read).
            # Only in boxes refused for their picture (low coverage): a box refused for its
            # text (a broken font encoding, an OCR layer) has no line of it worth taking.
            from docparse.textlayer.gate import decide

            layer = page.text_layer
            text_tasks = {t.block_id for t in tasks if t.kind == "ocr" and decide(
                layer, t.bbox, "text", "auto").reason == "low_coverage"}
            assigned = {
                block_id: ([lines_from_text_layer(box_lines, layer) for box_lines in per_box]
                           if block_id in text_tasks else per_box)
                for block_id, per_box in assigned.items()
            }
        result = PageRecognition()
        for task in tasks:
            source = _source(task)
            error = failed.get(task.block_id)
            content = "" if error else task_content(
                task, assigned.get(task.block_id, []), page.image
            )
            result.results[task.block_id] = RecognitionResult(
                task.block_id, content, source, error=error
            )
        if whole_page and not failed:
            result.extra_blocks = find_extra_blocks(outside, page, layout_boxes)
        return result

    def _second_look(
        self,
        page: PageImage,
        tasks: Sequence[RecognitionTask],
        assigned: dict[int, list[list[OcrLine]]],
        deadline_at: float | None,
    ) -> dict[int, list[list[OcrLine]]]:
        """Lines for the text boxes the whole-page reading left empty, read on their own.

        The detector sees the page at up to 2000 px and as a whole: a title line that starts
        with a logo (olmOCR's olmo paper) or type a few pixels tall can be missed there, and
        found in the box's own crop. Not furniture, which Markdown leaves out. Only
        confident lines are taken (a box laid on a picture holds no text to find). Costs a region read per empty box, which pages seldom have
        (16 boxes over some 700 pages of the test sets)."""
        empty = [[t] for t in tasks if t.kind == "ocr" and t.label not in FURNITURE_LABELS
                 and not any(assigned.get(t.block_id, ()))]
        if not empty:
            return {}
        batches, _ = self._read_regions(page, empty, deadline_at)
        found: dict[int, list[list[OcrLine]]] = {}
        for group, lines in batches:
            sure = [ln for ln in lines if ln.score >= EXTRA_MIN_SCORE
                    and sum(ch.isalnum() for ch in ln.text) >= 2]
            in_boxes, _ = assign_lines(sure, group)
            found.update((k, v) for k, v in in_boxes.items() if any(v))
        return found

    def _past(self, deadline_at: float | None) -> bool:
        return deadline_at is not None and self._clock() >= deadline_at

    def _read_regions(
        self,
        page: PageImage,
        groups: Sequence[Sequence[RecognitionTask]],
        deadline_at: float | None,
    ) -> tuple[list[tuple[Sequence[RecognitionTask], list[OcrLine]]], dict[int, BlockError]]:
        """OCR each group's padded region; a crash fails only that group's tasks."""
        batches: list[tuple[Sequence[RecognitionTask], list[OcrLine]]] = []
        failed: dict[int, BlockError] = {}
        for group in groups:
            x0, y0, x1, y1 = _padded_hull(group, page.width, page.height)
            if self._past(deadline_at):
                error = BlockError(
                    reason="deadline_exceeded",
                    message=f"{_where(page)}: the deadline passed before this block was read",
                )
                failed.update((task.block_id, error) for task in group)
                continue
            if x1 <= x0 or y1 <= y0:
                batches.append((group, []))  # a box entirely off the page holds no text
                continue
            try:
                found = self._engine(page.image[y0:y1, x0:x1])
            except ModelError:
                raise
            except Exception as exc:
                message = f"{_where(page)}: OCR of region {(x0, y0, x1, y1)} failed: {exc}"
                logger.warning("%s", message)
                error = BlockError(reason="ocr_failed", message=message)
                failed.update((task.block_id, error) for task in group)
                continue
            batches.append((group, [_shift(line, x0, y0) for line in found]))
        return batches, failed


def _rules(
    image: npt.NDArray[np.uint8] | None, box: Sequence[float], lines: Sequence[OcrLine]
) -> TableRules | None:
    """What the page image shows of the table box's rules, fills and separators (None
    without an image or text)."""
    if image is None or not lines:
        return None
    return find_rules(image, box, median_height(lines))


def _where(page: PageImage) -> str:
    return (
        page.input_path
        if page.page_index is None
        else f"{page.input_path} page {page.page_index + 1}"
    )


def _source(task: RecognitionTask) -> ContentSource:
    if task.kind == "table":
        return "builtin-ocr:table"
    if task.kind == "formula":
        return "builtin-ocr:formula"
    if task.kind == "chart":
        return "builtin-ocr:chart"
    return "builtin-ocr"


def _shift(line: OcrLine, dx: int, dy: int) -> OcrLine:
    x0, y0, x1, y1 = line.bbox
    return OcrLine(line.text, (x0 + dx, y0 + dy, x1 + dx, y1 + dy), line.score, line.angle)


def _task_boxes(task: RecognitionTask) -> list[IntBox]:
    return [task.bbox, *task.member_bboxes]


def _pad(width: int, height: int) -> int:
    # About a third of a text line at 144 dpi; enough to keep ascenders and descenders of
    # lines the layout box clips.
    return max(6, round(0.008 * max(width, height)))


def _padded_hull(tasks: Sequence[RecognitionTask], width: int, height: int) -> IntBox:
    pad = _pad(width, height)
    boxes = [box for task in tasks for box in _task_boxes(task)]
    return (
        max(0, min(b[0] for b in boxes) - pad),
        max(0, min(b[1] for b in boxes) - pad),
        min(width, max(b[2] for b in boxes) + pad),
        min(height, max(b[3] for b in boxes) + pad),
    )


def plan_regions(
    width: int, height: int, tasks: Sequence[RecognitionTask], max_coverage: float
) -> list[list[RecognitionTask]] | None:
    """Groups of tasks whose padded boxes overlap, when reading only them is worthwhile;
    None means read the whole page.

    A task with member boxes is read as one region, the hull of its boxes.
    """
    groups: list[tuple[IntBox, list[RecognitionTask]]] = []
    for task in tasks:
        hull = _padded_hull([task], width, height)
        members = [task]
        merged = True
        while merged:
            merged = False
            for other in groups:
                if _overlaps(hull, other[0]):
                    groups.remove(other)
                    members += other[1]
                    hull = _padded_hull(members, width, height)
                    merged = True
                    break
        groups.append((hull, members))
    area = sum((b[2] - b[0]) * (b[3] - b[1]) for b, _ in groups)
    if area > max_coverage * width * height:
        return None
    return [members for _, members in groups]


def _overlaps(a: IntBox, b: IntBox) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _inside_fraction(line: OcrLine, box: Sequence[float]) -> float:
    """Share of the line's ink box inside ``box``. Detection boxes are dilated around the
    glyphs (rapidocr's unclip), so a short line in a tight layout box would otherwise
    count as mostly outside it; a fifth of the line height is trimmed on every side."""
    trim = min(0.2 * line.height, 0.25 * line.width)
    x0, y0, x1, y1 = line.bbox
    x0, y0, x1, y1 = x0 + trim, y0 + trim, x1 - trim, y1 - trim
    w = min(x1, box[2]) - max(x0, box[0])
    h = min(y1, box[3]) - max(y0, box[1])
    area = max(1.0, (x1 - x0) * (y1 - y0))
    return max(0.0, w) * max(0.0, h) / area


def assign_lines(
    lines: Sequence[OcrLine], tasks: Sequence[RecognitionTask]
) -> tuple[dict[int, list[list[OcrLine]]], list[OcrLine]]:
    """Lines per task (one list per task box: ``bbox`` first, then ``member_bboxes``), and
    the lines outside every box. A line goes to the smallest box holding half of it."""
    slots = [(task, i, box) for task in tasks for i, box in enumerate(_task_boxes(task))]
    assigned: dict[int, list[list[OcrLine]]] = {
        task.block_id: [[] for _ in _task_boxes(task)] for task in tasks
    }
    outside: list[OcrLine] = []
    for line in lines:
        holders = [s for s in slots if _inside_fraction(line, s[2]) >= 0.5]
        if not holders:
            outside.append(line)
            continue
        task, i, _ = min(holders, key=lambda s: (s[2][2] - s[2][0]) * (s[2][3] - s[2][1]))
        assigned[task.block_id][i].append(line)
    return assigned, outside


def task_content(
    task: RecognitionTask,
    per_box: Sequence[Sequence[OcrLine]],
    image: npt.NDArray[np.uint8] | None = None,
) -> str:
    """Content of one task from its lines ("" when it has none); ``image`` is the page the
    lines were read on (tables use its rules)."""
    parts: list[str] = []
    for box, lines in zip(_task_boxes(task), per_box, strict=True):
        if task.kind == "table":
            parts.append(lines_to_table_html(lines, _rules(image, box, lines)))
        elif task.kind in ("formula", "chart") or task.label in ROW_LABELS:
            parts.append(join_rows(order_lines(lines)))
        else:
            parts.append(join_paragraphs(order_lines(lines)))
    return "\n".join(part for part in parts if part)


def find_extra_blocks(
    lines: Sequence[OcrLine], page: PageImage, occupied: Sequence[IntBox] = ()
) -> list[ExtraBlock]:
    """Text blocks from the lines outside every layout box (see the module docstring)."""
    known = _visible_text_boxes(page.text_layer)
    typical = median_height(lines)
    kept = [
        line
        for line in lines
        if line.score >= EXTRA_MIN_SCORE
        and not line.is_rotated
        and not any(_inside_fraction(line, box) >= 0.5 for box in occupied)
        and not any(_inside_fraction(line, box) >= 0.5 for box in known)
    ]
    blocks: list[ExtraBlock] = []
    for group in group_nearby(kept):
        # Lines in the furniture band are left out, unless their paragraph reaches out of it
        # (a disclaimer in small type at the page's foot): then it is kept whole, as
        # furniture when most of it lies in the band, else as text. Dropped line by line,
        # its first line was read and the rest lost. Half in the band is text: a column's
        # last two lines running to a scan's cropped foot (OCRmyPDF's multipage.pdf). As the
        # text layer's :func:`docparse.textlayer.outside.blocks_outside` does.
        in_band = sum(1 for line in group if in_furniture_band(line.bbox, page.height, typical))
        if in_band == len(group):
            continue
        content = join_paragraphs(order_lines(group))
        if sum(ch.isalnum() for ch in content) < 2:
            continue
        x0, y0, x1, y1 = union_box(group)
        bbox = (int(x0), int(y0), int(x1 + 0.5), int(y1 + 0.5))
        label = "text"
        if 2 * in_band > len(group):
            label = "footer" if y0 + y1 > page.height else "header"
        blocks.append(ExtraBlock(label, bbox, content, "builtin-ocr"))
    return sorted(blocks, key=lambda b: (b.bbox[1], b.bbox[0]))


#: Share of an OCR line's width the text layer's characters must span to replace its text.
LAYER_LINE_MIN_SPAN = 0.8


def lines_from_text_layer(lines: Sequence[OcrLine], layer: TextLayerPage) -> list[OcrLine]:
    """``lines`` with the text of each line the visible text layer holds whole taken from it.

    A text block the gate refused for low coverage (a cover or poster whose picture carries
    rasterised text, with real text set over it) is read by OCR, but its real lines need not
    be guessed: a line whose box the layer's trusted characters span (at least
    :data:`LAYER_LINE_MIN_SPAN` of its width, the gate's checks passed on the line alone)
    takes their text. Lines only partly covered (half picture text, half real) and lines
    cutting a word of the layer keep the OCR text, which reads what the line holds."""
    from docparse.textlayer.block_text import text_in_box
    from docparse.textlayer.gate import decide

    out: list[OcrLine] = []
    for line in lines:
        x0, y0, x1, y1 = line.bbox
        pad = 0.15 * line.height
        box = (x0 - pad, y0 - pad, x1 + pad, y1 + pad)
        text = decide(layer, box, "text", "auto").text
        found = text_in_box(layer, box, visible_only=True) if text else None
        if (text is None or found is None or found.text_bbox is None
                # a word of the layer cut by the line's edge: OCR and layer disagree on it
                or text_in_box(layer, box, visible_only=True, min_overlap=0.01).text != found.text
                or min(found.text_bbox[2], x1) - max(found.text_bbox[0], x0)
                < LAYER_LINE_MIN_SPAN * line.width):
            out.append(line)
            continue
        out.append(dataclasses.replace(line, text=text.replace("\n", " ")))
    return out


def _visible_text_boxes(text_layer: TextLayerPage | None) -> list[Box]:
    if text_layer is None:
        return []
    return [
        line.bbox
        for line in text_layer.lines
        if any(span.render_mode != 3 and span.text.strip() for span in line.spans)
    ]


def group_nearby(lines: Sequence[OcrLine]) -> list[list[OcrLine]]:
    """Connected groups of lines (:func:`docparse.geometry.nearby_groups`)."""
    groups = nearby_groups([line.bbox for line in lines], median_height(lines))
    return [[lines[i] for i in group] for group in groups]


def formula_from_glyphs(layer: TextLayerPage, box: Sequence[float]) -> str:
    """LaTeX of a formula box whose rows are math by their glyphs (rows of neither kind, a
    product's limits or an equation number, go along); "" when a row is prose or none is math."""
    from docparse.textlayer.math import (
        formula_latex,
        glyphs_in_box,
        is_math_row,
        is_prose_row,
        rows_of,
    )

    glyphs = glyphs_in_box(layer, box)
    rows = rows_of(glyphs)
    if not any(is_math_row(row) for row in rows) or any(is_prose_row(row) for row in rows):
        return ""
    x0, y0, x1, y1 = box
    rules = [r for r in layer.rules if x0 <= r[0] and r[2] <= x1 and y0 <= r[1] and r[3] <= y1]
    return formula_latex(glyphs, rules)


def structures_from_text_layer(
    page: PageImage, tasks: Sequence[RecognitionTask]
) -> dict[int, RecognitionResult]:
    """Tables, formulas and charts from the PDF's own characters.

    The built-in table recogniser builds a grid from positioned text; the text layer gives it
    exact words instead of OCR'd ones. (A PaddleOCR-VL server always gets these blocks: it
    recognises structure and LaTeX, which the text layer does not have.)"""
    layer = page.text_layer
    if layer is None:
        return {}
    from docparse.textlayer.gate import decide
    from docparse.textlayer.pieces import pieces_in_box, rotated_pieces

    out: dict[int, RecognitionResult] = {}
    for t in tasks:
        if t.kind not in ("table", "formula", "chart"):
            continue
        # The gate's hard checks (unmapped glyphs, invisible OCR layers, ...) apply as for
        # text; sparse tables may cover little of their box, so low coverage is allowed.
        if t.kind == "formula":
            # Math is mostly symbols, which the gate's soft checks take for garbled text:
            # only the hard ones (unmapped glyphs, ...) hold; invisible OCR text gives no glyphs.
            hard = decide(layer, t.bbox, "text", "prefer")
            if hard.text is not None and (latex := formula_from_glyphs(layer, t.bbox)):
                # the official pipeline's formula format
                out[t.block_id] = RecognitionResult(t.block_id, f" $$ {latex} $$ ", "text-layer")
                continue
        verdict = decide(layer, t.bbox, "text", "auto")
        if verdict.text is None and verdict.reason != "low_coverage":
            continue
        pieces = pieces_in_box(layer, t.bbox)
        if t.kind == "table":
            # Slanted or vertical column headers are cells too, over the column they start in.
            pieces += rotated_pieces(layer, t.bbox)
        if not pieces:
            continue
        if t.kind == "table":
            lines = [OcrLine(text, box) for text, box in pieces]
            content = lines_to_table_html(lines, _rules(page.image, t.bbox, lines))
        else:
            content = verdict.text or " ".join(text for text, _ in pieces)
        out[t.block_id] = RecognitionResult(t.block_id, content, "text-layer")
    return out

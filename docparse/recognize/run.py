"""Running a page's tasks through a recogniser and turning its answers into block contents."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from docparse.content import BlockContent, ExtraBlock
from docparse.document import BlockError, BlockStatus
from docparse.errors import DeadlineExceededError
from docparse.geometry import IntBox
from docparse.recognize import (
    PageLines,
    PageRecognition,
    PreparesTasks,
    ReadsPages,
    RecognitionResult,
    RecognitionTask,
    Recognizer,
)

if TYPE_CHECKING:
    from docparse.sources import PageImage


@dataclass(frozen=True)
class Recognized:
    contents: Mapping[int, BlockContent] = field(default_factory=dict)
    #: Text the recogniser found outside every layout box.
    extra: tuple[ExtraBlock, ...] = ()
    requests: int = 0
    retries: int = 0
    endpoints: Mapping[str, int] = field(default_factory=dict)
    #: Blocks whose answer was degenerate and got truncated (flagged ``reason="truncated"``).
    truncated: int = 0


async def prepared_for(recognizer: Recognizer, tasks: Sequence[RecognitionTask]
                       ) -> Sequence[RecognitionTask]:
    """``tasks`` after the recogniser's own per-task CPU work, for recognisers that have some
    (:class:`~docparse.recognize.PreparesTasks`)."""
    if not tasks or not isinstance(recognizer, PreparesTasks):
        return tasks
    return await recognizer.prepare_tasks(tasks)


async def read_ahead(recognizer: Recognizer, page: PageImage) -> PageLines | None:
    """The whole page's lines, read before layout refinement, from recognisers that read
    whole pages (:class:`~docparse.recognize.ReadsPages`); None from the others."""
    if not isinstance(recognizer, ReadsPages):
        return None
    return await recognizer.read_page(page)


async def recognize_tasks(
    recognizer: Recognizer,
    page: PageImage,
    tasks: Sequence[RecognitionTask],
    *,
    layout_boxes: Sequence[IntBox],
    deadline_at: float | None,
    lines: PageLines | None = None,
) -> Recognized:
    """Every task's content; failures are contents with status ``failed``, never exceptions
    (except what concerns the whole run, which the recogniser raises). ``lines``: what
    :func:`read_ahead` read on this page, for the recogniser to use instead of reading again."""
    if not tasks:
        return Recognized()
    try:
        if lines is not None and isinstance(recognizer, ReadsPages):
            rec = await recognizer.recognize_page(page, tasks, layout_boxes=layout_boxes,
                                                  deadline_at=deadline_at, lines=lines)
        else:
            rec = await recognizer.recognize_page(page, tasks, layout_boxes=layout_boxes,
                                                  deadline_at=deadline_at)
    except DeadlineExceededError as exc:
        # The page keeps its layout: every block not recognised in time is recorded.
        err = BlockError(reason="deadline_exceeded", message=str(exc))
        rec = PageRecognition(results={
            t.block_id: RecognitionResult(t.block_id, "", "none", error=err) for t in tasks})
    contents: dict[int, BlockContent] = {}
    requests = retries = truncated = 0
    endpoints: Counter[str] = Counter()
    for t in tasks:
        r = rec.results.get(t.block_id)
        if r is None:
            err = BlockError(reason="missing_result", message="the recognizer returned nothing")
            contents[t.block_id] = BlockContent("", "none", "failed", err)
            continue
        requests += r.requests
        retries += r.retries
        if r.endpoint:
            endpoints[r.endpoint] += r.requests
        status: BlockStatus = "failed" if r.error is not None else "ok"
        error = r.error
        if error is None and r.truncated:
            # The content is kept (it is what the official client would give), but a silent
            # truncation would hide that the model looped: flag it on the block.
            truncated += 1
            error = BlockError(
                reason="truncated",
                message="degenerate answer (repetition loop or token limit), also after a "
                "retry with repetition_penalty; truncated",
                endpoint=r.endpoint,
            )
        contents[t.block_id] = BlockContent(r.content, r.source, status, error)
    return Recognized(contents, tuple(rec.extra_blocks), requests, retries, dict(endpoints),
                      truncated)

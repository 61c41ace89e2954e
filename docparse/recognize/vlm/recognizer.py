"""The ``vlm`` recognizer: PaddleOCR-VL-0.9B on one or more OpenAI-compatible (vLLM) servers.

Every task of a page becomes one concurrent request; pages overlap freely because the
concurrency bound lives in the shared :class:`~docparse.recognize.vlm.pool.EndpointPool`. A
block that still fails after retries becomes a result with an error; only a dead fleet
(:class:`~docparse.errors.ServerUnavailableError`), a wrong model name
(:class:`~docparse.errors.ConfigurationError`) stops the page; when the deadline passes, the
blocks not yet answered fail with reason ``deadline_exceeded`` and the rest are kept.

Degenerate answers (token limit hit, or a repetition loop) are retried once with
``repetition_penalty`` raised to 1.05 and the configured temperature kept, so runs stay
deterministic. If the retry is degenerate too, its answer is truncated by the official
post-processing and the result is flagged ``truncated=True``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from docparse.document import BlockError
from docparse.errors import ConfigurationError, DeadlineExceededError
from docparse.geometry import IntBox
from docparse.recognize import PageRecognition, RecognitionResult, RecognitionTask
from docparse.recognize.vlm.client import (
    CallFailure,
    EndpointClient,
    HttpClientFactory,
    normalize_server_url,
)
from docparse.recognize.vlm.crops import prepare_crop
from docparse.recognize.vlm.pool import CallResult, EndpointPool, EndpointStats
from docparse.recognize.vlm.postprocess import is_degenerate, postprocess_answer
from docparse.recognize.vlm.prompts import SamplingParams, build_request
from docparse.recognize.vlm.retry import RetryPolicy

if TYPE_CHECKING:
    from docparse.options import ParseOptions
    from docparse.sources import PageImage

#: ``BlockError.reason`` per failure kind; HTTP errors become ``http_<status>``.
_REASONS = {
    "connect": "connection_error",
    "connection": "connection_error",
    "timeout": "timeout",
    "malformed": "malformed_response",
}


@dataclass(frozen=True)
class VlmStats:
    """Counters since the recognizer was created (volatile: for ``Document.stats``)."""

    requests: int
    retries: int
    degenerate_retries: int
    truncated_blocks: int
    failed_blocks: int
    max_in_flight: int
    endpoints: tuple[EndpointStats, ...]


class VlmRecognizer:
    """PaddleOCR-VL recognition over vLLM, configured from :class:`ParseOptions`.

    ``clock`` is the monotonic clock that ``deadline_at`` values refer to; ``sleep``, ``rng``
    and ``http_client_factory`` (endpoint URL → ``httpx2.AsyncClient``) are for tests. Use one
    recognizer per event loop, and ``await aclose()`` when done.

    Example::

        recognizer = VlmRecognizer(ParseOptions(server_url=("http://gpu:8000",)))
        page_result = await recognizer.recognize_page(page, tasks)
        await recognizer.aclose()
    """

    name = "vlm"
    needs_crops = True

    def __init__(
        self,
        options: ParseOptions,
        *,
        http_client_factory: HttpClientFactory | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: Callable[[], float] = random.random,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        urls = list(dict.fromkeys(normalize_server_url(u) for u in options.server_url))
        if not urls:
            raise ConfigurationError(
                "recognizer 'vlm' needs a server: pass --server URL or set DOCPARSE_SERVER_URL"
            )
        clients = [
            EndpointClient(
                url,
                api_key=options.api_key,
                http_client=http_client_factory(url) if http_client_factory else None,
                wall_clock=wall_clock,
            )
            for url in urls
        ]
        self._pool = EndpointPool(
            clients,
            model=options.model,
            max_concurrency=options.max_concurrency,
            timeout=options.timeout,
            policy=RetryPolicy(max_retries=options.retries),
            clock=clock,
            sleep=sleep,
            rng=rng,
        )
        self._params = SamplingParams.from_options(options)
        from docparse.versions import V1, VERSIONS

        # The version decides the prompt set ("Seal Recognition:" from 1.5 on).
        self._version = VERSIONS.get(options.pipeline_version, V1)
        self._chart_recognition = options.chart_recognition
        self._clock = clock
        self._degenerate_retries = 0
        self._truncated = 0
        self._failed = 0

    async def warm_up(self) -> None:
        """Build the HTTP clients and learn each server's model name while the first pages render
        (see :class:`docparse.recognize.WarmsUp`)."""
        await self._pool.warm_up()

    async def prepare_tasks(self, tasks: Sequence[RecognitionTask]) -> list[RecognitionTask]:
        """Every crop that will be sent encoded now, all at once (see
        :class:`docparse.recognize.PreparesTasks`)."""
        payloads = await asyncio.gather(
            *(_encoded(t) if self._sends(t) else _nothing() for t in tasks)
        )
        return [t if p is None else dataclasses.replace(t, payload=p)
                for t, p in zip(tasks, payloads, strict=True)]

    def _sends(self, task: RecognitionTask) -> bool:
        # Officially a chart is a picture unless chart recognition is on (reference §3.4).
        chart_skipped = task.kind == "chart" and not self._chart_recognition
        return not chart_skipped and task.crop is not None and task.crop.size > 0

    @property
    def endpoints(self) -> tuple[str, ...]:
        """The normalised endpoint URLs (``.../v1``)."""
        return tuple(s.url for s in self._pool.endpoint_stats())

    def stats(self) -> VlmStats:
        """A snapshot of the request counters."""
        return VlmStats(
            requests=self._pool.requests,
            retries=self._pool.retries + self._degenerate_retries,
            degenerate_retries=self._degenerate_retries,
            truncated_blocks=self._truncated,
            failed_blocks=self._failed,
            max_in_flight=self._pool.max_in_flight,
            endpoints=self._pool.endpoint_stats(),
        )

    async def recognize_page(
        self,
        page: PageImage,
        tasks: Sequence[RecognitionTask],
        *,
        layout_boxes: Sequence[IntBox] = (),
        deadline_at: float | None = None,
    ) -> PageRecognition:
        """Recognise every task of ``page`` concurrently; one result per ``block_id``
        (``layout_boxes`` is not needed: the server sees only the crops).

        ``deadline_at`` is a time on ``clock`` (``time.monotonic`` by default): when it
        passes, outstanding requests are cancelled and their blocks come back failed with
        reason ``deadline_exceeded``; answers that arrived in time are kept.
        """
        where = (
            page.input_path
            if page.page_index is None
            else (f"{page.input_path} page {page.page_index + 1}")
        )
        jobs = [
            asyncio.ensure_future(self.recognize_task(t, deadline_at=deadline_at)) for t in tasks
        ]
        if not jobs:
            return PageRecognition()
        timeout = None if deadline_at is None else max(deadline_at - self._clock(), 0.0)
        try:
            _done, pending = await asyncio.wait(
                jobs, timeout=timeout, return_when=asyncio.FIRST_EXCEPTION
            )
        finally:
            for job in jobs:
                if not job.done():
                    job.cancel()
        if pending:
            await asyncio.wait(pending)
        # Retrieve every job's exception first, so none is left "never retrieved".
        exceptions = [None if job.cancelled() else job.exception() for job in jobs]
        fatal = next((e for e in exceptions if e is not None
                      and not isinstance(e, DeadlineExceededError)), None)
        if fatal is not None:
            raise fatal
        results: dict[int, RecognitionResult] = {}
        for task, job, exc in zip(tasks, jobs, exceptions, strict=True):
            if job.cancelled() or isinstance(exc, DeadlineExceededError):
                # Answers that arrived in time are kept; only unfinished blocks fail.
                self._failed += 1
                error = BlockError(
                    reason="deadline_exceeded",
                    message=f"{where}: the deadline passed before this block was recognised",
                )
                results[task.block_id] = RecognitionResult(
                    block_id=task.block_id, content="", source="vlm", error=error
                )
            else:
                result = job.result()
                results[result.block_id] = result
        return PageRecognition(results=results)

    async def recognize_task(
        self, task: RecognitionTask, *, deadline_at: float | None = None
    ) -> RecognitionResult:
        """Recognise one task; failures after retries come back as a result with ``error``."""
        if task.kind == "chart" and not self._chart_recognition:  # see _sends
            return RecognitionResult(block_id=task.block_id, content="", source="image")
        if task.crop is None or task.crop.size == 0:
            self._failed += 1
            message = f"block {task.block_id} ({task.label}) has no crop to send"
            error = BlockError(reason="no_crop", message=message)
            return RecognitionResult(block_id=task.block_id, content="", source="none", error=error)
        prompt = self._version.prompt(task.kind)
        image_url = task.payload or await _encoded(task)

        def builder(params: SamplingParams) -> Callable[[str], dict[str, Any]]:
            return lambda model: build_request(
                model=model, image_url=image_url, kind=task.kind, params=params, prompt=prompt
            )

        first = await self._pool.call(builder(self._params), deadline_at=deadline_at)
        if first.completion is None:
            return self._result_from_failure(task, first)
        final = first
        requests, retries = first.requests, first.attempts - 1
        answer = first.completion
        degenerate = is_degenerate(answer.text or "", answer.finish_reason)
        if degenerate:
            self._degenerate_retries += 1
            second = await self._pool.call(
                builder(self._params.anti_repetition()), deadline_at=deadline_at
            )
            requests += second.requests
            retries += second.attempts
            if second.completion is not None:
                final, answer = second, second.completion
                degenerate = is_degenerate(answer.text or "", answer.finish_reason)
        content, truncated = postprocess_answer(task.label, task.kind, answer.text)
        truncated = truncated or degenerate
        self._truncated += int(truncated)
        return RecognitionResult(
            block_id=task.block_id,
            content=content,
            source="vlm",
            requests=requests,
            retries=retries,
            endpoint=final.endpoint,
            truncated=truncated,
        )

    async def aclose(self) -> None:
        """Close every endpoint's HTTP client."""
        await self._pool.aclose()

    def _result_from_failure(self, task: RecognitionTask, call: CallResult) -> RecognitionResult:
        failure = call.failure or CallFailure("malformed", "no answer")
        self._failed += 1
        return RecognitionResult(
            block_id=task.block_id,
            content="",
            source="vlm",
            error=BlockError(
                reason=_REASONS.get(failure.kind, f"http_{failure.status_code}"),
                message=failure.message,
                endpoint=call.endpoint,
            ),
            requests=call.requests,
            retries=call.attempts - 1,
            endpoint=call.endpoint,
        )


async def _encoded(task: RecognitionTask) -> str:
    assert task.crop is not None
    # JPEG encoding releases the GIL; off the loop it does not stall other requests.
    return await asyncio.to_thread(prepare_crop, task.crop, task.kind)


async def _nothing() -> None:
    return None

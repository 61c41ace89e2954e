"""The parsing side of the service: models loaded once, one document per call.

Each request gets its own :class:`AsyncParser` (its options, its progress callback), built
around layout and recognition backends that are shared: they are built once per distinct
*backend* settings (the start-up options, plus up to ``backend_cache`` per-request variants
such as another temperature) and kept loaded. Options that only steer one document (pages,
password, text layer, document passes, ...) never rebuild a backend.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx

from docparse.document import Document
from docparse.errors import (
    ConfigurationError,
    DeadlineExceededError,
    DocParseError,
    EmptyDocumentError,
    InputError,
    PasswordError,
    ServerUnavailableError,
    UnsupportedFormatError,
)
from docparse.events import BlockFailed, DocumentDone, DocumentStarted, Event, PageDone
from docparse.options import ParseOptions
from docparse.pipeline import AsyncParser
from docparse.serve.metrics import ServeMetrics
from docparse.serve.problems import RequestRejected

if TYPE_CHECKING:
    from docparse.layout import LayoutBackend
    from docparse.recognize import Recognizer

log = logging.getLogger("docparse.serve")

#: Options that steer one document only; every other option shapes a backend.
PER_DOCUMENT_OPTIONS: frozenset[str] = frozenset({
    "dpi", "pages", "password", "text_layer", "orientation", "keep_furniture", "merge_tables",
    "relevel_titles", "join_paragraphs", "detect_furniture", "markdown_ignore_labels",
    "merge_layout_blocks", "deadline", "page_window", "layout_workers",
})

ProgressCallback = Callable[[int, int], None]


def backend_key(options: ParseOptions) -> ParseOptions:
    """``options`` with the per-document fields at their defaults: equal keys share backends."""
    defaults = ParseOptions()
    return dataclasses.replace(options, **{n: getattr(defaults, n) for n in PER_DOCUMENT_OPTIONS})


def _line_reader() -> Any:
    from docparse.recognize.builtin_engine import RapidOcrEngine

    return RapidOcrEngine()


@dataclass
class _Backends:
    layout: LayoutBackend
    recognizer: Recognizer
    users: int = 0
    #: The PP-OCRv6 engine of the orientation check, one for every request (it loads its
    #: models on first use, then stays loaded).
    line_reader: Any = field(default_factory=_line_reader)


@dataclass
class _Readiness:
    checked_at: float = 0.0
    ok: bool = False
    detail: str = "starting"
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


def error_for(exc: BaseException) -> RequestRejected:
    """The refusal a parse failure becomes (a stable code; the message names no path)."""
    if isinstance(exc, RequestRejected):
        return exc
    if isinstance(exc, PasswordError):
        return RequestRejected("password_required", exc.problem)
    if isinstance(exc, UnsupportedFormatError):
        return RequestRejected("unsupported_input", exc.problem)
    if isinstance(exc, (EmptyDocumentError, InputError)):
        return RequestRejected("invalid_input", exc.problem)
    if isinstance(exc, ServerUnavailableError):
        return RequestRejected("recognition_unavailable", str(exc))
    if isinstance(exc, DeadlineExceededError):
        return RequestRejected("deadline_exceeded", str(exc))
    if isinstance(exc, ConfigurationError):
        return RequestRejected("invalid_request", str(exc))
    if isinstance(exc, DocParseError):
        return RequestRejected("invalid_input", str(exc))
    return RequestRejected("internal_error", "internal error while parsing the document")


class DocumentEngine:
    def __init__(self, options: ParseOptions, *, metrics: ServeMetrics, max_pages: int,
                 backend_cache: int = 4) -> None:
        self.options = options
        self._metrics = metrics
        self._max_pages = max_pages
        self._cache_size = backend_cache
        self._backends: OrderedDict[ParseOptions, _Backends] = OrderedDict()
        self._lock = asyncio.Lock()
        self._ready = _Readiness()
        self.warm = False

    # ------------------------------------------------------------------ backends
    async def start(self) -> None:
        """Build the start-up backends and load the layout model (a first tiny detection)."""
        import numpy as np

        b = await self._acquire(self.options)
        try:
            await asyncio.to_thread(b.layout.detect, [np.full((64, 64, 3), 255, np.uint8)])
        finally:
            b.users -= 1
        self.warm = True

    async def _acquire(self, options: ParseOptions) -> _Backends:
        key = backend_key(options)
        async with self._lock:
            b = self._backends.get(key)
            if b is None:
                from docparse.pipeline.backends import build_layout, build_recognizer

                choice = await asyncio.to_thread(build_layout, key)
                if choice.notice:
                    log.info("%s", choice.notice)
                b = _Backends(choice.backend, await asyncio.to_thread(build_recognizer, key))
                self._backends[key] = b
                await self._evict()
            self._backends.move_to_end(key)
            b.users += 1
            return b

    async def _evict(self) -> None:
        """Close least recently used per-request variants nobody uses (the start-up set stays)."""
        base = backend_key(self.options)
        for key in list(self._backends):
            if len(self._backends) <= self._cache_size + 1:
                break
            b = self._backends[key]
            if key != base and b.users == 0:
                del self._backends[key]
                await b.recognizer.aclose()

    async def aclose(self) -> None:
        for b in self._backends.values():
            await b.recognizer.aclose()
        self._backends.clear()

    # ------------------------------------------------------------------ readiness
    async def ready(self) -> tuple[bool, str]:
        """Layout model loaded and a recognition endpoint answering (checked at most every 5 s)."""
        if not self.warm:
            return False, "models are loading"
        if not self.options.server_url or self.options.recognizer == "builtin":
            return True, "built-in recogniser loaded"
        r = self._ready
        async with r.lock:
            if time.monotonic() - r.checked_at > 5.0:
                r.ok, r.detail = await self._probe()
                r.checked_at = time.monotonic()
            return r.ok, r.detail

    async def _probe(self) -> tuple[bool, str]:
        from docparse.recognize.vlm.client import normalize_server_url

        headers = {"Authorization": f"Bearer {self.options.api_key}"} if self.options.api_key else {}
        async with httpx.AsyncClient(timeout=2.0, trust_env=False) as client:
            for url in self.options.server_url:
                try:
                    resp = await client.get(normalize_server_url(url) + "/models", headers=headers)
                    if resp.status_code == 200:
                        return True, f"recognition server answering ({len(self.options.server_url)} configured)"
                except httpx.HTTPError:
                    continue
        return False, "no recognition server answers"

    # ------------------------------------------------------------------ parsing
    async def parse(self, data: bytes, *, name: str, options: ParseOptions,
                    on_progress: ProgressCallback | None = None,
                    deadline: float | None = None) -> Document:
        """Parse ``data``; raises :class:`RequestRejected` with a stable code on failure."""
        b = await self._acquire(options)
        state: dict[str, Any] = {"too_many": 0, "done": 0, "total": 0}
        inner: asyncio.Task[Document] | None = None

        def on_event(event: Event) -> None:
            if isinstance(event, DocumentStarted):
                state["total"] = event.page_count
                if event.page_count > self._max_pages and inner is not None:
                    # The page count is known only once the input is open; stop right there.
                    state["too_many"] = event.page_count
                    inner.cancel()
            elif isinstance(event, PageDone):
                state["done"] += 1
                self._metrics.pages.inc()
            elif isinstance(event, BlockFailed):
                self._metrics.recognition_failures.labels(event.reason).inc()
            elif isinstance(event, DocumentDone):
                self._metrics.documents.labels(event.status).inc()
                self._metrics.document_seconds.observe(event.seconds)
            if on_progress is not None and isinstance(event, (DocumentStarted, PageDone)):
                on_progress(state["done"], state["total"])

        parser = AsyncParser(options, layout=b.layout, recognizer=b.recognizer,
                             on_event=on_event, line_reader=b.line_reader)
        try:
            inner = asyncio.create_task(parser.parse(data, name=name))
            try:
                doc = await asyncio.wait_for(asyncio.shield(inner), deadline) if deadline \
                    else await inner
            except asyncio.TimeoutError:
                inner.cancel()
                await asyncio.gather(inner, return_exceptions=True)
                raise RequestRejected("deadline_exceeded",
                                      f"the document was not parsed within {deadline:g} s") from None
            except asyncio.CancelledError:
                if state["too_many"] and not _cancelling():
                    raise RequestRejected(
                        "too_many_pages", f"the document has {state['too_many']} pages to parse; "
                        f"this service parses at most {self._max_pages}") from None
                inner.cancel()
                raise
            except RequestRejected:
                raise
            except Exception as exc:
                if not isinstance(exc, DocParseError):
                    log.exception("internal error parsing %s", name)
                else:
                    self._metrics.documents.labels("rejected").inc()
                raise error_for(exc) from None
            self._metrics.recognition_requests.inc(doc.stats.recognition_requests)
            self._metrics.recognition_retries.inc(doc.stats.retries)
            return doc
        finally:
            if inner is not None and not inner.done():
                inner.cancel()
                await asyncio.gather(inner, return_exceptions=True)
            await parser.aclose()
            b.users -= 1


def _cancelling() -> bool:
    """Whether the *calling* task is being cancelled (as opposed to the parse we stopped)."""
    task = asyncio.current_task()
    return bool(task is not None and getattr(task, "cancelling", lambda: 0)())

"""``AsyncParser``: documents flow through render → layout → plan/crop → recognize → assemble.

Pages of a document (and of concurrent documents) overlap: rendering runs ahead on one worker
thread per document, layout on a worker pool, recognition on the event loop; a page window
(``page_window``) bounds how many pages are in flight so memory stays flat however long the
input is. Finished pages are handed to an optional :class:`PageStore` as they complete.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import time
from collections.abc import AsyncIterator, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import IO, Any, Union

import numpy as np

from docparse.document import Document, ErrorItem, Page
from docparse.errors import (
    ConfigurationError,
    DeadlineExceededError,
    DocParseError,
    InputError,
    ServerUnavailableError,
)
from docparse.events import (
    BlockFailed,
    DocumentDone,
    DocumentFailed,
    DocumentStarted,
    Event,
    EventCallback,
    Notice,
    PageDone,
    ignore_event,
)
from docparse.layout import LayoutBackend, Region
from docparse.options import ParseOptions, resolve_options
from docparse.pipeline.backends import build_layout, build_recognizer
from docparse.pipeline.document_build import build_document, restructure_document
from docparse.pipeline.page_run import PageOutcome, model_settings, process_page
from docparse.pipeline.store import PageStore
from docparse.recognize import Recognizer
from docparse.sources import PageImage, Source
from docparse.sources.pages import select_pages

log = logging.getLogger("docparse")

SourceTypes = Union[str, "os.PathLike[str]", bytes, IO[bytes]]


@dataclass(frozen=True)
class ParseResult:
    """One input of :meth:`AsyncParser.parse_many`: a document, or the error that stopped it."""

    input: str
    document: Document | None = None
    error: DocParseError | None = None

    @property
    def ok(self) -> bool:
        return self.document is not None


def _input_label(source: SourceTypes, name: str | None) -> str:
    if name:
        return name
    if isinstance(source, (str, os.PathLike)):
        return str(source)
    return getattr(source, "name", None) or "<bytes>"


class AsyncParser:
    """Loads models once and parses many inputs.

    >>> async with AsyncParser(server_url=["http://gpu-box:8000/v1"]) as parser:
    ...     doc = await parser.parse("invoice.pdf")

    Backends are injectable (``layout=``, ``recognizer=``) so tests and embedders can swap them.
    """

    def __init__(
        self,
        options: ParseOptions | None = None,
        *,
        layout: LayoutBackend | str | None = None,
        recognizer: Recognizer | str | None = None,
        on_event: EventCallback | None = None,
        **overrides: Any,
    ) -> None:
        # `layout`/`recognizer` take a backend object, or (like the option) a backend name.
        if isinstance(layout, str):
            overrides["layout"], layout = layout, None
        if isinstance(recognizer, str):
            overrides["recognizer"], recognizer = recognizer, None
        if options is None:
            self.options = resolve_options(overrides)
        else:
            self.options = options.replace(**overrides) if overrides else options
        self._layout = layout
        self._recognizer = recognizer
        self._on_event = on_event or ignore_event
        workers = self.options.layout_workers or max(1, os.cpu_count() or 1)
        self._layout_pool = ThreadPoolExecutor(workers, thread_name_prefix="docparse-layout")
        self._window: asyncio.Semaphore | None = None
        self._line_reader: Any = None  # the PP-OCRv6 engine of the orientation check, lazily
        self._closed = False

    # ------------------------------------------------------------------ lifecycle
    async def __aenter__(self) -> AsyncParser:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._recognizer is not None:
            await self._recognizer.aclose()
        self._layout_pool.shutdown(wait=False, cancel_futures=True)

    def _emit(self, event: Event) -> None:
        try:
            self._on_event(event)
        except Exception:  # a broken progress callback must not fail the parse
            log.warning("docparse: the on_event callback raised", exc_info=True)

    def _backends(self) -> tuple[LayoutBackend, Recognizer]:
        if self._layout is None:
            choice = build_layout(self.options)
            self._layout = choice.backend
            if choice.notice:
                self._emit(Notice(choice.notice))
        if self._recognizer is None:
            self._recognizer = build_recognizer(self.options)
        return self._layout, self._recognizer

    def _orient(self, page: PageImage) -> None:
        """Turn a scanned page upright and straighten it (runs in a worker thread)."""
        from docparse.preprocess.page import preprocess_page

        done = preprocess_page(page.image, self._reader)
        page.image = done.image
        page.meta["preprocessed"] = done

    def _reader(self) -> Any:
        """The PP-OCRv6 engine of the full orientation check, built on first need."""
        if self._line_reader is None:
            from docparse.recognize.builtin_engine import RapidOcrEngine

            self._line_reader = RapidOcrEngine()
        return self._line_reader

    def backend_names(self) -> tuple[str, str]:
        """Resolve (and build, without loading models) the layout backend and recognizer:
        their names, e.g. ``("builtin", "vlm")``. Raises what building them raises."""
        layout, recognizer = self._backends()
        return layout.name, recognizer.name

    # ------------------------------------------------------------------ public API
    async def parse(
        self,
        source: SourceTypes,
        *,
        name: str | None = None,
        store: PageStore | None = None,
    ) -> Document:
        """Parse one input into a :class:`Document`. Raises :class:`DocParseError` subclasses
        when the input as a whole cannot be parsed; block failures are recorded in it."""
        return await self._parse_input(source, name, store, None)

    async def _parse_input(
        self, source: SourceTypes, name: str | None, store: PageStore | None,
        submitted: asyncio.Event | None,
    ) -> Document:
        """:meth:`parse`; ``submitted`` is set once every page has entered the page window
        (or the input failed before that)."""
        from docparse.sources.opener import open_source

        try:
            layout, recognizer = self._backends()
            src = await asyncio.to_thread(
                open_source, source, password=self.options.password, name=name
            )
            try:
                return await self._parse_source(src, layout, recognizer, store, submitted)
            finally:
                src.close()
        finally:
            if submitted is not None:
                submitted.set()

    async def parse_many(
        self,
        sources: Iterable[SourceTypes],
        *,
        concurrency: int = 2,
        store_for: Callable[[SourceTypes], PageStore | None] | None = None,
    ) -> AsyncIterator[ParseResult]:
        """Parse several inputs, yielding one :class:`ParseResult` per input in input order.

        Pages of all inputs share one flow bounded by the page window (``page_window``): a
        folder of one-page scans keeps as many pages in flight as the window allows.
        ``concurrency`` inputs are opened and rendered at a time; the next one starts as
        soon as one of them has handed its last page to the window, not when it is finished.
        A bad input does not stop the rest; an unreachable server
        (:class:`ServerUnavailableError`) does. ``store_for`` gives each input its
        :class:`PageStore` (finished pages persisted as they complete)."""
        items = list(sources)
        # Missing models or bad backend options concern the whole run, not one input.
        self._backends()
        rendering = asyncio.Semaphore(max(1, concurrency))

        async def one(src: SourceTypes) -> ParseResult:
            label = _input_label(src, None)
            submitted = asyncio.Event()
            await rendering.acquire()
            released = False
            try:
                store = store_for(src) if store_for is not None else None
                task = asyncio.ensure_future(self._parse_input(src, None, store, submitted))
                try:
                    waiter = asyncio.ensure_future(submitted.wait())
                    await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
                    waiter.cancel()
                    rendering.release()
                    released = True
                    return ParseResult(label, document=await task)
                except BaseException:
                    task.cancel()
                    await asyncio.gather(task, return_exceptions=True)
                    raise
            except (ServerUnavailableError, ConfigurationError):
                # A dead fleet or a wrong --model concerns every input, not this one.
                raise
            except DocParseError as exc:
                self._emit(DocumentFailed(label, str(exc)))
                return ParseResult(label, error=exc)
            except Exception as exc:
                log.debug("internal error on %s", label, exc_info=True)
                err = DocParseError(f"{label}: internal error: {type(exc).__name__}: {exc}")
                self._emit(DocumentFailed(label, str(err)))
                return ParseResult(label, error=err)
            finally:
                if not released:
                    rendering.release()

        # Finished documents wait in memory until yielded, so a slow first input must not
        # let all the others pile up: at most a window's worth of inputs run ahead of the
        # consumer (their pages are bounded by the window anyway).
        ahead = max(1, concurrency, self.options.page_window)
        pending: list[asyncio.Future[ParseResult]] = []
        queue = iter(items)
        try:
            for src in queue:
                pending.append(asyncio.ensure_future(one(src)))
                if len(pending) >= ahead:
                    break
            while pending:
                result = await pending.pop(0)
                nxt = next(queue, None)
                if nxt is not None:
                    pending.append(asyncio.ensure_future(one(nxt)))
                yield result
        finally:
            for t in pending:
                t.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    # ------------------------------------------------------------------ internals
    async def _parse_source(
        self, src: Source, layout: LayoutBackend, recognizer: Recognizer, store: PageStore | None,
        submitted: asyncio.Event | None = None,
    ) -> Document:
        opts = self.options
        loop = asyncio.get_running_loop()
        if self._window is None:
            self._window = asyncio.Semaphore(opts.page_window)
        window = self._window
        started = time.perf_counter()
        deadline_at = time.monotonic() + opts.deadline if opts.deadline else None
        indices = select_pages(opts.pages, src.page_count)
        if not indices:
            raise InputError(src.input_path, f"--pages {opts.pages!r} selects no page of {src.page_count}")
        page_count = None if src.single_image else src.page_count
        self._emit(DocumentStarted(src.input_path, len(indices)))
        settings = model_settings(opts, layout.name, recognizer.name)
        # The text layer also tells scans from born-digital pages (orientation check), so it is
        # read whenever either needs it; with text_layer "off" it is dropped after that.
        with_text = opts.text_layer != "off" or opts.orientation == "auto"
        render_pool = ThreadPoolExecutor(1, thread_name_prefix="docparse-render")
        # One writer per document keeps its page files in completion order.
        store_pool = ThreadPoolExecutor(1, thread_name_prefix="docparse-store")
        outcomes: dict[int, PageOutcome] = {}
        failed_pages: list[ErrorItem] = []
        running: set[asyncio.Task[None]] = set()
        render_errors: list[DocParseError] = []

        async def finish(idx: int, page: PageImage) -> None:
            try:
                if deadline_at is not None and time.monotonic() > deadline_at:
                    raise DeadlineExceededError(
                        f"{src.input_path}: deadline of {opts.deadline:g} s passed before page {idx + 1}"
                    )
                scanned = not (page.text_layer and page.text_layer.lines)
                if opts.text_layer == "off":
                    page.text_layer = None
                if opts.orientation == "auto" and scanned:
                    await loop.run_in_executor(self._layout_pool, self._orient, page)
                regions: list[Region] = (await loop.run_in_executor(
                    self._layout_pool, _detect_one, layout, page))
                out = await process_page(page, regions, options=opts, recognizer=recognizer, layout=layout,
                                         settings=settings, deadline_at=deadline_at)
                if store is not None:
                    # Off the loop: each page is fsynced, which would stall every request.
                    await loop.run_in_executor(store_pool, store.save, out.page, out.images)
                    out.images = {}  # on disk now; memory stays flat over long documents
                outcomes[idx] = out
                for b in out.page.parsing_res_list:
                    if b.status == "failed" and b.error is not None:
                        self._emit(BlockFailed(src.input_path, page.page_index, b.block_id,
                                               b.block_label, b.error.reason, b.error.message))
                failed = sum(1 for b in out.page.parsing_res_list if b.status == "failed")
                self._emit(PageDone(src.input_path, page.page_index,
                                    len(out.page.parsing_res_list), failed))
            except (ServerUnavailableError, ConfigurationError, asyncio.CancelledError):
                # Run-level problems (no server answers, the server has no such model) must stop
                # the run with one clear error, not become a failed page per page.
                raise
            except Exception as exc:  # one page's failure (or bug) must not lose the document
                if isinstance(exc, DeadlineExceededError):
                    reason, message = "deadline_exceeded", str(exc)
                elif isinstance(exc, DocParseError):
                    reason, message = type(exc).__name__, str(exc)
                else:
                    # The item carries the message; the traceback only with DOCPARSE_LOG=debug.
                    log.debug("page %s of %s failed", idx + 1, src.input_path, exc_info=True)
                    reason, message = "internal_error", f"{type(exc).__name__}: {exc}"
                failed_pages.append(ErrorItem(page_index=page.page_index, reason=reason,
                                              message=message))
                outcomes[idx] = _empty_outcome(
                    page.input_path, page.page_index, page.page_count, page.width, page.height,
                    settings)
            finally:
                # Drop the pixels before the slot frees, so the window really bounds memory
                # (a lingering reference would keep one more page alive).
                page.image = _NO_PIXELS
                window.release()

        try:
            for idx in indices:
                page_index = None if src.single_image else idx
                if store is not None:
                    done = store.load(page_index)
                    if done is not None:
                        outcomes[idx] = PageOutcome(page=done[0], images=done[1])
                        self._emit(PageDone(src.input_path, page_index,
                                            len(done[0].parsing_res_list), 0, resumed=True))
                        continue
                await window.acquire()
                try:
                    page = await loop.run_in_executor(
                        render_pool, functools.partial(src.render, idx, dpi=opts.dpi,
                                                       with_text_layer=with_text))
                except (InputError, DeadlineExceededError) as exc:
                    # One damaged page is recorded; the other pages still parse.
                    window.release()
                    render_errors.append(exc)
                    failed_pages.append(ErrorItem(page_index=page_index,
                                                  reason=type(exc).__name__, message=str(exc)))
                    outcomes[idx] = _empty_outcome(
                        src.input_path, page_index,
                        None if src.single_image else src.page_count, 0, 0, settings)
                    continue
                except BaseException:
                    window.release()
                    raise
                if src.single_image:
                    page.page_index = None
                    page.page_count = None
                task = asyncio.create_task(finish(idx, page))
                running.add(task)
                task.add_done_callback(running.discard)
                # Surface a dead server at once instead of rendering the rest of the input.
                for t in list(running):
                    if t.done() and t.exception() is not None:
                        raise t.exception()  # type: ignore[misc]
            if submitted is not None:
                submitted.set()  # every page is in the window: the next input may start
            if running:
                await asyncio.gather(*running)
        except BaseException:
            for t in running:
                t.cancel()
            await asyncio.gather(*running, return_exceptions=True)
            raise
        finally:
            render_pool.shutdown(wait=False)
            store_pool.shutdown(wait=True)

        if render_errors and len(render_errors) == len(indices):
            raise render_errors[0]  # no page could be read: the input itself is bad
        doc = build_document(src.input_path, page_count if page_count is not None else 1,
                              [outcomes[i] for i in sorted(outcomes)], failed_pages,
                              started, layout.name, recognizer.name)
        if store is not None:
            doc = doc.with_images(store.images())
        doc = restructure_document(doc, opts)
        self._emit(DocumentDone(src.input_path, doc.status, len(doc.pages),
                                doc.stats.seconds, doc.stats.recognition_requests))
        return doc


_NO_PIXELS = np.zeros((0, 0, 3), dtype=np.uint8)


def _detect_one(layout: LayoutBackend, page: PageImage) -> list[Region]:
    return layout.detect([page.image])[0]


def _empty_outcome(
    input_path: str, page_index: int | None, page_count: int | None, width: int, height: int,
    settings: dict[str, Any],
) -> PageOutcome:
    """A page that failed as a whole: no blocks (its error item says why)."""
    return PageOutcome(
        page=Page(input_path=input_path, page_index=page_index, page_count=page_count,
                  width=width, height=height, model_settings=settings),
        images={},
    )

"""``AsyncParser``: documents flow through render → layout → plan/crop → recognize → assemble.

Pages of a document (and of concurrent documents) overlap: rendering runs ahead on one worker
thread per document, layout on a worker pool, recognition on the event loop; a page window
(``page_window``) bounds how many pages are in flight so memory stays flat however long the
input is. Finished pages are handed to an optional :class:`PageStore` as they complete.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import logging
import os
import threading
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import IO, Any, Union

from docparse.display import display_path, display_text
from docparse.document import Document, Origin
from docparse.errors import (
    ConfigurationError,
    DocParseError,
    ServerUnavailableError,
)
from docparse.events import (
    DocumentFailed,
    Event,
    EventCallback,
    Notice,
    ignore_event,
)
from docparse.layout import LayoutBackend, LoadsModel
from docparse.options import ParseOptions, resolve_options
from docparse.pipeline.arguments import check_backend, check_options
from docparse.pipeline.backends import build_layout, build_recognizer
from docparse.pipeline.document_run import DocumentRun, RunContext
from docparse.pipeline.lifecycle import finalize_async_parser
from docparse.pipeline.store import PageStore
from docparse.pipeline.window import PageWindow
from docparse.pipeline.workers import OldestPageFirstPool
from docparse.preprocess.page import Preprocessed
from docparse.recognize import Recognizer, WarmsUp
from docparse.sources import PageImage, Source

log = logging.getLogger("docparse")

SourceTypes = Union[str, "os.PathLike[str]", bytes, IO[bytes]]


@dataclass(frozen=True)
class ParseResult:
    """One input of :meth:`AsyncParser.parse_many`: a document, or the error that stopped it."""

    input: str
    document: Document | None = None
    error: DocParseError | None = None
    #: What was given to :meth:`AsyncParser.parse_many` for this input (to pair results that
    #: come in the order they finish).
    source: SourceTypes | None = None

    @property
    def ok(self) -> bool:
        return self.document is not None


async def _quietly(warm_up: Awaitable[None]) -> None:
    # Getting ready early is an optimisation: whatever goes wrong here, the first request
    # meets again and reports properly.
    try:
        await warm_up
    except Exception:
        log.debug("recognizer warm-up failed", exc_info=True)


def _origin_of(source: str | os.PathLike[str] | bytes, password: str | None) -> Origin | None:
    """What formats that draw pages need to render them again (see :class:`Origin`)."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return Origin(data=bytes(source), password=password)
    try:
        st = os.stat(source)
    except OSError:
        return None  # open_source reports the problem
    return Origin(path=os.fspath(source), password=password, size=st.st_size,
                  mtime_ns=st.st_mtime_ns)


def _input_label(source: SourceTypes, name: str | None) -> str:
    if name:
        return display_text(name)
    if isinstance(source, (str, os.PathLike)):
        return display_path(source)
    own = getattr(source, "name", None)
    return display_text(own) if isinstance(own, str) and own else "<bytes>"


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
        line_reader: Any = None,
        **overrides: Any,
    ) -> None:
        # `layout`/`recognizer` take a backend object, or (like the option) a backend name.
        if isinstance(layout, str):
            overrides["layout"], layout = layout, None
        if isinstance(recognizer, str):
            overrides["recognizer"], recognizer = recognizer, None
        check_options(options)
        check_backend("layout", layout)
        check_backend("recognizer", recognizer)
        if options is None:
            self.options = resolve_options(overrides)
        else:
            self.options = options.replace(**overrides) if overrides else options
        self._layout = layout
        self._recognizer = recognizer
        self._owns_recognizer = recognizer is None
        self._on_event = on_event or ignore_event
        workers = self.options.layout_workers or max(1, os.cpu_count() or 1)
        self._layout_pool = OldestPageFirstPool(workers, "docparse-layout")
        self._window: PageWindow | None = None
        self._page_sequence = itertools.count()
        # The PP-OCRv6 engine of the full orientation check: given (to share one loaded engine
        # between parsers, as the service and scale-out workers do) or built on first need.
        self._line_reader: Any = line_reader
        self._crops_only: Any = None
        self._reader_lock = threading.Lock()
        self._closed = False
        # Never closed: warn and stop the worker threads when it is collected (or at exit).
        self._finalizer = weakref.finalize(self, finalize_async_parser, self._layout_pool)
        self._version_checked = False
        self._warm_up_started = False
        self._warm_up: asyncio.Future[None] | None = None

    # ------------------------------------------------------------------ lifecycle
    async def __aenter__(self) -> AsyncParser:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._finalizer.detach()
        if self._warm_up is not None and not self._warm_up.done():
            self._warm_up.cancel()
            if self._warm_up.get_loop() is asyncio.get_running_loop():
                await asyncio.gather(self._warm_up, return_exceptions=True)
        # Only what it built: a recognizer passed in is the caller's to close (as a client
        # given to httpx), so one loaded recognizer can serve many parsers (service, workers).
        if self._recognizer is not None and self._owns_recognizer:
            await self._recognizer.aclose()
        self._layout_pool.shutdown(wait=False, cancel_futures=True)

    def _emit(self, event: Event) -> None:
        try:
            self._on_event(event)
        except Exception:  # a broken progress callback must not fail the parse
            log.warning("docparse: the on_event callback raised", exc_info=True)

    def _backends(self) -> tuple[LayoutBackend, Recognizer]:
        if self.options.pipeline_version == "auto" or not self._version_checked:
            # Once per parser, before any backend: the version decides layout and prompts.
            from docparse.pipeline.version_choice import choose_version

            self._version_checked = True
            version = choose_version(self.options)
            self.options = self.options.replace(
                pipeline_version=version.version.name, model=version.model or self.options.model
            )
            if version.notice:
                self._emit(Notice(version.notice))
        if self._layout is None:
            choice = build_layout(self.options)
            self._layout = choice.backend
            if choice.notice:
                self._emit(Notice(choice.notice))
        if self._recognizer is None:
            self._recognizer = build_recognizer(self.options)
        return self._layout, self._recognizer

    def _start_warm_up(self, layout: LayoutBackend, recognizer: Recognizer) -> None:
        """Load models and let the recogniser get ready while the first pages render, once per
        parser: the first page then meets loaded models, and the server gets its first request
        sooner. Loading goes on the workers ahead of every page (sequence -1); what fails here
        fails again, and is reported, where the page needs it."""
        if self._warm_up_started:
            return
        self._warm_up_started = True
        if isinstance(layout, LoadsModel):
            self._layout_pool.submit_for_page(-1, layout.load)
        if self.options.orientation == "auto":
            from docparse.preprocess.page import preload

            self._layout_pool.submit_for_page(-1, preload)
        if isinstance(recognizer, WarmsUp):
            self._warm_up = asyncio.ensure_future(_quietly(recognizer.warm_up()))

    def _orient(self, page: PageImage) -> tuple[PageImage, Preprocessed]:
        """A scanned page straightened and turned upright (runs in a worker thread)."""
        from docparse.preprocess.page import preprocess_page

        done = preprocess_page(page.image, self._reader)
        return dataclasses.replace(page, image=done.image), done

    def _check_text_layer(self, page: PageImage, font_verdicts: dict[str, bool]) -> PageImage:
        """A born-digital page with the text of fonts that do not draw what they say refused
        (:mod:`docparse.preprocess.fonts`; ``font_verdicts`` is the document's) and the
        symbols it draws as tiny images read into its text layer
        (:mod:`docparse.preprocess.glyphs`). Runs in a worker thread."""
        from docparse.preprocess.fonts import check_fonts
        from docparse.preprocess.glyphs import read_glyph_images

        return read_glyph_images(check_fonts(page, self._crop_reader, font_verdicts),
                                 self._crop_reader)

    def _crop_reader(self) -> Any:
        """What reads single-line crops on born-digital pages: the orientation check's engine
        when it exists (given, or built for a scan earlier), else the recognition-only reader,
        which loads in a tenth of the time (:mod:`docparse.recognize.crop_reader`; both read a
        crop alike)."""
        if self._line_reader is not None:
            return self._line_reader
        with self._reader_lock:
            if self._crops_only is None:
                from docparse.recognize.crop_reader import CropReader

                self._crops_only = CropReader()
            return self._crops_only

    def _reader(self) -> Any:
        """The PP-OCRv6 engine of the full orientation check, built on first need."""
        with self._reader_lock:
            if self._line_reader is None:
                from docparse.recognize.builtin_engine import RapidOcrEngine

                self._line_reader = RapidOcrEngine()
            return self._line_reader

    async def warm_up(self) -> None:
        """Start loading the models and getting the recogniser ready, in the background, and
        return at once. The first parse does this itself (parse_many before it takes its
        first input); call it earlier when work of your own comes before the first parse
        (a service starting up), so the first page meets loaded models. Raises what building the backends raises; a model that
        fails to load is reported by the first page that needs it."""
        self._start_warm_up(*self._backends())

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
        from docparse.sources.opener import open_source, read_stream, stream_name

        try:
            layout, recognizer = self._backends()
            self._start_warm_up(layout, recognizer)
            if not isinstance(source, (str, os.PathLike, bytes, bytearray, memoryview)):
                # A file object is read once; its bytes are also what the document keeps.
                name = stream_name(source, name)
                source = await asyncio.to_thread(read_stream, source, name)
            origin = await asyncio.to_thread(_origin_of, source, self.options.password)
            src = await asyncio.to_thread(
                open_source, source, password=self.options.password, name=name
            )
            try:
                doc = await self._parse_source(src, layout, recognizer, store, submitted)
            finally:
                src.close()
            return doc.with_origin(origin)
        finally:
            if submitted is not None:
                submitted.set()

    async def parse_many(
        self,
        sources: Iterable[SourceTypes],
        *,
        concurrency: int = 1,
        store_for: Callable[[SourceTypes], PageStore | None] | None = None,
        ordered: bool = True,
    ) -> AsyncIterator[ParseResult]:
        """Parse several inputs, yielding one :class:`ParseResult` per input: in input order,
        or with ``ordered=False`` as each finishes (``result.source`` tells which).

        Pages of all inputs share one flow bounded by the page window (``page_window``): a
        folder of one-page scans keeps as many pages in flight as the window allows.
        ``concurrency`` inputs are opened and rendered at a time; the next one starts as
        soon as one of them has handed its last page to the window, not when it is finished.
        A bad input does not stop the rest; an unreachable server
        (:class:`ServerUnavailableError`) does. ``store_for`` gives each input its
        :class:`PageStore` (finished pages persisted as they complete).

        In input order a slow input holds back the results after it, and only a window's
        worth may wait finished (memory): callers that need no order should say so."""
        # Missing models or bad backend options concern the whole run, not one input.
        self._start_warm_up(*self._backends())
        rendering = asyncio.Semaphore(max(1, concurrency))

        # Finished documents wait in memory until yielded, so a slow first input must not
        # let all the others pile up: at most a window's worth of inputs run ahead of the
        # consumer (their pages are bounded by the window anyway).
        room = asyncio.Semaphore(max(1, concurrency, self.options.page_window))
        # Inputs in the order they are to be yielded: put when started (ordered) or when
        # finished (unordered); None once ``sources`` is exhausted.
        turns: asyncio.Queue[asyncio.Future[ParseResult] | None] = asyncio.Queue()
        live: set[asyncio.Future[ParseResult]] = set()
        loop = asyncio.get_running_loop()

        def start(fut: asyncio.Future[ParseResult]) -> None:
            live.add(fut)
            if ordered:
                turns.put_nowait(fut)
            else:
                fut.add_done_callback(turns.put_nowait)

        async def feed() -> None:
            # The next input is taken only once it can start: work the caller does per input
            # as it hands it over (the CLI fingerprints it) happens as inputs are reached.
            queue = iter(sources)
            while True:
                await room.acquire()
                await rendering.acquire()
                try:
                    src = next(queue)
                except StopIteration:
                    rendering.release()
                    turns.put_nowait(None)
                    return
                except Exception as exc:  # the caller's iterator failed: the run ends with it
                    rendering.release()
                    failed: asyncio.Future[ParseResult] = loop.create_future()
                    failed.set_exception(exc)
                    start(failed)
                    return
                start(asyncio.ensure_future(self._parse_one(src, store_for, rendering)))

        feeder = asyncio.ensure_future(feed())
        exhausted = False
        try:
            while live or not exhausted:
                turn = await turns.get()
                if turn is None:
                    exhausted = True
                    continue
                result = await turn
                live.discard(turn)
                room.release()
                yield result
        finally:
            feeder.cancel()
            for fut in live:
                fut.cancel()
            await asyncio.gather(feeder, *live, return_exceptions=True)

    # ------------------------------------------------------------------ internals
    async def _parse_one(
        self, src: SourceTypes, store_for: Callable[[SourceTypes], PageStore | None] | None,
        rendering: asyncio.Semaphore,
    ) -> ParseResult:
        """One input of :meth:`parse_many`, started holding a ``rendering`` slot, which it
        gives back once its last page is in the window (or it is done)."""
        label = _input_label(src, None)
        submitted = asyncio.Event()
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
                return ParseResult(label, document=await task, source=src)
            except BaseException:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
                raise
        except (ServerUnavailableError, ConfigurationError):
            # A dead fleet or a wrong --model concerns every input, not this one.
            raise
        except DocParseError as exc:
            self._emit(DocumentFailed(label, str(exc)))
            return ParseResult(label, error=exc, source=src)
        except Exception as exc:
            log.debug("internal error on %s", label, exc_info=True)
            err = DocParseError(f"{label}: internal error: {type(exc).__name__}: {exc}")
            self._emit(DocumentFailed(label, str(err)))
            return ParseResult(label, error=err, source=src)
        finally:
            if not released:
                rendering.release()

    async def _parse_source(
        self, src: Source, layout: LayoutBackend, recognizer: Recognizer, store: PageStore | None,
        submitted: asyncio.Event | None = None,
    ) -> Document:
        if self._window is None:
            self._window = PageWindow(self.options.page_window, start=1)
        ctx = RunContext(options=self.options, layout=layout, recognizer=recognizer,
                         workers=self._layout_pool, window=self._window,
                         page_sequence=self._page_sequence, orient=self._orient,
                         check_text_layer=self._check_text_layer, emit=self._emit)
        return await DocumentRun(ctx, src, store, submitted).run()



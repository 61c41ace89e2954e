"""The convenience surface: ``parse``/``aparse`` and the sync ``Parser``.

The core is async (network fan-out); the sync twins run it on a private event loop in a
background thread, which also makes them work where a loop is already running (Jupyter).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import weakref
from collections.abc import Callable, Coroutine, Iterable, Iterator
from typing import Any, TypeVar

from docparse.document import Document
from docparse.events import EventCallback
from docparse.layout import LayoutBackend
from docparse.options import ParseOptions
from docparse.pipeline import AsyncParser, PageStore, ParseResult, SourceTypes
from docparse.pipeline.lifecycle import warn_unclosed
from docparse.recognize import Recognizer

T = TypeVar("T")


class _LoopThread:
    """A private event loop on a daemon thread; coroutines are submitted and awaited."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="docparse-loop",
                                        daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result()
        except BaseException:
            # Ctrl-C (or any error) in the calling thread: stop the coroutine and let it
            # unwind on the loop before anything else is scheduled there.
            future.cancel()
            concurrent.futures.wait([future], timeout=10)
            raise

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=5)
        self.loop.close()

    @property
    def thread(self) -> threading.Thread:
        return self._thread


def _finalize_parser(loop: _LoopThread, parser: AsyncParser) -> None:
    """A :class:`Parser` was garbage-collected (or the process exits) without ``close()``."""
    warn_unclosed("docparse.Parser")
    if loop.loop.is_closed():
        return
    if threading.current_thread() is loop.thread:
        # Collected on its own loop thread: cannot wait for the loop here; just stop it.
        _stop_workers(parser)
        loop.loop.call_soon_threadsafe(loop.loop.stop)
        return
    try:
        future = asyncio.run_coroutine_threadsafe(parser.aclose(), loop.loop)
        future.result(timeout=5)
    except Exception:  # best effort: the worker threads are stopped in any case
        _stop_workers(parser)
    finally:
        loop.stop()


def _stop_workers(parser: AsyncParser) -> None:
    parser._finalizer.detach()  # one warning (the Parser's) is enough
    parser._layout_pool.shutdown(wait=False, cancel_futures=True)


class Parser:
    """Loads models once and parses many inputs, synchronously.

    >>> with docparse.Parser(server_url=["http://gpu-box:8000/v1"]) as parser:
    ...     for result in parser.parse_many(["a.pdf", "b.png"]):
    ...         print(result.input, result.document.status if result.ok else result.error)
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
        self._loop = _LoopThread()
        try:
            self._async = AsyncParser(options, layout=layout, recognizer=recognizer,
                                      on_event=on_event, **overrides)
        except BaseException:
            self._loop.stop()
            raise
        # Never closed: warn, close the parser and stop the loop thread when it is collected
        # (or at exit). The callback holds the loop and the async parser, never ``self``.
        self._finalizer = weakref.finalize(self, _finalize_parser, self._loop, self._async)

    @property
    def options(self) -> ParseOptions:
        return self._async.options

    def backend_names(self) -> tuple[str, str]:
        """The layout backend's and recognizer's names these options resolve to."""
        return self._async.backend_names()

    def warm_up(self) -> None:
        """Start loading models and getting the recogniser ready in the background; returns
        at once (see :meth:`AsyncParser.warm_up`)."""
        self._loop.run(self._async.warm_up())

    def parse(self, source: SourceTypes, *, name: str | None = None,
              store: PageStore | None = None) -> Document:
        """Parse one input (path, bytes or binary file object)."""
        return self._loop.run(self._async.parse(source, name=name, store=store))

    def parse_many(
        self,
        sources: Iterable[SourceTypes],
        *,
        concurrency: int = 1,
        store_for: Callable[[SourceTypes], PageStore | None] | None = None,
        ordered: bool = True,
    ) -> Iterator[ParseResult]:
        """One :class:`ParseResult` per input, in input order (or as each finishes, with
        ``ordered=False``); bad inputs do not stop the rest."""
        agen = self._async.parse_many(sources, concurrency=concurrency, store_for=store_for,
                                      ordered=ordered)

        async def next_result() -> ParseResult:
            return await agen.__anext__()

        async def close() -> None:
            await agen.aclose()  # type: ignore[attr-defined]

        try:
            while True:
                try:
                    yield self._loop.run(next_result())
                except StopAsyncIteration:
                    return
        finally:
            if not self._loop.loop.is_closed():
                try:
                    self._loop.run(close())
                except RuntimeError:
                    pass  # still running after an interrupt: the loop is being torn down

    def close(self) -> None:
        self._finalizer.detach()
        try:
            self._loop.run(self._async.aclose())
        finally:
            self._loop.stop()

    def __enter__(self) -> Parser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def parse(
    source: SourceTypes,
    options: ParseOptions | None = None,
    *,
    name: str | None = None,
    on_event: EventCallback | None = None,
    **overrides: Any,
) -> Document:
    """Parse one document.

    ``name`` labels in-memory input (``bytes``, file objects) in messages and output names.
    ``overrides`` are :class:`ParseOptions` fields (``dpi=200``, ``server_url=[...]``, ...);
    ``DOCPARSE_*`` environment variables fill the rest when ``options`` is not given.

    >>> doc = docparse.parse("invoice.pdf")
    >>> doc.save_to_markdown("out/")
    """
    with Parser(options, on_event=on_event, **overrides) as parser:
        return parser.parse(source, name=name)


async def aparse(
    source: SourceTypes,
    options: ParseOptions | None = None,
    *,
    name: str | None = None,
    on_event: EventCallback | None = None,
    **overrides: Any,
) -> Document:
    """Async twin of :func:`parse`."""
    async with AsyncParser(options, on_event=on_event, **overrides) as parser:
        return await parser.parse(source, name=name)

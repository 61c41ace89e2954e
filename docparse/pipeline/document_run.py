"""One document through the page path: pages rendered ahead on one thread, each page's CPU
stages on the shared worker pool, recognition on the event loop, all bounded by the parser's
page window; then the document assembled from its pages."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass

from docparse.document import Document, ErrorItem, Page
from docparse.errors import (
    ConfigurationError,
    DeadlineExceededError,
    DocParseError,
    InputError,
    ServerUnavailableError,
)
from docparse.events import BlockFailed, DocumentDone, DocumentStarted, Event, PageDone
from docparse.layout import LayoutBackend, Region
from docparse.options import ParseOptions
from docparse.pagespec import select_pages
from docparse.pipeline.document_build import build_document, restructure_document
from docparse.pipeline.page_run import PageOutcome, model_settings, process_page
from docparse.pipeline.store import PageStore
from docparse.pipeline.window import PageWindow
from docparse.pipeline.workers import OldestPageFirstPool
from docparse.preprocess.page import Preprocessed
from docparse.recognize import Recognizer
from docparse.sources import PageImage, Source

log = logging.getLogger("docparse")


@dataclass(frozen=True)
class RunContext:
    """What a document run borrows from its parser (shared by every document it parses)."""

    options: ParseOptions
    layout: LayoutBackend
    recognizer: Recognizer
    #: Worker pool for the CPU stages (orientation, layout), oldest page first.
    workers: OldestPageFirstPool
    #: Bounds the pages in flight across every document of the parser.
    window: PageWindow
    #: Numbers pages in the order they enter the window, across every document: the workers'
    #: priority (a page that has started is finished before a later one).
    page_sequence: Iterator[int]
    #: Straightens a scanned page and turns it upright: (page) -> (page, record). Runs on
    #: ``workers``.
    orient: Callable[[PageImage], tuple[PageImage, Preprocessed]]
    #: Checks a born-digital page's text layer against its pixels: refuses the text of fonts
    #: that do not draw what they say, reads the symbols drawn as tiny images into it:
    #: (page, the document's font verdicts) -> page. Runs on ``workers``.
    check_text_layer: Callable[[PageImage, dict[str, bool]], PageImage]
    emit: Callable[[Event], None]


class DocumentRun:
    def __init__(self, ctx: RunContext, src: Source, store: PageStore | None,
                 submitted: asyncio.Event | None = None) -> None:
        self.ctx, self.src, self.store = ctx, src, store
        #: Set once every page has entered the page window, so the next input may start.
        self.submitted = submitted
        opts = ctx.options
        self.indices = select_pages(opts.pages, src.page_count)
        if not self.indices:
            raise InputError(src.input_path,
                             f"--pages {opts.pages!r} selects no page of {src.page_count}")
        self.settings = model_settings(opts, ctx.layout.name, ctx.recognizer.name)
        self.deadline_at = time.monotonic() + opts.deadline if opts.deadline else None
        self.outcomes: dict[int, PageOutcome] = {}
        self.failed_pages: list[ErrorItem] = []
        self.render_errors: list[DocParseError] = []
        #: Fonts of this document judged by reading them (True: a liar), shared by its pages.
        self.font_verdicts: dict[str, bool] = {}

    async def run(self) -> Document:
        started = time.perf_counter()
        self.ctx.emit(DocumentStarted(self.src.input_path, len(self.indices)))
        await self._pages()
        if self.render_errors and len(self.render_errors) == len(self.indices):
            raise self.render_errors[0]  # no page could be read: the input itself is bad
        src, ctx = self.src, self.ctx
        # Off the event loop: reading them waits for the MuPDF lock, which another input's
        # render thread may hold, and inflates up to a few MiB.
        attachments = await asyncio.to_thread(src.attachments)
        doc = build_document(src.input_path, 1 if src.single_image else src.page_count,
                             [self.outcomes[i] for i in sorted(self.outcomes)], self.failed_pages,
                             started, ctx.layout.name, ctx.recognizer.name,
                             attachments=attachments)
        if self.store is not None:
            doc = doc.with_images(self.store.images())
        doc = restructure_document(doc, ctx.options)
        ctx.emit(DocumentDone(src.input_path, doc.status, len(doc.pages), doc.stats.seconds,
                              doc.stats.recognition_requests))
        return doc

    async def _pages(self) -> None:
        """Render page after page (one thread per document: sources are not thread-safe) and
        start each page's stages as soon as the window has room."""
        render_pool = ThreadPoolExecutor(1, thread_name_prefix="docparse-render")
        # One writer per document keeps its page files in completion order.
        store_pool = ThreadPoolExecutor(1, thread_name_prefix="docparse-store")
        running: set[asyncio.Task[None]] = set()
        try:
            for idx in self.indices:
                if self._resumed(idx):
                    continue
                rendered = await self._render(idx, render_pool)
                if rendered is None:
                    continue
                task = asyncio.create_task(self._page(idx, *rendered, store_pool))
                # The page is the task's now: held here too, its pixels would outlive its
                # window slot while the next page waits for one (the window bounds memory).
                del rendered
                running.add(task)
                task.add_done_callback(running.discard)
                # Surface a dead server at once instead of rendering the rest of the input.
                for t in list(running):
                    if t.done() and t.exception() is not None:
                        raise t.exception()  # type: ignore[misc]
            if self.submitted is not None:
                self.submitted.set()  # every page is in the window: the next input may start
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

    def _page_index(self, idx: int) -> int | None:
        return None if self.src.single_image else idx

    def _resumed(self, idx: int) -> bool:
        done = self.store.load(self._page_index(idx)) if self.store is not None else None
        if done is None:
            return False
        self.outcomes[idx] = PageOutcome(page=done[0], images=done[1])
        self.ctx.emit(PageDone(self.src.input_path, self._page_index(idx),
                               len(done[0].parsing_res_list), 0, resumed=True))
        return True

    async def _render(self, idx: int, pool: Executor) -> tuple[int, PageImage] | None:
        """The page's sequence number and pixels (holding a window slot), or None after
        recording why not."""
        opts, src = self.ctx.options, self.src
        # The text layer also tells scans from born-digital pages (orientation check), so it is
        # read whenever either needs it; with text_layer "off" it is dropped after that.
        with_text = opts.text_layer != "off" or opts.orientation == "auto"
        await self.ctx.window.acquire()
        seq = next(self.ctx.page_sequence)
        try:
            page = await asyncio.get_running_loop().run_in_executor(
                pool, functools.partial(src.render, idx, dpi=opts.dpi, with_text_layer=with_text,
                                        turn=opts.orientation == "auto"))
        except (InputError, DeadlineExceededError) as exc:
            # One damaged page is recorded; the other pages still parse.
            self.ctx.window.release()
            self.render_errors.append(exc)
            self._failed(idx, exc.reason, str(exc), width=0, height=0)
            return None
        except BaseException:
            self.ctx.window.release()
            raise
        if src.single_image:
            page = dataclasses.replace(page, page_index=None, page_count=None)
        return seq, page

    async def _page(self, idx: int, seq: int, page: PageImage, store_pool: Executor) -> None:
        """One page's stages; its failure is recorded, never lost with the document."""
        width, height = page.width, page.height
        try:
            out = await self._stages(idx, seq, page)
            del page  # the pixels go before the slot frees, so the window bounds memory
            if self.store is not None:
                # Off the loop: each page is fsynced, which would stall every request.
                await asyncio.get_running_loop().run_in_executor(
                    store_pool, self.store.save, out.page, out.images)
                out.images = {}  # on disk now; memory stays flat over long documents
            self.outcomes[idx] = out
            self._report(out.page)
        except (ServerUnavailableError, ConfigurationError, asyncio.CancelledError):
            # Run-level problems (no server answers, the server has no such model) must stop
            # the run with one clear error, not become a failed page per page.
            raise
        except Exception as exc:  # one page's failure (or bug) must not lose the document
            if isinstance(exc, DocParseError):
                self._failed(idx, exc.reason, str(exc), width, height)
            else:
                # The item carries the message; the traceback only with DOCPARSE_LOG=debug.
                log.debug("page %s of %s failed", idx + 1, self.src.input_path, exc_info=True)
                self._failed(idx, "internal_error", f"{type(exc).__name__}: {exc}", width, height)
        finally:
            self.ctx.window.release()

    async def _stages(self, idx: int, seq: int, page: PageImage) -> PageOutcome:
        ctx, opts = self.ctx, self.ctx.options
        if self.deadline_at is not None and time.monotonic() > self.deadline_at:
            raise DeadlineExceededError(f"{self.src.input_path}: deadline of {opts.deadline:g} s "
                                        f"passed before page {idx + 1}")
        scanned = not (page.text_layer and page.text_layer.lines)
        if opts.text_layer == "off":
            page = dataclasses.replace(page, text_layer=None)
        preprocessed: Preprocessed | None = None
        if opts.orientation == "auto" and scanned:
            page, preprocessed = await asyncio.wrap_future(
                ctx.workers.submit_for_page(seq, ctx.orient, page))
        elif page.text_layer is not None and (page.text_layer.small_images
                                              or page.text_layer.unverified_fonts):
            page = await asyncio.wrap_future(ctx.workers.submit_for_page(
                seq, ctx.check_text_layer, page, self.font_verdicts))
        regions: list[Region] = await asyncio.wrap_future(
            ctx.workers.submit_for_page(seq, _detect_one, ctx.layout, page))
        # The window opens for more pages once this one's crops are encoded, not at the end of
        # its layout: the next pages' rendering (a PDF page holds the GIL while it renders)
        # would otherwise delay this page's requests (measured on a 56-page PDF: first request
        # 0.11 s later, the fourth 0.16 s).
        return await process_page(page, regions, options=opts, layout=ctx.layout,
                                  recognizer=ctx.recognizer, settings=self.settings,
                                  preprocessed=preprocessed, deadline_at=self.deadline_at,
                                  cpu_stages_done=ctx.window.page_through_cpu_stages)

    def _report(self, page: Page) -> None:
        for b in page.parsing_res_list:
            if b.status == "failed" and b.error is not None:
                self.ctx.emit(BlockFailed(self.src.input_path, page.page_index, b.block_id,
                                          b.block_label, b.error.reason, b.error.message))
        failed = sum(1 for b in page.parsing_res_list if b.status == "failed")
        self.ctx.emit(PageDone(self.src.input_path, page.page_index,
                               len(page.parsing_res_list), failed))

    def _failed(self, idx: int, reason: str, message: str, width: int, height: int) -> None:
        """A page that failed as a whole: recorded, and kept as a page without blocks."""
        page_index = self._page_index(idx)
        self.failed_pages.append(ErrorItem(page_index=page_index, reason=reason, message=message))
        page_count = None if self.src.single_image else self.src.page_count
        self.outcomes[idx] = PageOutcome(
            page=Page(input_path=self.src.input_path, page_index=page_index,
                      page_count=page_count, width=width, height=height,
                      model_settings=self.settings),
            images={},
        )


def _detect_one(layout: LayoutBackend, page: PageImage) -> list[Region]:
    return layout.detect([page.image])[0]


__all__ = ["DocumentRun", "RunContext"]

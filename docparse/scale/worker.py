"""What runs on a cluster worker: probing an input, and parsing page ranges of documents.

A :class:`PageWorker` lives as long as the job (a Ray actor with one CPU): it loads the
layout model and the recognizer once and parses the ranges it is given, several at a time,
with document-level passes left to the driver. Finished pages go to the document's work
folder as they complete.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from typing import Any

from docparse.errors import ConfigurationError, DocParseError, ServerUnavailableError
from docparse.events import BlockFailed, Event, Notice, PageDone
from docparse.scale.adapter import (
    LayoutBackend,
    ParseOptions,
    Recognizer,
    build_layout,
    build_recognizer,
    new_line_reader,
    page_range_options,
    range_parser,
)
from docparse.scale.plan import InputRef, Probe, RangeResult, RangeTask, counters_of
from docparse.scale.storage import FsPageStore, read_input, sha256_of

#: Builds a layout backend inside the worker (tests inject faulty ones); None = from options.
LayoutFactory = Callable[[ParseOptions], LayoutBackend]


def probe(ref: InputRef, password: str | None) -> Probe:
    """Page count and content hash of one input (raises ``InputError`` for a bad one)."""
    from docparse.sources.opener import open_source

    source: Any = ref.uri if ref.local else read_input(ref)
    with open_source(source, password=password, name=None if ref.local else ref.uri) as src:
        return Probe(sha256=sha256_of(ref), page_count=src.page_count,
                     single_image=bool(src.single_image), attachments=src.attachments())


class PageWorker:
    """Parses page ranges with models loaded once per worker process."""

    def __init__(
        self,
        options: ParseOptions,
        *,
        limiter: Any = None,
        hub: Any = None,
        layout_factory: LayoutFactory | None = None,
    ) -> None:
        self.options = options
        self.limiter = limiter
        self.hub = hub
        self.holder = f"{os.uname().nodename}:{os.getpid()}"
        self.layout_factory = layout_factory
        self._layout: LayoutBackend | None = None
        self._recognizer: Recognizer | None = None
        self._line_reader: Any = new_line_reader()
        self._notices: list[str] = []

    def pid(self) -> int:
        return os.getpid()

    async def probe(self, ref: InputRef, password: str | None) -> Probe | tuple[str, str]:
        """:func:`probe` on this worker; a bad input comes back as (error class, message)."""
        try:
            return await asyncio.to_thread(probe, ref, password)
        except DocParseError as exc:
            return type(exc).__name__, str(exc)
        except OSError as exc:
            return "InputError", f"{ref.uri}: cannot read: {exc}"

    def holder_name(self) -> str:
        return self.holder

    def _backends(self) -> tuple[LayoutBackend, Recognizer]:
        if self._layout is None:
            if self.layout_factory is not None:
                self._layout = self.layout_factory(self.options)
            else:
                choice = build_layout(self.options)
                self._layout = choice.backend
                if choice.notice:
                    self._notices.append(choice.notice)
        if self._recognizer is None:
            recognizer = build_recognizer(self.options)
            if recognizer.name == "vlm" and self.limiter is not None:
                from docparse.recognize.vlm.recognizer import VlmRecognizer
                from docparse.scale.limiter import capped_client_factory

                recognizer = VlmRecognizer(self.options, http_client_factory=capped_client_factory(
                    self.limiter, self.holder))
            self._recognizer = recognizer
        return self._layout, self._recognizer

    def _forward(self, event: Event) -> None:
        # Per-page progress goes to the driver; document events are the driver's own.
        if self.hub is not None and isinstance(event, (PageDone, BlockFailed, Notice)):
            self.hub.push.remote(event)

    async def parse_range(self, task: RangeTask) -> RangeResult:
        layout, recognizer = self._backends()
        for notice in self._notices:
            self._forward(Notice(notice))
        self._notices.clear()
        opts = page_range_options(self.options, task.pages)
        parser = range_parser(opts, layout, recognizer, self._forward, self._line_reader)
        store = FsPageStore(task.work, task.fingerprint)
        source: Any = task.input.uri
        name = None
        if not task.input.local:
            source = await asyncio.to_thread(read_input, task.input)
            name = task.input.uri
        try:
            doc = await parser.parse(source, name=name, store=store)
        except (ServerUnavailableError, ConfigurationError):
            raise  # the whole run stops, as for local batches
        except DocParseError as exc:
            return RangeResult(task.doc, task.index, error_type=type(exc).__name__,
                               error=str(exc), worker_pid=os.getpid())
        except Exception as exc:  # a bug on one input must not stop the others
            return RangeResult(task.doc, task.index, error_type="internal_error",
                               error=f"{task.input.uri}: internal error: {type(exc).__name__}: {exc}",
                               worker_pid=os.getpid())
        finally:
            await parser.aclose()
        return RangeResult(
            task.doc, task.index, pages=doc.pages, errors=doc.errors,
            layout_name=layout.name, recognizer_name=recognizer.name,
            counters=counters_of(doc.stats), worker_pid=os.getpid(),
        )

    async def close(self) -> None:
        if self._recognizer is not None:
            await self._recognizer.aclose()

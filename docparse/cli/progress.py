"""Rendering library events for people (rich progress bar) or machines (JSON lines)."""

from __future__ import annotations

import dataclasses
import json
import sys
import time
from typing import IO, Any

from docparse.display import display_text
from docparse.events import (
    BlockFailed,
    DocumentDone,
    DocumentFailed,
    DocumentStarted,
    Event,
    Notice,
    PageDone,
)


class JsonLogRenderer:
    """``--log-json``: one JSON object per event on stderr."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream or sys.stderr

    def __call__(self, event: Event) -> None:
        record: dict[str, Any] = {"event": type(event).__name__, "time": round(time.time(), 3)}
        record.update(dataclasses.asdict(event))
        # display_text: a stray undecodable file name in a message must not break the log.
        self.stream.write(display_text(json.dumps(record, ensure_ascii=False)) + "\n")
        self.stream.flush()

    def start(self) -> None: ...

    def stop(self) -> None: ...


class RichRenderer:
    """A progress bar over all pages of the run, with pages/s and ETA; notices and block
    failures printed above it."""

    def __init__(self, stream: IO[str] | None = None, *, quiet: bool = False) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.console = Console(file=stream or sys.stderr, stderr=stream is None)
        self.quiet = quiet
        self.progress = Progress(
            TextColumn("[bold]parsing"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("pages"),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
            console=self.console,
            transient=True,
            disable=quiet,
        )
        self.task = self.progress.add_task("parse", total=0, rate="")
        self.total = 0
        self.done = 0
        #: Pages finished by an earlier run (``--resume``): progress, but not speed.
        self.reused = 0
        self.t0 = time.perf_counter()
        self._notices: set[str] = set()

    def start(self) -> None:
        # A live bar only on a terminal; pipes and CI logs get the one-line messages alone.
        if self.console.is_terminal:
            self.progress.start()

    def stop(self) -> None:
        if self.progress.live.is_started:
            self.progress.stop()

    def __call__(self, event: Event) -> None:
        if isinstance(event, DocumentStarted):
            self.total += event.page_count
            self.progress.update(self.task, total=self.total)
        elif isinstance(event, PageDone):
            self.done += 1
            self.reused += int(event.resumed)
            elapsed = max(1e-6, time.perf_counter() - self.t0)
            rate = (self.done - self.reused) / elapsed
            self.progress.update(self.task, completed=self.done, rate=f"{rate:.2f} pages/s")
        elif isinstance(event, BlockFailed) and not self.quiet:
            from rich.markup import escape

            page = "" if event.page_index is None else f" page {event.page_index + 1}"
            detail = (f"{event.input_path}{page} block {event.block_id} ({event.label}): "
                      f"{event.reason}: {event.message}")
            self.progress.console.print(f"[yellow]warning[/]: {escape(detail)}",
                                        highlight=False, markup=True, soft_wrap=True)
        elif isinstance(event, Notice) and not self.quiet and event.message not in self._notices:
            self._notices.add(event.message)
            self.progress.console.print(
                f"docparse: {event.message}", highlight=False, markup=False, soft_wrap=True
            )
        elif isinstance(event, (DocumentDone, DocumentFailed)):
            pass

"""The page window: how many pages are in flight across every document of a parser, opened
gradually at the start of a run.

The window bounds memory (a page holds its pixels until it is done). Opened all at once, it also
makes the first pages slow: a folder of scans starts rendering and pre-processing a whole
window of pages together, page 1 gets a sixteenth of the CPU, and the server waits for its first
request (measured on 40 scans with a 16-page window: first request after 1.45 s, against 1.0 s
on 4 scans). So the window starts with room for one page and grows by two each time a page is
through its CPU stages (its crops encoded, only its requests left), the way TCP's slow start
opens a connection: page 1 reaches the server as early as if it were alone, and the window is
full (same memory bound) by the time there is work queued at the server to wait behind. (A
start of two pages, one per CPU worker, let page 2's rendering and orientation check take a
core from page 1's layout: on 40 scans the first request left 0.07-0.14 s later, median of 10
starts each.)
"""

from __future__ import annotations

import asyncio


class PageWindow:
    """At most ``limit`` pages in flight; room for ``start`` at first, +``step`` per
    :meth:`page_through_cpu_stages` until ``limit``.

    Example::

        window = PageWindow(16, start=2)
        await window.acquire()          # a page enters (rendering)
        window.page_through_cpu_stages()  # its layout is done: two more may enter
        window.release()                # the page is finished
    """

    def __init__(self, limit: int, *, start: int, step: int = 2) -> None:
        if limit < 1 or start < 1 or step < 1:
            raise ValueError("limit, start and step must be at least 1")
        self.limit = limit
        self.size = min(start, limit)
        self._step = step
        self._slots = asyncio.Semaphore(self.size)

    async def acquire(self) -> None:
        await self._slots.acquire()

    def release(self) -> None:
        self._slots.release()

    def page_through_cpu_stages(self) -> None:
        """One page has left the CPU stages for the server: open the window a little more."""
        grow = min(self._step, self.limit - self.size)
        for _ in range(grow):
            self._slots.release()  # a new slot, never taken: the window is larger by one
        self.size += grow


__all__ = ["PageWindow"]

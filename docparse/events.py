"""Progress as events. The library emits them; only the CLI renders them.

Pass ``on_event=callback`` to :func:`docparse.parse` or :class:`docparse.Parser`; the callback
is called from the event loop's thread and must not block.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class DocumentStarted:
    input_path: str
    page_count: int


@dataclass(frozen=True)
class PageDone:
    input_path: str
    page_index: int | None
    blocks: int
    failed_blocks: int
    #: True when the page came from a previous run's finished work (``--resume``).
    resumed: bool = False


@dataclass(frozen=True)
class BlockFailed:
    input_path: str
    page_index: int | None
    block_id: int
    label: str
    reason: str
    message: str


@dataclass(frozen=True)
class DocumentDone:
    input_path: str
    status: str
    pages: int
    seconds: float
    recognition_requests: int = 0


@dataclass(frozen=True)
class DocumentFailed:
    input_path: str
    message: str


@dataclass(frozen=True)
class Notice:
    """A one-line message for the user (e.g. which layout backend was chosen and why)."""

    message: str


Event = DocumentStarted | PageDone | BlockFailed | DocumentDone | DocumentFailed | Notice
EventCallback = Callable[[Event], None]


def ignore_event(event: Event) -> None:
    """The default callback."""

"""What a distributed batch is made of: documents, page ranges, and what comes back.

Frozen records only; they cross process boundaries (pickled by Ray), so they hold plain data.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from docparse.scale.adapter import Attachment, ErrorItem, Page


@dataclass(frozen=True)
class InputRef:
    """One input: a local path or an fsspec URL, and where its outputs go."""

    #: What the document's ``input_path`` says (the path as given, or the URL).
    uri: str
    #: True for a local path (opened by path, as the local engine does).
    local: bool
    #: Output sub-folder (relative, ``""`` for the top) and file stem.
    relative_dir: str
    stem: str


@dataclass(frozen=True)
class Probe:
    """What the scheduler needs to know about an input before splitting it."""

    sha256: str
    page_count: int
    single_image: bool
    #: Files embedded in the input, read once here (the ranges' workers never see them).
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True)
class RangeTask:
    """Pages of one document for one worker call."""

    doc: int
    index: int
    input: InputRef
    #: 1-based page spec of the range (``"17-32"``), as ``ParseOptions.pages`` takes it.
    pages: str
    page_count: int
    #: The document's work folder (finished pages, pictures) and resume fingerprint.
    work: str
    fingerprint: dict[str, Any]


@dataclass(frozen=True)
class RangeResult:
    """A parsed range: its pages (no document-level pass yet) and its counters."""

    doc: int
    index: int
    pages: tuple[Page, ...] = ()
    #: Failures of blocks (``block_id`` set) and of whole pages (``block_id`` None).
    errors: tuple[ErrorItem, ...] = ()
    layout_name: str = ""
    recognizer_name: str = ""
    counters: dict[str, Any] = field(default_factory=dict)
    #: Set when the range could not be parsed at all: the error's class name and message.
    error_type: str | None = None
    error: str | None = None
    worker_pid: int = 0


def page_spec(indices: list[int]) -> str:
    """0-based indices → the shortest 1-based spec: ``[0, 1, 2, 6]`` → ``"1-3,7"``."""
    parts: list[str] = []
    start = prev = indices[0]
    for i in [*indices[1:], None]:
        if i is not None and i == prev + 1:
            prev = i
            continue
        parts.append(f"{start + 1}" if start == prev else f"{start + 1}-{prev + 1}")
        if i is not None:
            start = prev = i
    return ",".join(parts)


def split_pages(indices: list[int], pages_per_task: int) -> list[str]:
    """Consecutive chunks of the selected pages, each as a page spec."""
    size = max(1, pages_per_task)
    return [page_spec(indices[i:i + size]) for i in range(0, len(indices), size)]


def counters_of(stats: Any) -> dict[str, Any]:
    """A range's share of the volatile statistics (summed over ranges at assembly)."""
    return {
        "requests": stats.recognition_requests,
        "retries": stats.retries,
        "requests_saved": Counter(stats.requests_saved),
        "endpoints": Counter(stats.endpoints),
        "official_requests": stats.official_requests,
        "truncated": stats.truncated_blocks,
        "timings": dict(stats.timings),
    }

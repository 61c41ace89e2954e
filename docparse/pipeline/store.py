"""Where finished pages go as they complete (crash-safe output, ``--resume``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from docparse.document import Page


class PageStore(Protocol):
    """Persist finished pages and hand back the ones a previous run already finished."""

    def load(self, page_index: int | None) -> tuple[Page, dict[str, bytes]] | None:
        """A page finished earlier with the same input and options, or None."""
        ...

    def save(self, page: Page, images: dict[str, bytes]) -> None:
        """Persist a finished page (called once per page, from one writer thread per document,
        so it may block on disk without stalling the event loop)."""
        ...

    def images(self) -> Mapping[str, bytes]:
        """Every picture saved so far (read lazily), to assemble the document from."""
        ...

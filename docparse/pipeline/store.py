"""Where finished pages go as they complete (crash-safe output, ``--resume``)."""

from __future__ import annotations

from typing import Protocol

from docparse.document import Page


class PageStore(Protocol):
    """Persist finished pages and hand back the ones a previous run already finished."""

    def load(self, page_index: int | None) -> tuple[Page, dict[str, bytes]] | None:
        """A page finished earlier with the same input and options, or None."""
        ...

    def save(self, page: Page, images: dict[str, bytes]) -> None:
        """Persist a finished page (called once per page, from the event loop thread)."""
        ...

"""Content records the stages hand each other: what a block holds, and blocks found outside
every layout box. Plain frozen data (picklable), shared by the text layer, the recognisers and
page assembly."""

from __future__ import annotations

from dataclasses import dataclass

from docparse.document import BlockError, BlockStatus, ContentSource
from docparse.geometry import IntBox


@dataclass(frozen=True)
class BlockContent:
    """A block's content, where it came from, and whether it was had."""

    content: str
    source: ContentSource
    status: BlockStatus = "ok"
    error: BlockError | None = None
    #: Picture file name (pictures, charts, seals), relative to the picture folder.
    image: str | None = None


@dataclass(frozen=True)
class ExtraBlock:
    """Content found outside every layout box (kept as a text block of its own)."""

    label: str
    bbox: IntBox
    content: str
    source: ContentSource

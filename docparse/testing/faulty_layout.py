"""A layout backend that kills its own process on chosen pages, for fault-handling tests.

``CrashOnPageSize(width, height)`` is a layout *factory* (what
:class:`docparse.scale.RayOptions` ``layout_factory`` takes): it builds the layout the options
name, and the process running it exits at once (no exception, no cleanup, as a segfault in a
native library would) whenever it is given a page of exactly that size. Every other page is
detected normally, so the rest of a batch parses as usual.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from docparse.layout import LayoutBackend, Region
from docparse.options import ParseOptions

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt


class _Crashing:
    def __init__(self, inner: LayoutBackend, size: tuple[int, int]) -> None:
        self.inner = inner
        self.name = inner.name
        self.size = size

    def detect(self, images: Sequence[npt.NDArray[np.uint8]]) -> list[list[Region]]:
        for image in images:
            if (image.shape[1], image.shape[0]) == self.size:
                os._exit(70)  # dies as a crashed native library would: no cleanup
        return self.inner.detect(images)


@dataclass(frozen=True)
class CrashOnPageSize:
    """Layout factory: the options' layout, crashing its process on ``width``×``height`` pages."""

    width: int
    height: int

    def __call__(self, options: ParseOptions) -> LayoutBackend:
        from docparse.pipeline.backends import build_layout

        return _Crashing(build_layout(options).backend, (self.width, self.height))

"""A parser closes what it built and nothing it was given: one loaded recognizer can serve many
parsers (the service, scale-out workers), as a client given to httpx stays the caller's."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import numpy as np
from PIL import Image

from docparse.geometry import IntBox
from docparse.layout import Region
from docparse.layout.fixed import FixedLayout
from docparse.pipeline import AsyncParser
from docparse.recognize import PageRecognition, RecognitionResult, RecognitionTask
from docparse.sources import PageImage


class Counting:
    name = "counting"
    needs_crops = True

    def __init__(self) -> None:
        self.closed = 0
        self.pages = 0

    async def recognize_page(self, page: PageImage, tasks: Sequence[RecognitionTask], *,
                             layout_boxes: Sequence[IntBox] = (),
                             deadline_at: float | None = None) -> PageRecognition:
        self.pages += 1
        return PageRecognition({t.block_id: RecognitionResult(t.block_id, f"block {t.block_id}",
                                                              "vlm") for t in tasks})

    async def aclose(self) -> None:
        self.closed += 1


def test_a_recognizer_passed_in_outlives_its_parsers(tmp_path: object) -> None:
    import io

    buf = io.BytesIO()
    Image.fromarray(np.full((100, 200, 3), 255, dtype=np.uint8)).save(buf, format="PNG")
    layout = FixedLayout([Region("text", (0.1, 0.1, 0.9, 0.5), 0.9)])
    shared = Counting()

    async def run() -> list[str]:
        texts = []
        for _ in range(2):
            async with AsyncParser(layout=layout, recognizer=shared, orientation="off") as p:
                doc = await p.parse(buf.getvalue(), name="a.png")
                texts.append(doc.pages[0].blocks[0].block_content)
        return texts

    assert asyncio.run(run()) == ["block 0", "block 0"]
    assert shared.pages == 2 and shared.closed == 0

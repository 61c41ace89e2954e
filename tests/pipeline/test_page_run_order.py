"""process_page tells its caller when the page's own CPU work is over: after the recogniser has
prepared the page's tasks, before any of them is recognised (the page window opens for the
next pages then, so their rendering does not hold up this page's requests)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import numpy as np

from docparse.geometry import IntBox
from docparse.layout import Region
from docparse.layout.fixed import FixedLayout
from docparse.options import ParseOptions
from docparse.pipeline.page_run import process_page
from docparse.recognize import PageRecognition, RecognitionResult, RecognitionTask
from docparse.sources import PageImage


class Preparing:
    name = "preparing"
    needs_crops = True

    def __init__(self, events: list[str]) -> None:
        self.events = events

    async def prepare_tasks(self, tasks: Sequence[RecognitionTask]) -> list[RecognitionTask]:
        import dataclasses

        self.events.append("prepare")
        await asyncio.sleep(0)
        return [dataclasses.replace(t, payload=f"payload {t.block_id}") for t in tasks]

    async def recognize_page(self, page: PageImage, tasks: Sequence[RecognitionTask], *,
                             layout_boxes: Sequence[IntBox] = (),
                             deadline_at: float | None = None) -> PageRecognition:
        self.events.append("recognize")
        return PageRecognition({t.block_id: RecognitionResult(t.block_id, str(t.payload), "vlm")
                                for t in tasks})

    async def aclose(self) -> None:
        pass


def test_cpu_stages_end_after_the_tasks_are_prepared_and_before_recognition() -> None:
    events: list[str] = []
    image = np.full((200, 300, 3), 255, dtype=np.uint8)
    image[40:80, 30:270] = 0
    page = PageImage("a.png", None, None, image)
    regions = [Region("text", (30, 40, 270, 80), 0.9)]
    rec = Preparing(events)

    async def run() -> str:
        out = await process_page(page, regions, options=ParseOptions(orientation="off"),
                                 layout=FixedLayout(regions), recognizer=rec, settings={},
                                 cpu_stages_done=lambda: events.append("cpu stages done"))
        return out.page.parsing_res_list[0].block_content

    content = asyncio.run(run())
    assert events == ["prepare", "cpu stages done", "recognize"]
    assert content == "payload 0"  # the prepared task is the one recognised

"""The records the page stages pass are plain data: they pickle (process and Ray workers carry
them) and are frozen (a stage cannot change what another stage sees)."""

from __future__ import annotations

import dataclasses
import pickle

import numpy as np
import pytest

from docparse.blocks import plan_page
from docparse.content import BlockContent, ExtraBlock
from docparse.layout import Region, layout_evidence
from docparse.recognize.run import Recognized
from docparse.recognize.tasks import prepare_tasks
from docparse.sources import PageImage
from docparse.textlayer.reading import read_page


def _page() -> PageImage:
    image = np.full((200, 300, 3), 255, dtype=np.uint8)
    image[40:60, 30:270] = 0
    return PageImage(input_path="p.png", page_index=None, page_count=None, image=image)


def test_stage_records_pickle_and_are_frozen() -> None:
    page = _page()
    regions = [Region("text", (20.0, 30.0, 280.0, 70.0), 0.9, 22, 1),
               Region("image", (20.0, 100.0, 280.0, 190.0), 0.8, 14, None)]
    plan = plan_page(regions, page_width=300, page_height=200, chart_recognition=False,
                     keep_furniture=False, markdown_ignore_labels=(), merge_text_blocks=False)
    reading = read_page(None, plan.text_layer_queries(), "auto")
    work = prepare_tasks(plan, reading.contents, page.image, page_index=None, needs_crops=True)
    recognized = Recognized(contents={0: BlockContent("Hello", "vlm")},
                            extra=(ExtraBlock("text", (1, 2, 3, 4), "x", "text-layer"),))
    evidence = layout_evidence(page, use_text_layer=True)
    for record in (page, regions[0], plan, reading, work, recognized, evidence):
        clone = pickle.loads(pickle.dumps(record))
        assert type(clone) is type(record)
        with pytest.raises(dataclasses.FrozenInstanceError):
            record.__setattr__(dataclasses.fields(record)[0].name, None)  # type: ignore[arg-type]
    clone = pickle.loads(pickle.dumps(work))
    assert [t.label for t in clone.tasks] == ["text"]
    assert clone.tasks[0].crop is not None and clone.tasks[0].crop.shape == (40, 260, 3)
    assert list(clone.pictures) == ["img_in_image_box_20_100_280_190.jpg"]
    assert np.array_equal(pickle.loads(pickle.dumps(page)).image, page.image)

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

import docparse
from docparse.preprocess.orientation import axis, page_rotation, rotate


def _quad(x: float, y: float, w: float, h: float) -> list[tuple[float, float]]:
    return [(x, y), (x + w, y), (x + w, y + h), (x, y + h)]


def test_axis_needs_enough_clear_lines() -> None:
    flat = [_quad(10, 20 * i, 300, 20) for i in range(8)]
    upright = [_quad(20 * i, 10, 20, 300) for i in range(8)]
    assert axis(flat) == "flat"
    assert axis(upright) == "upright"
    assert axis(flat[:3]) == "flat"  # a short note's three lines are enough
    assert axis(flat[:2]) is None  # too few lines to judge
    assert axis(flat[:4] + upright[:4]) is None  # mixed: leave the page alone


@pytest.fixture(scope="module")
def engine():  # type: ignore[no-untyped-def]
    from docparse.recognize.builtin_engine import RapidOcrEngine

    return RapidOcrEngine()


@pytest.mark.slow
@pytest.mark.parametrize("turned", [0, 90, 180, 270])
def test_a_short_note_of_three_lines_is_turned_upright(samples_dir: Path, engine, turned: int) -> None:  # type: ignore[no-untyped-def]
    # A heading and two lines alone on the page (a memo, a scanned slip), as docling's
    # ocr_test_rotated_* pages: too few lines was once a reason not to judge at all.
    page = np.asarray(Image.open(samples_dir / "scan.png").convert("RGB"))
    note = np.full_like(page, 255)
    note[430:560, 100:1120] = page[430:560, 100:1120]
    fix = page_rotation(rotate(note, turned), engine)
    assert (turned + fix) % 360 == 0


@pytest.mark.slow
@pytest.mark.parametrize("turned", [0, 90, 180, 270])
def test_a_scan_is_turned_upright(samples_dir: Path, engine, turned: int) -> None:  # type: ignore[no-untyped-def]
    page = np.asarray(Image.open(samples_dir / "scan.png").convert("RGB"))
    fix = page_rotation(rotate(page, turned), engine)
    assert (turned + fix) % 360 == 0


@pytest.mark.slow
def test_pipeline_turns_a_sideways_tiff_frame_and_records_it(samples_dir: Path, tmp_path: Path) -> None:
    scan = Image.open(samples_dir / "scan.png").convert("RGB")
    tiff = tmp_path / "two.tiff"
    scan.save(tiff, save_all=True, append_images=[scan.rotate(90, expand=True)])
    doc = docparse.parse(tiff)
    angles = [p.doc_preprocessor_res["angle"] for p in doc.pages if p.doc_preprocessor_res]
    assert angles == [0, 270]
    assert doc.pages[1].width < doc.pages[1].height  # upright again
    second = " ".join(b.block_content for b in doc.pages[1].blocks).lower()
    assert "quarterly water quality report" in second
    off = docparse.parse(tiff, orientation="off")
    assert all(p.doc_preprocessor_res is None for p in off.pages)


@pytest.mark.slow
def test_born_digital_pages_are_never_checked(samples_dir: Path, tmp_path: Path) -> None:
    doc = docparse.parse(samples_dir / "invoice.pdf")
    assert doc.pages[0].doc_preprocessor_res is None
    path = doc.save_to_json(tmp_path)
    assert json.loads(path.read_text())["pages"][0]["doc_preprocessor_res"] is None


def _landscape_table_on_portrait_page(path: Path) -> Path:
    """A born-digital portrait page carrying a table set sideways (rows run up the page) under
    a heading that runs up the page too, and an upright page number."""
    import pymupdf

    doc: Any = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    page.insert_text((60, 760), "Cash flow of the capital projects fund", fontsize=16, rotate=90)
    rows = [("Month", "April", "May", "June"), ("Opening balance", "745", "740", "940"),
            ("Business taxes", "49", "50", "57"), ("Closing balance", "740", "940", "794")]
    for i, row in enumerate(rows):
        for j, cell in enumerate(row):
            page.insert_text((110 + 22 * i, 760 - (0 if j == 0 else 150 + 90 * j)), cell,
                             fontsize=11, rotate=90)
    page.insert_text((290, 820), "T-69", fontsize=9)
    doc.save(path)
    doc.close()
    return path


@pytest.mark.slow
def test_born_digital_page_with_sideways_text_is_read_turned(tmp_path: Path) -> None:
    pdf = _landscape_table_on_portrait_page(tmp_path / "budget.pdf")
    doc = docparse.parse(pdf)
    page = doc.pages[0]
    assert page.doc_preprocessor_res is not None
    assert page.doc_preprocessor_res["angle"] == 270  # turned 90° clockwise
    assert page.width > page.height
    text = " ".join(doc.to_markdown().split())
    # The heading first, then the rows top to bottom, each read left to right.
    order = [text.find(w) for w in ("Cash flow of the capital projects fund", "Month",
                                    "Opening balance", "Business taxes", "Closing balance")]
    assert -1 not in order and order == sorted(order), text
    # The layout pictures redraw the page as it was parsed: turned.
    (drawn,) = doc.save_to_img(tmp_path / "img")
    assert Image.open(drawn).width > Image.open(drawn).height
    off = docparse.parse(pdf, orientation="off")
    assert off.pages[0].doc_preprocessor_res is None and off.pages[0].width < off.pages[0].height

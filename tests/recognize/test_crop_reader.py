# mypy: disallow-untyped-calls=False
# (pymupdf ships only partial annotations)
"""The recognition-only reader: reads line crops as rapidocr's full engine does, to the text
and the score, without importing rapidocr."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pymupdf
import pytest

from docparse.errors import ModelError, ModelNotFoundError
from docparse.recognize.builtin_engine import RapidOcrEngine, shipped_model_dir
from docparse.recognize.crop_reader import REC_MODEL, CropReader

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "report.pdf"


@pytest.fixture(scope="module")
def reader() -> CropReader:
    return CropReader()


def _render(page: pymupdf.Page, dpi: int) -> npt.NDArray[np.uint8]:
    pix = page.get_pixmap(dpi=dpi)
    return np.frombuffer(pix.samples, np.uint8).reshape(pix.h, pix.w, pix.n)[:, :, :3].copy()


def _line(text: str, size: float, dpi: int) -> npt.NDArray[np.uint8]:
    """One line of Helvetica cut tight from a rendered page."""
    doc = pymupdf.open()
    page = doc.new_page(width=3000, height=200)
    page.insert_text((10, 100), text, fontsize=size, fontname="helv")
    rect = page.get_text("dict")["blocks"][0]["bbox"]
    image = _render(page, dpi)
    s = dpi / 72
    return image[int(rect[1] * s):int(rect[3] * s) + 1, int(rect[0] * s):int(rect[2] * s) + 1].copy()


def _sample_crops() -> list[npt.NDArray[np.uint8]]:
    """Every text line of the report sample at three resolutions: tall, usual and tiny crops."""
    doc = pymupdf.open(SAMPLE)
    crops = []
    for page in doc:
        lines = [line["bbox"] for block in page.get_text("dict")["blocks"]
                 for line in block.get("lines", [])]
        for dpi in (40, 100, 220):
            image, s = _render(page, dpi), dpi / 72
            for x0, y0, x1, y1 in lines:
                crop = image[int(y0 * s):int(y1 * s) + 1, int(x0 * s):int(x1 * s) + 1]
                if crop.size:
                    crops.append(crop.copy())
    return crops


@pytest.mark.slow
def test_reads_as_the_full_engine_does(reader: CropReader, engine: RapidOcrEngine) -> None:
    crops = _sample_crops()
    # Beyond rapidocr's bounds on both sides: a line under 30 px high and one over 2000 px wide.
    long_line = _line("Quarterly figures for every region " * 6, 11, 150)
    small = _line("Phone 0123", 8, 72)
    assert long_line.shape[1] > 2000 and small.shape[0] < 30
    crops += [long_line, small]
    assert len(crops) > 60
    ours, theirs = reader.read(crops), engine.read(crops)
    assert ours == theirs
    assert ours[-1][0] == "Phone 0123"
    assert ours[-2][0].startswith("Quarterly figures for every region")


def test_reads_what_a_line_shows(reader: CropReader) -> None:
    (text, score), = reader.read([_line("Accelerating the Science", 14, 144)])
    assert text == "Accelerating the Science"
    assert score > 0.9


def test_an_empty_crop_reads_as_nothing(reader: CropReader) -> None:
    blank = np.full((40, 200, 3), 255, dtype=np.uint8)
    nothing = np.zeros((0, 10, 3), dtype=np.uint8)
    assert reader.read([nothing]) == [("", 0.0)]
    assert reader.read([blank])[0][0] == ""


def test_grey_crops_are_read(reader: CropReader) -> None:
    grey = _line("Invoice 2024", 14, 144).mean(axis=2).astype(np.uint8)
    assert reader.read([grey])[0][0] == "Invoice 2024"


def test_never_imports_rapidocr() -> None:
    code = (
        "import sys, numpy as np\n"
        "from docparse.recognize.crop_reader import CropReader\n"
        "CropReader().read([np.full((48, 200, 3), 255, np.uint8)])\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('rapidocr', 'omegaconf')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_missing_model_is_named(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match=REC_MODEL):
        CropReader(tmp_path).load()


def test_a_broken_model_is_one_model_error(tmp_path: Path) -> None:
    (tmp_path / REC_MODEL).write_bytes(b"not an onnx file")
    with pytest.raises(ModelError, match="cannot load the PP-OCRv6 recogniser"):
        CropReader(tmp_path).read([np.zeros((40, 100, 3), np.uint8)])


def test_the_wheel_model_loads_from_a_copied_folder(tmp_path: Path) -> None:
    shutil.copy(shipped_model_dir() / REC_MODEL, tmp_path / REC_MODEL)
    assert CropReader(tmp_path).read([_line("Total 42", 14, 144)])[0][0] == "Total 42"

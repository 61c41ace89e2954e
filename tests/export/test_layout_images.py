"""``save_to_img`` draws the real pages, also when the input came as bytes or was encrypted,
and says so clearly instead of drawing on blank pages when the input has moved or changed."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import pymupdf
import pytest
from PIL import Image

import docparse
from docparse.errors import OutputError
from docparse.layout import Region
from docparse.layout.fixed import FixedLayout

LAYOUT = FixedLayout([Region("text", (0.1, 0.1, 0.9, 0.3), 0.9)])


def _pdf(path: Path, *, password: str | None = None) -> Path:
    doc = pymupdf.open()
    page = doc.new_page(width=300, height=200)
    page.draw_rect(pymupdf.Rect(0, 120, 300, 200), color=(0, 0, 0), fill=(0, 0, 0))
    page.insert_text((40, 50), "Layout picture", fontsize=14)
    if password:
        doc.save(path, encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw=password, owner_pw=password)
    else:
        doc.save(path)
    return path


def _dark_share(png: Path) -> float:
    """Share of the bottom band that is black: the page's own drawing, not a blank canvas."""
    pixels = np.asarray(Image.open(png).convert("L"))
    band = pixels[int(pixels.shape[0] * 0.7):, :]
    return float((band < 60).mean())


def _parse(source: object, **kw: object) -> docparse.Document:
    return docparse.parse(source, layout=LAYOUT, recognizer="builtin", **kw)  # type: ignore[arg-type]


def test_pages_come_from_bytes_input(tmp_path: Path) -> None:
    data = _pdf(tmp_path / "a.pdf").read_bytes()
    doc = _parse(data)
    (png,) = doc.save_to_img(tmp_path / "out")
    assert png.name == "document_0_layout_det_res.png"
    assert _dark_share(png) > 0.9


def test_pages_come_from_a_file_object_and_an_encrypted_pdf(tmp_path: Path) -> None:
    data = _pdf(tmp_path / "a.pdf").read_bytes()
    (png,) = _parse(io.BytesIO(data), name="stream.pdf").save_to_img(tmp_path / "s")
    assert _dark_share(png) > 0.9
    locked = _pdf(tmp_path / "locked.pdf", password="s3cret")
    (png,) = _parse(locked, password="s3cret").save_to_img(tmp_path / "e")
    assert _dark_share(png) > 0.9


def test_moved_or_changed_input_is_an_error_not_a_blank_page(tmp_path: Path) -> None:
    pdf = _pdf(tmp_path / "a.pdf")
    doc = _parse(pdf)
    moved = tmp_path / "moved.pdf"
    os.rename(pdf, moved)
    with pytest.raises(OutputError, match="no longer at"):
        doc.save_to_img(tmp_path / "out")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
    os.rename(moved, pdf)
    with open(pdf, "ab") as fh:
        fh.write(b"\n% changed\n")
    with pytest.raises(OutputError, match="changed since it was parsed"):
        doc.save_to_img(tmp_path / "out")

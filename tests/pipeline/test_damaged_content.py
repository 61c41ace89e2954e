"""A PDF page whose content stream is damaged (MuPDF reports errors while reading it) is
flagged: a page warning and a warning in ``Document.errors``, status ``partial``, also after
``--resume`` (issue 12, item 9)."""

from __future__ import annotations

import json
from pathlib import Path

import pymupdf
import pytest

import docparse
from docparse.cli import main

pytestmark = pytest.mark.slow


def _damaged_pdf(path: Path) -> Path:
    """Two pages; page 2's content stream is replaced by bytes that are not zlib data while
    its dictionary still says /FlateDecode (what a truncated or bit-flipped file looks like)."""
    doc = pymupdf.open()
    for i in range(2):
        doc.new_page(width=300, height=200).insert_text((30, 60), f"Page {i + 1} text here")
    clean = doc.tobytes(deflate=True)
    doc = pymupdf.open("pdf", clean)
    for xref in doc[1].get_contents():
        doc.update_stream(xref, b"\x00\x13not-zlib-data" * 20, compress=False)
        doc.xref_set_key(xref, "Filter", "/FlateDecode")
    doc.save(path)
    return path


def test_damaged_content_stream_is_flagged_not_silently_empty(tmp_path: Path) -> None:
    pdf = _damaged_pdf(tmp_path / "damaged.pdf")
    doc = docparse.parse(pdf, layout="builtin", recognizer="builtin")
    assert doc.status == "partial"
    assert "Page 1 text here" in doc.pages[0].parsing_res_list[0].block_content
    assert doc.pages[0].warnings == ()
    (note,) = doc.pages[1].warnings
    assert note.startswith("damaged page content, text may be missing (MuPDF: ")
    assert "zlib error" in note
    (item,) = doc.errors
    assert (item.page_index, item.reason, item.severity) == (1, "damaged_content", "warning")
    assert item.message == note
    # The flag survives the JSON round trip.
    doc.save_to_json(tmp_path / "d.json")
    assert docparse.load(tmp_path / "d.json").errors == doc.errors


def test_flag_survives_resume(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pdf = _damaged_pdf(tmp_path / "damaged.pdf")
    out = tmp_path / "out"
    args = ["parse", str(pdf), "-o", str(out), "--layout", "builtin", "--recognizer", "builtin",
            "--quiet", "--resume"]
    assert main(args) == 1
    first = json.loads((out / "damaged.json").read_text("utf-8"))
    err = capsys.readouterr().err
    assert "damaged.pdf: partial: 0 block(s) or page(s) failed, 1 page warning(s)" in err
    assert main(args) == 1  # page 2 comes back from the page store this time
    second = json.loads((out / "damaged.json").read_text("utf-8"))
    assert second["status"] == "partial" and second["errors"] == first["errors"]
    assert second["errors"][0]["severity"] == "warning"

from __future__ import annotations

import json
from pathlib import Path

import pytest

from docparse.document import Block, Document, Page, load
from docparse.errors import InputError
from docparse.schema import document_schema

ROOT = Path(__file__).resolve().parents[1]


def _doc() -> Document:
    block = Block(block_label="text", block_content="Hello", block_bbox=(1, 2, 3, 4), block_id=0,
                  block_order=1, group_id=0, order=0, source="vlm")
    page = Page(input_path="a.pdf", page_index=0, page_count=1, width=10, height=20,
                parsing_res_list=(block,))
    return Document(input_path="a.pdf", page_count=1, pages=(page,))


def test_json_round_trip(tmp_path: Path) -> None:
    doc = _doc()
    path = doc.save_to_json(tmp_path)
    assert path == tmp_path / "a.json"
    data = json.loads(path.read_text())
    assert data["schema"] == "docparse.document" and data["version"] == "1.1"
    page = data["pages"][0]
    assert set(page) >= {"input_path", "page_index", "page_count", "width", "height",
                         "model_settings", "parsing_res_list", "layout_det_res"}
    assert page["parsing_res_list"][0]["block_bbox"] == [1, 2, 3, 4]
    assert load(path) == doc


def test_load_rejects_other_json(tmp_path: Path) -> None:
    bad = tmp_path / "x.json"
    bad.write_text('{"hello": 1}')
    with pytest.raises(InputError, match=r"x\.json"):
        load(bad)
    with pytest.raises(InputError, match=r"missing\.json"):
        load(tmp_path / "missing.json")


def test_schema_file_is_current() -> None:
    """docs/document.schema.json is generated: `python -m docparse.schema > docs/document.schema.json`."""
    on_disk = json.loads((ROOT / "docs" / "document.schema.json").read_text())
    assert on_disk == document_schema()


def test_volatile_stats_are_separate() -> None:
    doc = _doc()
    assert "stats" not in doc.to_dict(volatile=False)
    assert doc.to_dict()["stats"]["recognition_requests"] == 0

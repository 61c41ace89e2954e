"""The resume work folder removes only files it wrote, and records the outputs it verifies."""

from __future__ import annotations

from pathlib import Path

import pytest

from docparse.errors import OutputError
from docparse.export.pagestore import DirPageStore, file_record


def test_a_folder_the_store_did_not_make_is_refused_not_emptied(tmp_path: Path) -> None:
    folder = tmp_path / "work"
    folder.mkdir()
    (folder / "thesis.tex").write_text("years of work")
    with pytest.raises(OutputError, match="not a docparse work folder"):
        DirPageStore(folder, fingerprint={"input_sha256": "x"}, resume=False)
    assert (folder / "thesis.tex").read_text() == "years of work"


def test_a_reset_removes_the_stores_files_only(tmp_path: Path) -> None:
    folder = tmp_path / "work"
    DirPageStore(folder, fingerprint={"input_sha256": "a"}, resume=False)
    (folder / "pages").mkdir()
    (folder / "pages" / "000000.json").write_text("{}")
    (folder / "pages" / "notes.txt").write_text("mine")
    (folder / "images").mkdir()
    (folder / "images" / "pic.jpg").write_bytes(b"jpg")
    (folder / "images" / "nested").mkdir()
    store = DirPageStore(folder, fingerprint={"input_sha256": "b"}, resume=False)
    assert not store.has_pages()
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")) == [
        "images", "images/nested", "pages", "pages/notes.txt", "state.json"]


def test_complete_only_while_recorded_outputs_are_unchanged(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_bytes(b"# A\n")
    store = DirPageStore(tmp_path / "w", fingerprint={"input_sha256": "a"}, resume=False)
    store.mark_complete({"format": ["md"]}, {"a.md": file_record(b"# A\n")})
    again = DirPageStore(tmp_path / "w", fingerprint={"input_sha256": "a"}, resume=True)
    assert again.is_complete({"format": ["md"]}, tmp_path)
    (tmp_path / "a.md").write_bytes(b"# B\n")  # same size, other content
    assert not again.is_complete({"format": ["md"]}, tmp_path)
    (tmp_path / "a.md").unlink()
    assert not again.is_complete({"format": ["md"]}, tmp_path)

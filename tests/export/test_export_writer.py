"""The writer: names from hostile inputs stay one component inside the folder, nothing leaves
the folder, nothing docparse did not write is removed, a document's files are all or none."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

import docparse
from docparse import formats
from docparse.document import Document
from docparse.errors import OutputError
from docparse.export.writer import OWNED_LIST
from docparse.formats import ExportFiles, ExportRequest


@pytest.fixture(scope="module")
def report(samples_dir: Path) -> Document:
    """A parsed document with pictures (the Markdown references them under imgs/<stem>/)."""
    return docparse.parse(samples_dir / "report.pdf", layout="builtin")


def _renamed(doc: Document, name: str) -> Document:
    return doc.model_copy(update={"input_path": name})


def _tree(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")}


@pytest.mark.parametrize("name", ["...pdf", "..pdf", "a/../../b.pdf", "CON.pdf", "x\\..\\y.pdf"])
def test_save_to_markdown_keeps_hostile_names_inside_and_deletes_nothing(
        report: Document, tmp_path: Path, name: str) -> None:
    assert report.images, "the sample must have pictures for this test to mean anything"
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    (tmp_path / "beside.txt").write_text("mine too")
    doc = _renamed(report, name)
    for _ in range(2):  # the second write prunes the picture folder of the first
        md = doc.save_to_markdown(out)
    assert (out / "notes.txt").read_text() == "mine"
    assert (tmp_path / "beside.txt").read_text() == "mine too"
    assert _tree(tmp_path) - _tree(tmp_path / "out") == {"out", "beside.txt"} | {
        f"out/{p}" for p in _tree(out)}
    assert md.parent == out and not md.name.startswith(".")
    pictures = md.parent / "imgs" / md.stem
    assert pictures.parent == out / "imgs"
    assert {p.name for p in pictures.iterdir()} == {*report.images, OWNED_LIST}


def test_an_explicit_stem_is_made_safe(report: Document, tmp_path: Path) -> None:
    written = report.save(tmp_path / "out", ("json",), stem="../../escaped")
    assert [p.relative_to(tmp_path / "out").as_posix() for p in written] == [
        "___.._escaped.json"]
    assert not list(tmp_path.glob("*.json"))


class _Escaping:
    """A format whose files try to leave the output folder."""

    subdir = ""

    def __init__(self, name: str, rel: str) -> None:
        self.name = name
        self.rel = rel

    def render(self, document: Document, request: ExportRequest) -> ExportFiles:
        return ExportFiles({"fine.txt": b"ok", self.rel: b"escaped"})


@pytest.fixture()
def escaping() -> Iterator[list[str]]:
    names: list[str] = []
    yield names
    for name in names:
        formats._EXPORTERS.pop(name, None)


@pytest.mark.parametrize("rel", ["../evil.txt", "a/../../evil.txt", "<absolute>", "a//b",
                                 "./x", "a\\..\\..\\evil.txt", ""])
def test_the_writer_refuses_paths_leaving_its_folder(
        report: Document, tmp_path: Path, rel: str, escaping: list[str]) -> None:
    if rel == "<absolute>":  # somewhere outside the output folder, inside this test's folder
        rel = str(tmp_path / "evil.txt")
    name = f"escape{len(escaping)}_{abs(hash(rel))}"
    escaping.append(name)
    formats.register(_Escaping(name, rel))
    out = tmp_path / "a" / "out"
    with pytest.raises(OutputError, match="not a path inside the folder"):
        report.save(out, (name,))
    assert _tree(tmp_path) == set()  # not even the harmless file: all or none


def test_pruning_removes_only_pictures_docparse_wrote(report: Document, tmp_path: Path) -> None:
    report.save_to_markdown(tmp_path)
    pictures = tmp_path / "imgs" / "report"
    (pictures / "holiday.jpg").write_bytes(b"user's own")
    (pictures / "sub").mkdir()
    # A later document version without pictures: the pictures docparse wrote go, the rest stays.
    bare = report.model_copy(update={"images": {}, "pages": [
        p.model_copy(update={"parsing_res_list": [b for b in p.parsing_res_list if not b.image]})
        for p in report.pages]})
    bare.save_to_markdown(tmp_path)
    assert sorted(p.name for p in pictures.iterdir()) == ["holiday.jpg", "sub"]
    # A folder docparse never listed as its own is never pruned.
    other = tmp_path / "o"
    (other / "imgs" / "report").mkdir(parents=True)
    (other / "imgs" / "report" / "old.jpg").write_bytes(b"x")
    report.save_to_markdown(other)
    assert (other / "imgs" / "report" / "old.jpg").read_bytes() == b"x"


def test_a_document_is_written_all_or_none(report: Document, tmp_path: Path) -> None:
    report.save(tmp_path, ("json", "md"))
    before = (tmp_path / "report.json").read_bytes()
    inode = (tmp_path / "report.json").stat().st_ino
    (tmp_path / "report.md").unlink()
    (tmp_path / "report.md").mkdir()  # the Markdown cannot be written
    changed = report.model_copy(update={"input_path": "report.pdf", "status": "partial"})
    with pytest.raises(OutputError, match=r"report\.md"):
        changed.save(tmp_path, ("json", "md"))
    assert (tmp_path / "report.json").read_bytes() == before
    assert (tmp_path / "report.json").stat().st_ino == inode
    assert not [p for p in os.listdir(tmp_path) if p.endswith((".tmp", ".bak"))]

"""CLI input discovery (files, folders, globs) and output stems."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from docparse.sources.discover import (
    DiscoveryIssue,
    FoundInput,
    discover_inputs,
    output_stems,
)


def touch(root: Path, *names: str) -> None:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")


def listing(found: tuple[FoundInput, ...], root: Path) -> list[tuple[str, str]]:
    """(path relative to root, relative_dir) pairs, POSIX-style."""
    return [(f.path.relative_to(root).as_posix(), f.relative_dir.as_posix()) for f in found]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "in"
    touch(
        root,
        "b.pdf",
        "A.PNG",
        "notes.txt",
        ".hidden.pdf",
        "2024/q1/scan.TIFF",
        "2024/q1/photo.jpeg",
        "2024/report.pdf",
        "2024/img.webp",
        "2024/old.bmp",
        "2024/x.tif",
        "2024/y.jpg",
        ".cache/skip.pdf",
        "docs.d/readme.md",
    )
    return root


def test_directory_is_walked_sorted_with_relative_dirs(tree: Path) -> None:
    found = discover_inputs([str(tree)])
    assert found.errors == ()
    assert listing(found.inputs, tree) == [
        ("2024/img.webp", "2024"),
        ("2024/old.bmp", "2024"),
        ("2024/q1/photo.jpeg", "2024/q1"),
        ("2024/q1/scan.TIFF", "2024/q1"),
        ("2024/report.pdf", "2024"),
        ("2024/x.tif", "2024"),
        ("2024/y.jpg", "2024"),
        ("A.PNG", "."),
        ("b.pdf", "."),
    ]
    assert {f.arg for f in found.inputs} == {str(tree)}


def test_file_args_are_kept_whatever_the_extension(tree: Path) -> None:
    found = discover_inputs([str(tree / "notes.txt"), str(tree / "2024/report.pdf")])
    assert listing(found.inputs, tree) == [("notes.txt", "."), ("2024/report.pdf", ".")]


def test_missing_args_are_errors_and_the_batch_goes_on(tree: Path, tmp_path: Path) -> None:
    missing = str(tmp_path / "missing.pdf")
    found = discover_inputs([missing, str(tree / "b.pdf"), str(tmp_path / "none*.pdf")])
    assert listing(found.inputs, tree) == [("b.pdf", ".")]
    assert found.errors == (
        DiscoveryIssue(missing, "no such file or directory"),
        DiscoveryIssue(
            str(tmp_path / "none*.pdf"),
            "pattern matches no .bmp/.jpeg/.jpg/.pdf/.png/.tif/.tiff/.webp file",
        ),
    )
    assert str(found.errors[0]) == f"{missing}: no such file or directory"


def test_directory_without_inputs_is_an_error(tmp_path: Path) -> None:
    touch(tmp_path / "d", "a.txt", ".b.pdf")
    found = discover_inputs([str(tmp_path / "d")])
    assert found.inputs == ()
    assert [e.problem for e in found.errors] == [
        "directory has no .bmp/.jpeg/.jpg/.pdf/.png/.tif/.tiff/.webp files"
    ]


def test_glob_patterns(tree: Path) -> None:
    found = discover_inputs([str(tree / "**" / "*.pdf")])
    assert listing(found.inputs, tree) == [("2024/report.pdf", "2024"), ("b.pdf", ".")]
    found = discover_inputs([str(tree / "2024" / "*")])
    # Files need a supported extension; matched folders are walked.
    assert listing(found.inputs, tree) == [
        ("2024/img.webp", "."),
        ("2024/old.bmp", "."),
        ("2024/q1/photo.jpeg", "q1"),
        ("2024/q1/scan.TIFF", "q1"),
        ("2024/report.pdf", "."),
        ("2024/x.tif", "."),
        ("2024/y.jpg", "."),
    ]


def test_relative_glob_from_cwd(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tree)
    found = discover_inputs(["*.pdf", "2024/q1/*.jpeg"])
    assert [(f.path.as_posix(), f.relative_dir.as_posix()) for f in found.inputs] == [
        ("b.pdf", "."),
        ("2024/q1/photo.jpeg", "."),
    ]


def test_duplicates_kept_once(tree: Path) -> None:
    found = discover_inputs([str(tree / "b.pdf"), str(tree), str(tree / "*.pdf")])
    paths = [f.path.relative_to(tree).as_posix() for f in found.inputs]
    assert paths.count("b.pdf") == 1
    assert found.inputs[0].relative_dir == Path()  # first occurrence wins
    assert len(paths) == 9


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_symlink_loop_does_not_hang(tmp_path: Path) -> None:
    touch(tmp_path / "d", "a.pdf")
    (tmp_path / "d" / "loop").symlink_to(tmp_path / "d", target_is_directory=True)
    found = discover_inputs([str(tmp_path / "d")])
    assert listing(found.inputs, tmp_path / "d") == [("a.pdf", ".")]


def test_output_stems_plain() -> None:
    stems = output_stems([Path("in/a.pdf"), Path("in/b.png")])
    assert stems == {Path("in/a.pdf"): "a", Path("in/b.png"): "b"}


def test_output_stems_shared_stem_uses_full_names() -> None:
    stems = output_stems([Path("report.pdf"), Path("report.png"), Path("other.pdf")])
    assert stems == {
        Path("report.pdf"): "report.pdf",
        Path("report.png"): "report.png",
        Path("other.pdf"): "other",
    }


def test_output_stems_are_per_output_folder() -> None:
    a = FoundInput(Path("in/x/report.pdf"), Path("x"), "in")
    b = FoundInput(Path("in/y/report.png"), Path("y"), "in")
    c = FoundInput(Path("in/y/report.tif"), Path("y"), "in")
    assert output_stems([a, b, c]) == {a.path: "report", b.path: "report.png", c.path: "report.tif"}


def test_output_stems_same_name_from_two_folders_and_case() -> None:
    paths = [Path("a/report.pdf"), Path("b/report.pdf"), Path("c/REPORT.pdf"), Path("a.pdf.png")]
    assert output_stems(paths) == {
        Path("a/report.pdf"): "report.pdf",
        Path("b/report.pdf"): "report.pdf-2",
        Path("c/REPORT.pdf"): "REPORT.pdf-3",
        Path("a.pdf.png"): "a.pdf",
    }


def test_output_stems_full_name_clashing_with_another_stem() -> None:
    paths = [Path("a.pdf"), Path("a.png"), Path("a.pdf.tif")]
    assert output_stems(paths) == {
        Path("a.pdf"): "a.pdf",
        Path("a.png"): "a.png",
        Path("a.pdf.tif"): "a.pdf-2",
    }


def test_output_stems_never_name_another_inputs_pages() -> None:
    """``a.pdf`` page 1 is ``a_1.md`` with --per-page: ``a_1.pdf`` must not be ``a_1``."""
    paths = [Path("a_1.pdf"), Path("a.pdf"), Path("A_2.png"), Path("b_1.pdf"), Path("x.pdf")]
    assert output_stems(paths) == {
        Path("a_1.pdf"): "a_1.pdf",
        Path("a.pdf"): "a",
        Path("A_2.png"): "A_2.png",
        Path("b_1.pdf"): "b_1",
        Path("x.pdf"): "x",
    }


def test_output_stems_are_safe_names() -> None:
    paths = [Path("...png"), Path("..png"), Path(".png"), Path("CON.pdf"), Path("a\\b.pdf"),
             Path("_.png")]
    assert list(output_stems(paths).values()) == ["__", "__png", "_png", "_CON", "a_b", "_.png"]

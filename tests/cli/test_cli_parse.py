"""``docparse parse`` end to end, in-process: outputs, naming, exit codes, bad inputs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pymupdf
import pytest

from docparse.cli import main

pytestmark = pytest.mark.slow


def _one_page_pdf(path: Path, text: str) -> Path:
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    page.insert_text((72, 90), "Meeting Notes", fontsize=24, fontname="hebo")
    page.insert_textbox((72, 130, 523, 250), text, fontsize=11, fontname="helv")
    doc.save(path)
    return path


def test_outputs_exit_codes_and_one_line_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = _one_page_pdf(tmp_path / "notes.pdf", "The committee approved the new budget for the river survey.")
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    text = tmp_path / "readme.pdf"
    text.write_text("just some text, not a PDF")
    before = good.read_bytes()
    out = tmp_path / "out"
    code = main(["parse", str(good), str(empty), str(text), str(tmp_path / "missing.pdf"),
                 "-o", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert code == 1
    lines = [line for line in err.splitlines() if line.startswith("docparse: error:")]
    assert len(lines) == 3, err
    assert any("empty.pdf" in line for line in lines)
    assert any("readme.pdf" in line for line in lines)
    assert any("missing.pdf" in line for line in lines)
    assert "Traceback" not in err
    assert "1 parsed" in err and "3 failed" in err
    doc = json.loads((out / "notes.json").read_text())
    assert doc["schema"] == "docparse.document" and doc["status"] == "success"
    words = " ".join(b["block_content"] for p in doc["pages"] for b in p["parsing_res_list"])
    assert "committee approved the new budget" in words
    assert (out / "notes.md").read_text().startswith("# Meeting Notes")
    assert good.read_bytes() == before  # inputs are never written


def test_nothing_parsed_is_exit_3_and_bad_flags_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    assert main(["parse", str(bad), "-o", str(tmp_path / "o"), "--quiet"]) == 3
    assert main(["parse", str(bad), "--dpi", "0"]) == 2
    assert "dpi" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["parse", str(bad), "--layout", "nope"])
    assert exc.value.code == 2


def test_pp_doclayout_without_model_names_fetch_models(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pdf = _one_page_pdf(tmp_path / "a.pdf", "Hello world.")
    code = main(["parse", str(pdf), "--layout", "pp-doclayoutv2", "--cache-dir", str(tmp_path / "cache"),
                 "-o", str(tmp_path / "o"), "--quiet"])
    assert code == 2
    assert "docparse fetch-models" in capsys.readouterr().err


def test_folder_input_mirrors_subfolders_and_same_stems(tmp_path: Path, samples_dir: Path) -> None:
    src = tmp_path / "in"
    (src / "2024" / "q1").mkdir(parents=True)
    _one_page_pdf(src / "report.pdf", "Top level report text.")
    shutil.copy(samples_dir / "scan.png", src / "report.png")
    _one_page_pdf(src / "2024" / "q1" / "minutes.pdf", "Minutes of the first quarter.")
    (src / ".hidden.pdf").write_bytes(b"%PDF-")
    out = tmp_path / "out"
    assert main(["parse", str(src), "-o", str(out), "--quiet", "--format", "json,md"]) == 0
    assert (out / "report.pdf.json").is_file() and (out / "report.png.json").is_file()
    assert (out / "report.pdf.md").is_file() and (out / "report.png.md").is_file()
    assert (out / "2024" / "q1" / "minutes.json").is_file()
    scan = json.loads((out / "report.png.json").read_text())
    assert scan["pages"][0]["page_index"] is None  # a single image, as the official pipeline


def test_rerun_replaces_outputs_and_resume_skips_done_work(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pdf = _one_page_pdf(tmp_path / "a.pdf", "First version of the text.")
    out = tmp_path / "out"
    assert main(["parse", str(pdf), "-o", str(out), "--quiet"]) == 0
    first = (out / "a.json").read_text()
    _one_page_pdf(pdf, "Second version of the text.")
    assert main(["parse", str(pdf), "-o", str(out), "--quiet", "--resume"]) == 0
    second = (out / "a.json").read_text()
    assert "Second version" in second and "First version" not in second != first
    capsys.readouterr()
    assert main(["parse", str(pdf), "-o", str(out), "--resume"]) == 0
    assert "already done" in capsys.readouterr().err
    assert (out / "a.json").read_text() == second
    assert not list(out.glob(".*.tmp"))


def test_format_img_and_per_page(tmp_path: Path, samples_dir: Path) -> None:
    out = tmp_path / "out"
    assert main(["parse", str(samples_dir / "report.pdf"), "-o", str(out), "--quiet",
                 "--format", "md,img", "--per-page"]) == 0
    assert (out / "report.md").is_file()
    assert (out / "report_0.md").is_file() and (out / "report_1.md").is_file()
    pngs = sorted(p.name for p in (out / "layout").iterdir())
    assert pngs == ["report_0_layout_det_res.png", "report_1_layout_det_res.png"]
    assert not (out / "report.json").exists()

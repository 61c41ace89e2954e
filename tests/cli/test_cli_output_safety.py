"""``docparse parse`` on careless or hostile names and folders, run as a user would (a
subprocess on real files): outputs stay inside the output folder, nothing docparse did not
write is removed or overwritten, ``--resume`` checks its outputs, one run per output folder,
and an output folder inside the input folder is parsed (minus docparse's own files)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pymupdf as _pymupdf
import pytest

from docparse.testing import FakeVLLMConfig, start_fake_vllm

pytestmark = pytest.mark.slow

#: pymupdf ships no type hints.
pymupdf: Any = _pymupdf
ROOT = Path(__file__).resolve().parents[2]


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCPARSE_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def docparse(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "docparse", "parse", *map(str, args), "--layout", "builtin"]
    return subprocess.run(cmd, env=_env(), cwd=cwd, capture_output=True, text=True, timeout=300)


def make_pdf(path: Path, *texts: str) -> Path:
    doc = pymupdf.open()
    for text in texts:
        page = doc.new_page(width=420, height=300)
        # Long enough for the built-in layout to find a block.
        filler = " The members met on Tuesday to plan the spring planting along the path."
        page.insert_textbox(pymupdf.Rect(40, 40, 380, 200), text + filler, fontsize=14)
    doc.save(path)
    doc.close()
    return path


def tree(root: Path) -> dict[str, bytes | None]:
    """Every path under ``root`` → its bytes (None for folders)."""
    return {p.relative_to(root).as_posix(): (p.read_bytes() if p.is_file() else None)
            for p in sorted(root.rglob("*"))}


def parsed_count(stderr: str) -> str:
    return next(line for line in stderr.splitlines() if " input(s): " in line).split(":")[1]


def test_dotted_names_stay_inside_and_remove_nothing(tmp_path: Path, samples_dir: Path) -> None:
    """``...pdf`` once had the stem ``..``: a rerun deleted the whole output folder."""
    src = tmp_path / "in"
    src.mkdir()
    for name in ("...pdf", "..pdf", ".pdf", "keep.pdf"):
        (src / name).write_bytes((samples_dir / "report.pdf").read_bytes())
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    (tmp_path / "beside.txt").write_text("mine too")
    inputs = [src / n for n in ("...pdf", "..pdf", ".pdf", "keep.pdf")]
    first = docparse(*inputs, "-o", out, "--quiet")
    assert first.returncode == 0, first.stderr
    keep = (out / "keep.json").read_bytes()
    second = docparse(*inputs, "-o", out, "--quiet")
    assert second.returncode == 0, second.stderr
    assert (out / "notes.txt").read_text() == "mine"
    assert (tmp_path / "beside.txt").read_text() == "mine too"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["beside.txt", "in", "out"]
    assert sorted(p.name for p in src.iterdir()) == ["...pdf", "..pdf", ".pdf", "keep.pdf"]
    assert json.loads((out / "keep.json").read_bytes())["pages"] == json.loads(keep)["pages"]
    jsons = sorted(p.name for p in out.glob("*.json"))
    assert jsons == ["_.json", "__.json", "_pdf.json", "keep.json"]
    for stem in ("_", "__", "_pdf", "keep"):
        md = (out / f"{stem}.md").read_text()
        pictures = {p.name for p in (out / "imgs" / stem).glob("*.jpg")}
        assert pictures and all(f"imgs/{stem}/{name}" in md for name in pictures)


def test_resume_checks_the_outputs_it_recorded(tmp_path: Path, samples_dir: Path) -> None:
    out = tmp_path / "out"
    args = (samples_dir / "report.pdf", samples_dir / "invoice.pdf", "-o", out, "--quiet")
    assert docparse(*args).returncode == 0
    first = tree(out)
    (out / "report.md").unlink()
    (out / "invoice.json").write_text("{}")
    picture = next((out / "imgs" / "report").glob("*.jpg"))
    picture.unlink()
    again = docparse(*args, "--resume")
    assert again.returncode == 0, again.stderr
    assert (out / "report.md").read_bytes() == first["report.md"]
    assert picture.read_bytes() == first[picture.relative_to(out).as_posix()]
    invoice = json.loads((out / "invoice.json").read_bytes())
    assert invoice["pages"] == json.loads(first["invoice.json"] or b"")["pages"]


def test_input_folder_named_like_a_picture_folder_survives(tmp_path: Path,
                                                           samples_dir: Path) -> None:
    """``imgs/report/`` of the input mirrors to the picture folder of ``report.pdf``."""
    src = tmp_path / "in"
    (src / "imgs" / "report").mkdir(parents=True)
    (src / "report.pdf").write_bytes((samples_dir / "report.pdf").read_bytes())
    make_pdf(src / "imgs" / "report" / "minutes.pdf", "Minutes of the garden club.")
    out = tmp_path / "out"
    run = docparse(src, "-o", out, "--quiet")  # minutes.pdf is written first, then report.pdf
    assert run.returncode == 0, run.stderr
    assert "garden club" in (out / "imgs" / "report" / "minutes.md").read_text()
    assert (out / "imgs" / "report" / "minutes.json").is_file()
    assert list((out / "imgs" / "report").glob("*.jpg"))
    # Into the input folder itself: the input there is parsed, and never removed.
    run = docparse(src, "-o", src, "--quiet")
    assert run.returncode == 0, run.stderr
    assert (src / "imgs" / "report" / "minutes.pdf").is_file()
    assert (src / "imgs" / "report" / "minutes.md").is_file()


def test_per_page_names_never_collide(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    make_pdf(src / "a.pdf", "Alpha first page.", "Alpha second page.", "Alpha third page.")
    make_pdf(src / "a_1.pdf", "Bravo only page.")
    out = tmp_path / "out"
    run = docparse(src, "-o", out, "--per-page", "--quiet", "--format", "md,json,img")
    assert run.returncode == 0, run.stderr
    texts = {p.name: p.read_text() for p in out.glob("*.md")}
    assert "Alpha second page" in texts["a_1.md"]
    assert "Bravo only page" in texts["a_1.pdf.md"] and "Bravo" in texts["a_1.pdf_0.md"]
    assert sorted(texts) == ["a.md", "a_0.md", "a_1.md", "a_1.pdf.md", "a_1.pdf_0.md", "a_2.md"]
    assert sorted(p.name for p in (out / "layout").iterdir()) == [
        "a_0_layout_det_res.png", "a_1.pdf_0_layout_det_res.png", "a_1_layout_det_res.png",
        "a_2_layout_det_res.png"]


def test_a_second_run_into_the_same_folder_is_refused(tmp_path: Path) -> None:
    src = make_pdf(tmp_path / "a.pdf", "Some text to recognise.")
    out = tmp_path / "out"
    with start_fake_vllm(FakeVLLMConfig(hang_rate=1.0)) as server:
        cmd = [sys.executable, "-m", "docparse", "parse", str(src), "-o", str(out), "--quiet",
               "--layout", "builtin", "--recognizer", "vlm", "--server", server.url,
               "--text-layer", "off", "--timeout", "600", "--retries", "0"]
        first = subprocess.Popen(cmd, env=_env(), stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 120
            while not server.requests():  # the first run is under way, holding the folder
                assert first.poll() is None and time.monotonic() < deadline
                time.sleep(0.1)
            second = docparse(src, "-o", out, "--quiet")
            assert second.returncode == 2
            assert second.stderr.splitlines() == [
                f"docparse: error: {out}: another docparse run (pid {first.pid}) is writing to "
                "this output folder; wait for it to finish or choose another output folder"]
            assert not (out / "a.json").exists()
        finally:
            first.send_signal(signal.SIGKILL)
            first.communicate()
    # A run that died holds nothing: the next one is not refused.
    third = docparse(src, "-o", out, "--quiet")
    assert third.returncode == 0, third.stderr
    assert "recognise" in (out / "a.md").read_text()


def test_output_folder_equal_to_the_input_folder(tmp_path: Path, samples_dir: Path) -> None:
    src = tmp_path / "docs"
    src.mkdir()
    (src / "report.pdf").write_bytes((samples_dir / "report.pdf").read_bytes())
    make_pdf(src / "notes.pdf", "Notes of the meeting.")
    args = (src, "-o", src, "--format", "md,json,img")
    first = docparse(*args)
    assert first.returncode == 0, first.stderr
    assert parsed_count(first.stderr) == " 2 input(s)"
    assert list((src / "layout").glob("report_*_layout_det_res.png"))
    # Its own pictures are not inputs the next time; a file the user put there is.
    make_pdf(src / "layout" / "mine.pdf", "A user's file among the outputs.")
    second = docparse(*args)
    assert second.returncode == 0, second.stderr
    assert parsed_count(second.stderr) == " 3 input(s)"
    assert "user's file" in (src / "layout" / "mine.md").read_text()
    assert not list(src.rglob("*layout_det_res.json")) and not list(src.rglob("img_*.json"))
    # `docparse parse file.pdf -o .`
    here = docparse("notes.pdf", "-o", ".", "--quiet", cwd=src)
    assert here.returncode == 0, here.stderr
    assert "Notes of the meeting" in (src / "notes.md").read_text()


def test_a_failed_input_leaves_no_work_files(tmp_path: Path, samples_dir: Path) -> None:
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.7\nthis is not a pdf")
    out = tmp_path / "out"
    run = docparse(tmp_path / "broken.pdf", samples_dir / "invoice.pdf", "-o", out, "--quiet")
    assert run.returncode == 1
    assert next(line for line in run.stderr.splitlines() if "broken.pdf" in line).startswith(
        "docparse: error:")
    work = out / ".docparse-work"
    assert sorted(p.name for p in work.iterdir()) == ["invoice", "run.lock"]
    assert not (out / "broken.json").exists()


def test_a_document_is_written_all_or_none(tmp_path: Path, samples_dir: Path) -> None:
    out = tmp_path / "out"
    args = (samples_dir / "invoice.pdf", "-o", out, "--quiet")
    assert docparse(*args).returncode == 0
    before = (out / "invoice.json").read_bytes()
    inode = (out / "invoice.json").stat().st_ino
    (out / "invoice.md").unlink()
    (out / "invoice.md").mkdir()  # where the Markdown should go: it cannot be written
    run = docparse(*args)
    assert run.returncode == 3
    assert run.stderr.splitlines()[0].startswith(f"docparse: error: {out / 'invoice.md'}: ")
    assert (out / "invoice.json").read_bytes() == before
    assert (out / "invoice.json").stat().st_ino == inode
    assert not [p for p in out.iterdir() if p.name.endswith((".tmp", ".bak"))]

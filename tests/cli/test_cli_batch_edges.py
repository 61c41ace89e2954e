"""Batch edge cases found in review: resume after failures, damaged pages, output inside
input, permissions, in-memory input names."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pymupdf
import pytest

import docparse
from docparse.cli import main
from docparse.testing import FakeVLLMConfig, start_fake_vllm

pytestmark = pytest.mark.slow


def _pdf(path: Path, text: str = "The committee approved the new budget.") -> Path:
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    page.insert_text((72, 90), "Meeting Notes", fontsize=24, fontname="hebo")
    page.insert_textbox((72, 130, 523, 250), text, fontsize=11, fontname="helv")
    doc.save(path)
    return path


def _raw_pdf(*objects: bytes) -> bytes:
    out = b"%PDF-1.7\n"
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


def test_resume_retries_documents_that_had_failed_blocks(tmp_path: Path) -> None:
    pdf = _pdf(tmp_path / "a.pdf")
    out = tmp_path / "out"
    args = ["parse", str(pdf), "-o", str(out), "--quiet", "--text-layer", "off", "--retries", "0"]
    with start_fake_vllm(FakeVLLMConfig(error_rate=1.0, error_statuses=(400,))) as bad:
        assert main([*args, "--server", bad.url]) in (1, 3)
    failed = json.loads((out / "a.json").read_text())
    assert failed["status"] in ("partial", "failed")
    with start_fake_vllm() as good:
        assert main([*args, "--server", good.url, "--resume"]) == 0
        assert good.requests(), "the failed blocks were sent again"
    assert json.loads((out / "a.json").read_text())["status"] == "success"


def test_resume_follows_the_backends_options_resolve_to(tmp_path: Path) -> None:
    pdf = _pdf(tmp_path / "a.pdf")
    out = tmp_path / "out"
    base = ["parse", str(pdf), "-o", str(out), "--quiet", "--text-layer", "off"]
    assert main(base) == 0  # built-in OCR
    with start_fake_vllm() as server:
        assert main([*base, "--resume", "--server", server.url]) == 0
        assert server.requests(), "a server was given: the document is parsed again with it"
    assert json.loads((out / "a.json").read_text())["stats"]["recognizer"] == "vlm"


def test_a_damaged_page_does_not_lose_the_others(tmp_path: Path) -> None:
    text = b"BT /F1 24 Tf 20 50 Td (Hello page one) Tj ET"
    data = _raw_pdf(
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 100] /Contents 5 0 R"
        b" /Resources << /Font << /F1 6 0 R >> >> >>",
        b"<< /Foo 3 >>",  # page 2 is not a page
        b"<< /Length %d >>\nstream\n" % len(text) + text + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    )
    doc = docparse.parse(data, name="mixed.pdf", layout="builtin")
    assert doc.status == "partial"
    assert [e.page_index for e in doc.errors] == [1]
    assert "page 2 is damaged" in doc.errors[0].message
    assert "Hello page one" in " ".join(b.block_content for b in doc.pages[0].blocks)


def test_output_inside_the_input_folder_is_never_parsed(tmp_path: Path) -> None:
    _pdf(tmp_path / "a.pdf")
    out = tmp_path / "out"
    for _ in range(2):
        assert main(["parse", str(tmp_path), "-o", str(out), "--quiet", "--format", "md,json,img"]) == 0
    jsons = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.json")
                   if ".docparse-work" not in p.parts)
    assert jsons == ["a.json"]


def test_outputs_get_ordinary_permissions(tmp_path: Path, samples_dir: Path) -> None:
    old = os.umask(0o022)
    try:
        assert main(["parse", str(samples_dir / "report.pdf"), "-o", str(tmp_path), "--quiet"]) == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "report.json").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "report.md").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "imgs" / "report").stat().st_mode) == 0o755


def test_in_memory_input_is_saved_as_document(tmp_path: Path, samples_dir: Path) -> None:
    doc = docparse.parse((samples_dir / "report.pdf").read_bytes())
    assert doc.save_to_json(tmp_path).name == "document.json"
    md = doc.to_markdown()
    assert isinstance(md, str) and 'src="imgs/document/' in md
    doc.save_to_markdown(tmp_path)
    for ref in md.split('src="')[1:]:
        assert (tmp_path / ref.split('"')[0]).is_file()

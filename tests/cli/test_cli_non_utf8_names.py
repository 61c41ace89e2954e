"""Inputs whose file names are not UTF-8 parse (or fail alone, in one line) and the batch goes
on: names are shown escaped (``\\xff``) in messages, events and JSON (issue 12, item 3)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pymupdf
import pytest
from PIL import Image, ImageDraw

from docparse.testing import start_fake_vllm

pytestmark = pytest.mark.slow


def _pdf(path: bytes, text: str) -> None:
    doc = pymupdf.open()
    page = doc.new_page(width=300, height=200)
    page.insert_text((30, 60), text, fontsize=14)
    with open(path, "wb") as fh:  # bytes path: the name is the raw bytes on disk
        fh.write(doc.tobytes())


def _png(path: bytes) -> None:
    img = Image.new("RGB", (320, 120), "white")
    ImageDraw.Draw(img).text((20, 40), "Invoice total 42", fill="black")
    with open(path, "wb") as fh:
        img.save(fh, format="PNG")


def test_batch_with_non_utf8_file_names_parses_everything_it_can(tmp_path: Path) -> None:
    folder = os.fsencode(tmp_path / "in")
    os.mkdir(folder)
    _pdf(folder + b"/\xff.pdf", "Quarterly report")
    _png(folder + b"/\xfe.png")
    with open(folder + b"/\xfd.pdf", "wb") as fh:
        fh.write(b"%PDF-1.7\nthis is not really a pdf\n")
    _pdf(folder + b"/ok.pdf", "Plain name")
    out = tmp_path / "out"
    # A strict stderr: one undecodable character anywhere in a message would raise.
    env = {**os.environ, "PYTHONIOENCODING": "utf-8:strict", "LANG": "C.UTF-8"}
    env = {k: v for k, v in env.items() if not k.startswith("DOCPARSE_")}
    with start_fake_vllm() as server:
        proc = subprocess.run(
            [sys.executable, "-m", "docparse", "parse", os.fsdecode(folder), "-o", str(out),
             "--layout", "builtin", "--server", server.url, "--log-json"],
            capture_output=True, env=env, timeout=300,
        )
    stderr = proc.stderr.decode("utf-8")  # strict: valid UTF-8 throughout
    lines = stderr.splitlines()
    assert proc.returncode == 1, stderr
    errors = [ln for ln in lines if ln.startswith("docparse: error:")]
    assert len(errors) == 1 and "in/\\xfd.pdf: not a readable PDF" in errors[0], stderr
    assert "internal error" not in stderr
    assert any("4 input(s): 3 parsed, 0 partial, 1 failed" in ln for ln in lines), stderr
    events = [json.loads(ln) for ln in lines if ln.startswith("{")]
    done = {e["input_path"] for e in events if e["event"] == "DocumentDone"}
    assert done == {f"{os.fsdecode(folder)}/{n}" for n in ("\\xff.pdf", "\\xfe.png", "ok.pdf")}
    failed = [e for e in events if e["event"] == "DocumentFailed"]
    assert [e["input_path"] for e in failed] == [f"{os.fsdecode(folder)}/\\xfd.pdf"]

    names = sorted(os.listdir(out))
    assert {"%FF.json", "%FF.md", "%FE.json", "ok.json"} <= set(names)
    doc = json.loads((out / "%FF.json").read_text("utf-8"))
    assert doc["input_path"].endswith("in/\\xff.pdf") and doc["status"] == "success"
    assert "Quarterly report" in (out / "%FF.md").read_text("utf-8")
    assert json.loads((out / "%FE.json").read_text("utf-8"))["status"] == "success"

"""``docparse parse --resume`` after a crash: the CLI runs in a subprocess against a slow fake
vLLM server, is SIGKILLed once some pages are finished, and the resumed run must give the
uninterrupted run's output without recognising any finished page again."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pymupdf as _pymupdf
import pytest

from docparse.testing import FakeVLLM, FakeVLLMConfig, start_fake_vllm

pytestmark = pytest.mark.slow

#: pymupdf ships no type hints.
pymupdf: Any = _pymupdf

ROOT = Path(__file__).resolve().parents[2]
#: Every answer names the crop it was given, so output text maps back to requests.
ANSWERS = {
    "OCR:": "Text {sha8} ends here.",
    "Table Recognition:": "<fcel>{sha8}<fcel>cell<nl>",
    "Formula Recognition:": "\\[x_{sha8}\\]",
    "Chart Recognition:": "k | {sha8}",
}
SHA8 = re.compile(r"\b[0-9a-f]{8}\b")


def _as_from_a_terminal() -> None:
    """Ctrl-C reaches the command as it does from a terminal. A process started in the
    background by a shell without job control (a CI script's ``cmd &``) inherits SIGINT as
    ignored, and docparse rightly leaves an ignored SIGINT ignored."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def make_pdf(path: Path, pages: int, title: str) -> Path:
    doc = pymupdf.open()
    for n in range(pages):
        page = doc.new_page(width=420, height=595)
        page.insert_text((40, 60), f"{title} part {n + 1}", fontsize=18)
        for k in range(3):
            text = (
                f"Section {n + 1}.{k + 1} of {title}: the survey counted {n * 7 + k} "
                "birds along the river bank during the morning walk. "
            ) * 2
            page.insert_textbox(
                pymupdf.Rect(40, 100 + 140 * k, 380, 220 + 140 * k), text, fontsize=10
            )
    doc.save(path)
    doc.close()
    return path


@pytest.fixture()
def server() -> Iterator[FakeVLLM]:
    with start_fake_vllm(FakeVLLMConfig(slots=1, latency=0.12, answers=ANSWERS)) as srv:
        yield srv


def _command(inputs: list[Path], out: Path, url: str, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "docparse",
        "parse",
        *map(str, inputs),
        "-o",
        str(out),
        "--server",
        url,
        "--recognizer",
        "vlm",
        "--layout",
        "builtin",
        "--text-layer",
        "off",
        "--max-concurrency",
        "4",
        "--page-window",
        "3",
        "--log-json",
        *extra,
    ]


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCPARSE_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def _run(cmd: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, env=_env(), capture_output=True, text=True, timeout=300)


def _outputs(out: Path, stems: list[str]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for stem in stems:
        doc = json.loads((out / f"{stem}.json").read_text(encoding="utf-8"))
        doc.pop("stats")
        result[f"{stem}.json"] = doc
        result[f"{stem}.md"] = (out / f"{stem}.md").read_text(encoding="utf-8")
    return result


def _page_of_crop(doc_json: dict[str, Any], stem: str) -> dict[str, tuple[str, int]]:
    """sha8 of each crop sent → (document, page index), read from the answers in the output."""
    found: dict[str, tuple[str, int]] = {}
    for page in doc_json["pages"]:
        for block in page["parsing_res_list"]:
            for sha8 in SHA8.findall(block["block_content"]):
                found[sha8] = (stem, page["page_index"])
    return found


def _finished_pages(out: Path, stem: str) -> set[tuple[str, int]]:
    pages = out / ".docparse-work" / stem / "pages"
    if not pages.is_dir():
        return set()
    return {(stem, int(p.stem)) for p in pages.glob("[0-9]*.json")}


def test_killed_run_resumes_to_identical_output_without_redoing_pages(
    tmp_path: Path, server: FakeVLLM
) -> None:
    inputs = [
        make_pdf(tmp_path / "alpha.pdf", 4, "Alpha"),
        make_pdf(tmp_path / "beta.pdf", 7, "Beta"),
    ]
    stems = ["alpha", "beta"]

    # 1. The reference: one uninterrupted run.
    ref_out = tmp_path / "ref"
    done = _run(_command(inputs, ref_out, server.url))
    assert done.returncode == 0, done.stderr[-3000:]
    reference = _outputs(ref_out, stems)
    crop_page: dict[str, tuple[str, int]] = {}
    for stem in stems:
        crop_page.update(_page_of_crop(reference[f"{stem}.json"], stem))
    total_requests = server.stats().served
    assert len(crop_page) == total_requests  # one distinct crop per request, all in the output
    assert {page for page in crop_page.values()} == (
        {("alpha", i) for i in range(4)} | {("beta", i) for i in range(7)}
    )

    # 2. The same run, SIGKILLed once a few pages are safely on disk.
    server.reset()
    out = tmp_path / "out"
    proc = subprocess.Popen(
        _command(inputs, out, server.url),
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if sum(len(_finished_pages(out, s)) for s in stems) >= 4:
                break
            time.sleep(0.02)
        assert proc.poll() is None, "the run ended before it could be killed"
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    finished = set().union(*(_finished_pages(out, s) for s in stems))
    assert len(finished) >= 4
    assert len(finished) < 11, "the kill came too late to test anything"
    assert not (out / "beta.json").exists()
    first_requests = server.stats().served

    # 3. Resume: only the unfinished pages are recognised. Requests the killed run had in
    # flight are still being answered (and recorded) by the server: let them drain first, so
    # the counts below are the resumed run's alone.
    deadline = time.monotonic() + 30
    while server.stats().open and time.monotonic() < deadline:
        time.sleep(0.05)
    server.reset()
    resumed = _run(_command(inputs, out, server.url, "--resume"))
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert _outputs(out, stems) == reference
    sent = [crop_page[r["image"]["sha256"][:8]] for r in server.requests()]
    assert sent, "the resumed run had work left"
    assert not set(sent) & finished, "a page finished before the kill was recognised again"
    # Every page not finished before the kill was recognised in full, exactly once.
    per_page_reference: dict[tuple[str, int], int] = {}
    for page in crop_page.values():
        per_page_reference[page] = per_page_reference.get(page, 0) + 1
    assert len(sent) == sum(n for page, n in per_page_reference.items() if page not in finished)
    assert first_requests + len(sent) >= total_requests
    events = [json.loads(line) for line in resumed.stderr.splitlines() if line.startswith("{")]
    reused = {
        (Path(e["input_path"]).stem, e["page_index"])
        for e in events
        if e["event"] == "PageDone" and e["resumed"]
    }
    assert reused == finished

    # 4. A second --resume finds both documents complete and sends nothing.
    server.reset()
    again = _run(_command(inputs, out, server.url, "--resume"))
    assert again.returncode == 0, again.stderr[-3000:]
    assert server.stats().received == 0
    assert _outputs(out, stems) == reference


def _interrupt(cmd: list[str], out: Path, stem: str, pages: int) -> tuple[int, str]:
    """Start ``cmd``, send SIGINT (Ctrl-C) once ``pages`` pages are finished; (exit code, stderr)."""
    proc = subprocess.Popen(
        cmd, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        preexec_fn=_as_from_a_terminal,
    )
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if len(_finished_pages(out, stem)) >= pages:
                break
            time.sleep(0.02)
        assert proc.poll() is None, "the run ended before it could be interrupted"
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    return proc.returncode, err


def test_ctrl_c_keeps_finished_pages_and_resume_completes_them(
    tmp_path: Path, server: FakeVLLM
) -> None:
    inputs = [make_pdf(tmp_path / "gamma.pdf", 6, "Gamma")]
    ref_out = tmp_path / "ref"
    done = _run(_command(inputs, ref_out, server.url))
    assert done.returncode == 0, done.stderr[-3000:]
    reference = _outputs(ref_out, ["gamma"])
    crop_page = _page_of_crop(reference["gamma.json"], "gamma")

    server.reset()
    out = tmp_path / "out"
    code, err = _interrupt(_command(inputs, out, server.url), out, "gamma", 2)
    assert code != 0, err[-3000:]
    assert not (out / "gamma.json").exists()
    finished = _finished_pages(out, "gamma")
    assert 2 <= len(finished) < 6

    server.reset()
    resumed = _run(_command(inputs, out, server.url, "--resume"))
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert _outputs(out, ["gamma"]) == reference
    sent = {crop_page[r["image"]["sha256"][:8]] for r in server.requests()}
    assert sent == {("gamma", i) for i in range(6)} - finished


def test_ctrl_c_exits_130_with_one_line(tmp_path: Path, server: FakeVLLM) -> None:
    inputs = [make_pdf(tmp_path / "delta.pdf", 4, "Delta")]
    out = tmp_path / "out"
    code, err = _interrupt(_command(inputs, out, server.url), out, "delta", 1)
    assert "Traceback" not in err, err[-3000:]
    assert code == 130 and "docparse: interrupted" in err

"""Ctrl-C: one SIGINT stops the run promptly with exit 130 and one line; repeated SIGINTs never
give a traceback or an abort; finished pages stay on disk for --resume (issue 12, item 6).

Real processes and real signals, against a slow fake vLLM server (every answer takes 1.5 s),
so that pages are in flight and worker threads busy when the signal arrives."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pymupdf
import pytest

from docparse.document import Page
from docparse.testing import FakeVLLM, FakeVLLMConfig, start_fake_vllm

pytestmark = pytest.mark.slow

#: Generous: the interpreter's own exit is part of the figure, and CI machines are shared.
STOP_LIMIT = 5.0


def _as_from_a_terminal() -> None:
    """Ctrl-C reaches the command as it does from a terminal. A process started in the
    background by a shell without job control (a CI script's ``cmd &``) inherits SIGINT as
    ignored, and docparse rightly leaves an ignored SIGINT ignored."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.fixture(scope="module")
def slow_server() -> Iterator[FakeVLLM]:
    with start_fake_vllm(FakeVLLMConfig(latency=1.5)) as server:
        yield server


def _pdf(path: Path, pages: int) -> Path:
    doc = pymupdf.open()
    for i in range(pages):
        page = doc.new_page(width=300, height=200)
        page.insert_text((30, 60), f"Page {i + 1} heading", fontsize=16)
        page.insert_text((30, 100), "Body text of the page.", fontsize=11)
    doc.save(path)
    return path


def _stored_pages(out: Path) -> list[Path]:
    return sorted((out / ".docparse-work").glob("*/pages/*.json"))


def _start_and_interrupt(
    tmp_path: Path, server: FakeVLLM, signals: int, spacing: float
) -> tuple[int, str, float, Path]:
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "docparse", "parse", str(_pdf(tmp_path / "long.pdf", 12)),
           "-o", str(out), "--server", server.url, "--layout", "builtin", "--text-layer", "off",
           "--page-window", "4", "--quiet"]  # --quiet: the interruption is the only line
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCPARSE_")}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True, preexec_fn=_as_from_a_terminal)
    try:
        deadline = time.monotonic() + 180
        while not _stored_pages(out) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert proc.poll() is None, "the run ended before it could be interrupted"
        assert _stored_pages(out), "no page finished in time"
        t0 = time.monotonic()
        for _ in range(signals):
            if proc.poll() is not None:
                break
            proc.send_signal(signal.SIGINT)
            time.sleep(spacing)
        _, err = proc.communicate(timeout=60)
        elapsed = time.monotonic() - t0
    finally:
        proc.kill()
        proc.wait()
    return proc.returncode, err, elapsed, out


def test_one_ctrl_c_stops_promptly_with_one_line(tmp_path: Path, slow_server: FakeVLLM) -> None:
    code, err, elapsed, out = _start_and_interrupt(tmp_path, slow_server, 1, 0.0)
    print(f"\nstopped {elapsed:.2f} s after one SIGINT")
    assert code == 130, err
    assert err.strip().splitlines() == ["docparse: interrupted"]
    assert elapsed < STOP_LIMIT
    pages = _stored_pages(out)
    assert pages and all(Page.model_validate_json(p.read_text("utf-8")) for p in pages)
    assert not (out / "long.json").exists()


@pytest.mark.parametrize(("count", "spacing"), [(4, 0.05), (6, 0.5)])
def test_repeated_ctrl_c_never_gives_a_traceback(
    tmp_path: Path, slow_server: FakeVLLM, count: int, spacing: float
) -> None:
    # Spread over 3 s, some SIGINTs land while the interpreter would be joining worker
    # threads at exit: before the fix, a KeyboardInterrupt traceback (or an abort) there.
    code, err, elapsed, out = _start_and_interrupt(tmp_path, slow_server, count, spacing)
    print(f"\nstopped {elapsed:.2f} s after the first of {count} SIGINTs {spacing} s apart")
    assert code == 130, err
    assert "Traceback" not in err and "Fatal" not in err
    assert err.strip().splitlines() == ["docparse: interrupted"]
    assert all(Page.model_validate_json(p.read_text("utf-8")) for p in _stored_pages(out))

"""A Parser or AsyncParser its owner never closes warns (ResourceWarning) and gives back its
threads and file descriptors once collected; onnxruntime's telemetry is switched off before
docparse creates a session (issue 12, item 11)."""

from __future__ import annotations

import asyncio
import gc
import os
import threading
import time
import warnings
from pathlib import Path

import pymupdf
import pytest

import docparse
from docparse.pipeline import AsyncParser

pytestmark = pytest.mark.slow

LOCAL = {"layout": "builtin", "recognizer": "builtin", "text_layer": "prefer",
         "orientation": "off"}


def _pdf(path: Path) -> Path:
    doc = pymupdf.open()
    doc.new_page(width=300, height=200).insert_text((30, 60), "Hello lifecycle", fontsize=14)
    doc.save(path)
    return path


def _docparse_threads() -> list[str]:
    return sorted(t.name for t in threading.enumerate() if t.name.startswith("docparse-"))


def _fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def _settle(condition: object, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not condition():  # type: ignore[operator]
        time.sleep(0.05)


def test_unclosed_parser_warns_and_frees_its_thread_and_fds(tmp_path: Path) -> None:
    pdf = _pdf(tmp_path / "a.pdf")
    with docparse.Parser(**LOCAL) as warm:  # models loaded once: later fds are the parser's
        warm.parse(pdf)
    gc.collect()
    _settle(lambda: not _docparse_threads())
    threads, fds = _docparse_threads(), _fds()

    parser = docparse.Parser(**LOCAL)
    assert parser.parse(pdf).status == "success"
    assert "docparse-loop" in _docparse_threads()
    with pytest.warns(ResourceWarning, match=r"docparse\.Parser was never closed"):
        del parser
        gc.collect()
    _settle(lambda: _docparse_threads() == threads)
    assert _docparse_threads() == threads
    assert _fds() <= fds


def test_unclosed_async_parser_warns_and_stops_its_workers(tmp_path: Path) -> None:
    pdf = _pdf(tmp_path / "a.pdf")

    async def forget() -> None:
        parser = AsyncParser(**LOCAL)
        assert (await parser.parse(pdf)).status == "success"
        assert any(n.startswith("docparse-layout") for n in _docparse_threads())

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        asyncio.run(forget())
        gc.collect()
    assert [str(w.message).split(";")[0] for w in caught if w.category is ResourceWarning] == [
        "docparse.AsyncParser was never closed"
    ]
    _settle(lambda: not any(n.startswith("docparse-layout") for n in _docparse_threads()))
    assert not any(n.startswith("docparse-layout") for n in _docparse_threads())


def test_closed_parsers_do_not_warn(tmp_path: Path) -> None:
    pdf = _pdf(tmp_path / "a.pdf")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with docparse.Parser(**LOCAL) as parser:
            parser.parse(pdf)
        del parser
        gc.collect()
    assert [w for w in caught if w.category is ResourceWarning] == []


def test_onnxruntime_telemetry_is_off_before_the_first_session(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import onnxruntime

    from docparse.layout.builtin import BuiltinLayout
    from docparse.ort import onnxruntime_module

    calls: list[str] = []
    real_disable = onnxruntime.disable_telemetry_events
    real_session = onnxruntime.InferenceSession

    def disable() -> None:
        calls.append("disable")
        real_disable()

    def session(*args: object, **kwargs: object) -> object:
        calls.append("session")
        return real_session(*args, **kwargs)

    monkeypatch.setattr(onnxruntime, "disable_telemetry_events", disable)
    monkeypatch.setattr(onnxruntime, "InferenceSession", session)
    onnxruntime_module.cache_clear()
    try:
        import numpy as np

        for _ in range(2):
            BuiltinLayout().detect([np.full((200, 300, 3), 255, dtype=np.uint8)])
    finally:
        onnxruntime_module.cache_clear()
    assert calls == ["disable", "session", "session"]


def test_warm_up_loads_the_layout_model_before_any_page() -> None:
    # A service may call warm_up() at start-up: the model loads in the background, with no
    # input given yet.
    from docparse.layout.fixed import FixedLayout

    class Loading(FixedLayout):
        def __init__(self) -> None:
            super().__init__(regions_for=lambda width, height: [])
            self.loaded = threading.Event()
            self.loaded_on = ""

        def load(self) -> None:
            self.loaded_on = threading.current_thread().name
            self.loaded.set()

    layout = Loading()
    with docparse.Parser(layout=layout, recognizer="builtin", orientation="off") as parser:
        parser.warm_up()  # returns at once; loading goes on a worker
        assert layout.loaded.wait(10)
        assert layout.loaded_on.startswith("docparse-")
        parser.warm_up()  # once per parser

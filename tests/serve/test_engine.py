"""The engine and the gate in process: the per-request deadline, the page cap, and a full line."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from docparse.options import ParseOptions
from docparse.serve.engine import DocumentEngine, backend_key
from docparse.serve.limits import AdmissionGate
from docparse.serve.metrics import ServeMetrics
from docparse.serve.problems import RequestRejected
from docparse.testing import FakeVLLM


def test_backend_key_ignores_per_document_options() -> None:
    base = ParseOptions()
    assert backend_key(base.replace(pages="1", password="x", merge_tables=False)) == backend_key(base)
    assert backend_key(base.replace(temperature=0.5)) != backend_key(base)


def test_deadline_and_page_cap(fake_vllm: FakeVLLM, samples_dir: Path) -> None:
    options = ParseOptions(server_url=(fake_vllm.url,), layout="builtin", orientation="off")
    report = (samples_dir / "report.pdf").read_bytes()

    async def run() -> tuple[RequestRejected, RequestRejected]:
        engine = DocumentEngine(options, metrics=ServeMetrics(), max_pages=1)
        try:
            with pytest.raises(RequestRejected) as pages:
                await engine.parse(report, name="report.pdf", options=options)
            fake_vllm.configure(latency=30.0)  # the table waits on the server
            started = time.monotonic()
            with pytest.raises(RequestRejected) as late:
                await engine.parse(report, name="report.pdf", options=options.replace(pages="1"),
                                   deadline=1.0)
            assert time.monotonic() - started < 20
            return pages.value, late.value
        finally:
            fake_vllm.configure(latency=0.0)
            await engine.aclose()

    pages, late = asyncio.run(run())
    assert (pages.code, pages.status) == ("too_many_pages", 413)
    assert (late.code, late.status) == ("deadline_exceeded", 504)


def test_gate_line() -> None:
    async def run() -> list[str]:
        gate = AdmissionGate(1, 1)
        out: list[str] = []
        release = asyncio.Event()

        async def hold(name: str) -> None:
            try:
                async with gate.slot():
                    out.append(name)
                    await release.wait()
            except RequestRejected as exc:
                out.append(f"{name}:{exc.code}:{exc.retry_after is not None}")

        first = asyncio.create_task(hold("a"))
        await asyncio.sleep(0)
        second = asyncio.create_task(hold("b"))  # waits in line
        await asyncio.sleep(0)
        await hold("c")  # line full
        with pytest.raises(RequestRejected) as late:
            async with gate.slot(timeout=0.05, always=True):
                pass
        out.append(late.value.code)
        release.set()
        await asyncio.gather(first, second)
        return out

    assert asyncio.run(run()) == ["a", "c:queue_full:True", "deadline_exceeded", "b"]

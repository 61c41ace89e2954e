"""Fixtures shared by the recogniser tests."""

from __future__ import annotations

import pytest

from docparse.recognize.builtin_engine import RapidOcrEngine


@pytest.fixture(scope="session")
def engine() -> RapidOcrEngine:
    """The built-in PP-OCRv6 engine, loaded once for every test that reads pixels."""
    engine = RapidOcrEngine()
    engine.load()
    return engine

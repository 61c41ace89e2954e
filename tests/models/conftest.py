from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from model_server import ModelServer


@pytest.fixture
def server() -> Iterator[ModelServer]:
    s = ModelServer()
    try:
        yield s
    finally:
        s.close()

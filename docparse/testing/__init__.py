"""Test doubles shipped with docparse, as httpx ships ``MockTransport``.

:func:`start_fake_vllm` runs a fake vLLM server (PaddleOCR-VL answers, request validation,
slot limits and injected faults) in its own process; see :mod:`docparse.testing.fake_vllm`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from docparse.testing.fake_vllm import FakeVLLM, FakeVLLMStats, start_fake_vllm
    from docparse.testing.fake_vllm_config import AnswerRule, FakeVLLMConfig

__all__ = ["AnswerRule", "FakeVLLM", "FakeVLLMConfig", "FakeVLLMStats", "start_fake_vllm"]

_HOMES = {
    "AnswerRule": "docparse.testing.fake_vllm_config",
    "FakeVLLMConfig": "docparse.testing.fake_vllm_config",
    "FakeVLLM": "docparse.testing.fake_vllm",
    "FakeVLLMStats": "docparse.testing.fake_vllm",
    "start_fake_vllm": "docparse.testing.fake_vllm",
}


def __getattr__(name: str) -> Any:
    # Lazy, so ``python -m docparse.testing.fake_vllm`` does not import itself twice.
    if name not in _HOMES:
        raise AttributeError(f"module 'docparse.testing' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(_HOMES[name]), name)

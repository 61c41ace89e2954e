"""Shared fixtures. Tests never touch the network: only 127.0.0.1 servers they start."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
EVAL_DEV = ROOT.parent / "shared" / "eval-dev"


@pytest.fixture(autouse=True)
def _clean_docparse_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No DOCPARSE_* from the developer's shell leaks into a test."""
    for key in list(os.environ):
        if key.startswith("DOCPARSE_"):
            monkeypatch.delenv(key, raising=False)


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    if not (SAMPLES / "report.pdf").exists():
        sys.path.insert(0, str(SAMPLES))
        import make_samples  # type: ignore[import-not-found]

        make_samples.main(SAMPLES)
    return SAMPLES

"""The official serving API's pydantic models, loaded from the installed paddlex.

``paddlex.inference.serving`` refuses to import without paddlex's whole serving plugin
(aiohttp, filetype, ...); the schema modules themselves need only pydantic. They are loaded
under a bare package object standing in for ``paddlex.inference.serving``, which is removed
again afterwards so the rest of the test session sees paddlex untouched.
"""

from __future__ import annotations

import importlib
import sys
import types
from pathlib import Path
from typing import Any


def load() -> tuple[Any, Any]:
    """``(schemas.paddleocr_vl, infra.models)`` of the installed paddlex."""
    import paddlex.inference  # the real parents; only `serving` is stood in for

    name = "paddlex.inference.serving"
    before = set(sys.modules)
    stood_in = name not in sys.modules
    if stood_in:
        pkg = types.ModuleType(name)
        pkg.__path__ = [str(Path(paddlex.inference.__file__).parent / "serving")]
        sys.modules[name] = pkg
    try:
        schemas = importlib.import_module(f"{name}.schemas.paddleocr_vl")
        models = importlib.import_module(f"{name}.infra.models")
    finally:
        if stood_in:
            for key in set(sys.modules) - before:
                if key.startswith(name):
                    del sys.modules[key]
    return schemas, models

"""onnxruntime as docparse uses it: imported through :func:`onnxruntime_module`, which turns
the library's telemetry off once per process before any session exists (docparse makes no calls
home; onnxruntime's telemetry is on by default where the platform has it); and where the ONNX
models that ship inside wheels are (:func:`rapidocr_model_dir`)."""

from __future__ import annotations

import functools
from pathlib import Path
from types import ModuleType

from docparse.errors import ModelNotFoundError


@functools.cache
def onnxruntime_module() -> ModuleType:
    """``import onnxruntime`` with telemetry events disabled (done once)."""
    import onnxruntime

    module: ModuleType = onnxruntime
    disable = getattr(module, "disable_telemetry_events", None)
    if disable is not None:
        disable()
    return module


def rapidocr_model_dir() -> Path:
    """Folder holding the ONNX files of the installed ``rapidocr`` wheel (PP-OCRv6 detection,
    recognition and the text-line classifier)."""
    import importlib.util

    spec = importlib.util.find_spec("rapidocr")
    if spec is None or spec.origin is None:
        raise ModelNotFoundError(
            "rapidocr is not installed; the built-in recognizer needs it (pip install rapidocr)"
        )
    return Path(spec.origin).parent / "models"


__all__ = ["onnxruntime_module", "rapidocr_model_dir"]

"""onnxruntime as docparse uses it: imported through :func:`onnxruntime_module`, which turns
the library's telemetry off once per process before any session exists (docparse makes no calls
home; onnxruntime's telemetry is on by default where the platform has it)."""

from __future__ import annotations

import functools
from types import ModuleType


@functools.cache
def onnxruntime_module() -> ModuleType:
    """``import onnxruntime`` with telemetry events disabled (done once)."""
    import onnxruntime

    module: ModuleType = onnxruntime
    disable = getattr(module, "disable_telemetry_events", None)
    if disable is not None:
        disable()
    return module


__all__ = ["onnxruntime_module"]

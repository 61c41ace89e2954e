"""Checks of what a caller hands :class:`~docparse.pipeline.parser.AsyncParser`: a wrong
object fails at once with a docparse error naming it, not later with an ``AttributeError``
from deep inside a parse."""

from __future__ import annotations

import inspect
from typing import Any

from docparse.errors import ConfigurationError
from docparse.options import ParseOptions


def check_options(options: object) -> None:
    """``options`` must be a :class:`ParseOptions` (or None)."""
    if options is not None and not isinstance(options, ParseOptions):
        raise ConfigurationError(
            f"options: expected a docparse.ParseOptions, got {type(options).__name__}; pass "
            "ParseOptions(...) or the options as keywords (e.g. dpi=200)"
        )


def check_backend(role: str, backend: Any) -> None:
    """``backend`` must look like a layout backend or a recognizer (the Protocols' members).

    ``role`` is ``"layout"`` or ``"recognizer"``; None (built from the options) is fine.
    """
    if backend is None:
        return
    if role == "layout":
        need = {"name": None, "detect": False}
        what = "a docparse LayoutBackend (name, detect(images))"
    else:
        need = {"name": None, "needs_crops": None, "recognize_page": True, "aclose": True}
        what = "a docparse Recognizer (name, needs_crops, async recognize_page(), async aclose())"
    for attr, must_be_async in need.items():
        value = getattr(backend, attr, None)
        if value is None:
            missing = attr
        elif must_be_async is None:
            continue
        elif not callable(value) or (must_be_async and not inspect.iscoroutinefunction(value)):
            missing = f"{attr}()"
        else:
            continue
        raise ConfigurationError(
            f"{role}: expected {what} or a backend name, got {type(backend).__name__} "
            f"(no {missing})"
        )


__all__ = ["check_backend", "check_options"]

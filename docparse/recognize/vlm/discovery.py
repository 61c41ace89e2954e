"""Which model name to put in requests, and a clear error when the server serves another.

The official client always sends ``PaddleOCR-VL-0.9B`` and gets a 404 from a vLLM started
without ``--served-model-name`` (reference §1.6, §7 item 6). docparse asks ``/v1/models``
instead when no model is configured.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from docparse.errors import ConfigurationError

#: Served names containing this (case-insensitive) are PaddleOCR-VL models.
PADDLEOCR_VL_MARKER: Final[str] = "paddleocr-vl"


def choose_model(served: Sequence[str], endpoint: str) -> str:
    """The model to use among those ``endpoint`` serves.

    One served model is used whatever its name; among several, the single PaddleOCR-VL one.
    Raises :class:`ConfigurationError` listing the names when that is ambiguous or empty.
    """
    if len(served) == 1:
        return served[0]
    if not served:
        raise ConfigurationError(f"{endpoint}: the server lists no models at /models")
    matching = [name for name in served if PADDLEOCR_VL_MARKER in name.lower()]
    if len(matching) == 1:
        return matching[0]
    listed = ", ".join(served)
    if matching:
        problem = f"serves several PaddleOCR-VL models ({listed})"
    else:
        problem = f"serves no PaddleOCR-VL model among several ({listed})"
    raise ConfigurationError(f"{endpoint}: the server {problem}; choose one with --model NAME")


def is_model_missing(status_code: int | None, message: str) -> bool:
    """True for vLLM's answer to an unknown model: 404 "The model `X` does not exist."."""
    return status_code == 404 and "does not exist" in message


def model_missing_error(
    endpoint: str, requested: str, served: Sequence[str] | None
) -> ConfigurationError:
    """The error for a configured model name the server does not serve."""
    if served:
        names = ", ".join(served)
        hint = f"it serves: {names}. Pass --model {served[0]!r} or omit --model to detect it"
    else:
        hint = "and listing its models failed too; check the server's --served-model-name"
    return ConfigurationError(f"{endpoint}: the server has no model {requested!r}; {hint}")

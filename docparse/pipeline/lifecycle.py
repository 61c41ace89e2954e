"""What happens to a parser its owner forgot to close: a :class:`ResourceWarning` naming it,
and its worker threads shut down, so a forgotten parser costs no thread or file descriptor
for the rest of the process. Used through :func:`weakref.finalize` (never holds the parser)."""

from __future__ import annotations

import warnings
from concurrent.futures import Executor


def warn_unclosed(what: str) -> None:
    warnings.warn(
        f"{what} was never closed; use it as a context manager (with/async with) or call "
        "close()/aclose(): its worker threads are shut down now",
        ResourceWarning,
        stacklevel=2,
    )


def finalize_async_parser(layout_pool: Executor) -> None:
    """An :class:`AsyncParser` was garbage-collected (or the process exits) unclosed."""
    warn_unclosed("docparse.AsyncParser")
    layout_pool.shutdown(wait=False, cancel_futures=True)


__all__ = ["finalize_async_parser", "warn_unclosed"]

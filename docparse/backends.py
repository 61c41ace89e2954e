"""The backend registry: every layout backend and recogniser, by the name users pick it by.

One list feeds option validation (``ParseOptions(layout=...)``), the CLI's ``--layout`` and
``--recognizer`` choices and their help, and backend construction. :mod:`docparse.pipeline`
registers the built-in ones when docparse is imported; a new backend is one ``register_*``
call with a factory (the factory imports its heavy dependencies itself, lazily).
``auto`` is not a backend: it is the rule :mod:`docparse.pipeline.backends` applies to pick one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from docparse.errors import ConfigurationError

if TYPE_CHECKING:
    from docparse.options import ParseOptions

Kind = Literal["layout", "recognizer"]


@dataclass(frozen=True)
class BackendSpec:
    name: str
    kind: Kind
    #: One line for ``--help``.
    summary: str
    #: Builds the backend from the options (no model loading: backends load on first use).
    build: Callable[[ParseOptions], Any]


_REGISTRY: dict[Kind, dict[str, BackendSpec]] = {"layout": {}, "recognizer": {}}


def register(spec: BackendSpec) -> BackendSpec:
    _REGISTRY[spec.kind][spec.name] = spec
    return spec


def names(kind: Kind) -> tuple[str, ...]:
    """The choices users have, ``auto`` first."""
    return ("auto", *_REGISTRY[kind])


def spec(kind: Kind, name: str) -> BackendSpec:
    try:
        return _REGISTRY[kind][name]
    except KeyError:
        raise ConfigurationError(
            f"option {kind}: {name!r} is not one of {', '.join(names(kind))}") from None


def describe(kind: Kind) -> str:
    """``auto``, then each backend with its summary, for the CLI's help."""
    return "; ".join(f"{s.name}: {s.summary}" for s in _REGISTRY[kind].values())

"""Which PaddleOCR-VL pipeline version a run uses: forced by the option, or read off the server.

``auto`` asks every endpoint's ``/v1/models`` once, before the first page. A served model is
recognised by its ``id`` (``PaddleOCR-VL-1.5-0.9B``) or, for a custom ``--served-model-name``,
by its ``root`` (the weights vLLM loaded: ``PaddlePaddle/PaddleOCR-VL-1.5``). The outcomes:

* one known version on every endpoint that answered: that version, with a notice saying so;
* a model docparse does not know, or no endpoint answering: v1, with a notice naming
  ``--pipeline-version``;
* several models on one endpoint, none of which (or more than one of which) is recognised:
  :class:`ConfigurationError` asking for ``--model``;
* endpoints of one pool serving different versions: :class:`ConfigurationError`, one line;
* a forced version the server contradicts: allowed, with a one-line warning.

Without a server (built-in recognition), ``auto`` is v1 and nothing is asked.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from docparse.errors import ConfigurationError
from docparse.options import ParseOptions
from docparse.versions import V1, PipelineVersion, get_version, version_of_served

#: ``/models`` answers at once on a live server; a dead one must not hold up the start.
LIST_TIMEOUT: Final[float] = 5.0


@dataclass(frozen=True)
class ServedModel:
    """One entry of ``/v1/models``: the served name and, from vLLM, the weights it came from."""

    id: str
    root: str | None = None

    @property
    def version(self) -> PipelineVersion | None:
        return version_of_served((self.id, self.root))


@dataclass(frozen=True)
class VersionChoice:
    version: PipelineVersion
    #: One-line message for the user (which version and why, or a mismatch warning).
    notice: str | None = None


#: ``endpoint URL (…/v1) -> its models``, or None when it did not answer.
ModelLister = Callable[[str, "str | None"], "list[ServedModel] | None"]


def list_served_models(url: str, api_key: str | None) -> list[ServedModel] | None:
    """GET ``{url}/models`` (``url`` ends in ``/v1``); None when it cannot be read."""
    request = urllib.request.Request(
        url.rstrip("/") + "/models",
        headers={"Authorization": f"Bearer {api_key or 'null'}", "Accept": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=LIST_TIMEOUT) as response:
            body = json.loads(response.read().decode("utf-8"))
    except (OSError, ValueError, urllib.error.URLError):
        return None
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list):
        return None
    out = []
    for entry in data:
        if isinstance(entry, dict) and isinstance(entry.get("id"), str):
            root = entry.get("root")
            out.append(ServedModel(entry["id"], root if isinstance(root, str) else None))
    return out


def _describe(model: ServedModel) -> str:
    if model.root and model.root != model.id:
        return f"{model.id} (from {model.root})"
    return model.id


def _model_in_use(
    url: str, served: Sequence[ServedModel], wanted: str | None, auto: bool
) -> ServedModel | None:
    """The served model requests will go to (as discovery picks it), or None if unclear."""
    if wanted is not None:
        return next((m for m in served if m.id == wanted), None)
    if len(served) == 1:
        return served[0]
    known = [m for m in served if m.version is not None]
    if len(known) == 1:
        return known[0]
    if not auto or not served:
        return None
    listed = ", ".join(_describe(m) for m in served)
    what = "several PaddleOCR-VL models" if known else "several models docparse does not recognise"
    raise ConfigurationError(
        f"{url}: the server serves {what} ({listed}); choose one with --model NAME"
        + ("" if known else " and set --pipeline-version")
    )


def choose_version(
    options: ParseOptions,
    *,
    lister: ModelLister = list_served_models,
) -> VersionChoice:
    """Resolve ``options.pipeline_version`` (see the module docstring)."""
    from docparse.recognize.vlm.client import normalize_server_url

    auto = options.pipeline_version == "auto"
    forced = None if auto else get_version(options.pipeline_version)
    if not options.server_url or options.recognizer == "builtin":
        return VersionChoice(forced or V1)
    urls = list(dict.fromkeys(normalize_server_url(u) for u in options.server_url))
    found: dict[str, tuple[ServedModel | None, PipelineVersion | None]] = {}
    for url in urls:
        served = lister(url, options.api_key)
        if served is None:
            continue
        model = _model_in_use(url, served, options.model, auto)
        found[url] = (model, model.version if model is not None else None)
    versions = {v.name: v for _, v in found.values() if v is not None}
    if len(versions) > 1:
        pairs = ", ".join(f"{u} {v.name}" for u, (_, v) in found.items() if v is not None)
        raise ConfigurationError(
            f"the servers of one run serve different PaddleOCR-VL versions ({pairs}); "
            "give each version its own run (--server) and --pipeline-version"
        )
    served_version = next(iter(versions.values()), None)
    model = next((m for m, v in found.values() if v is not None), None)
    if forced is not None:
        if served_version is not None and served_version is not forced and model is not None:
            return VersionChoice(
                forced,
                f"warning: --pipeline-version {forced.name}, but the server serves "
                f"{_describe(model)} ({served_version.name}); requests and layout follow {forced.name}",
            )
        return VersionChoice(forced)
    if served_version is not None and model is not None:
        return VersionChoice(
            served_version,
            f"pipeline version {served_version.name}: the server serves {_describe(model)}",
        )
    if not found:
        return VersionChoice(
            V1,
            "pipeline version v1: the server's model list could not be read; "
            "set --pipeline-version v1.5|v1.6 for a newer PaddleOCR-VL",
        )
    names = ", ".join(_describe(m) for m, _ in found.values() if m is not None) or "?"
    return VersionChoice(
        V1,
        f"pipeline version v1: the served model {names} is not one docparse recognises; "
        "set --pipeline-version v1|v1.5|v1.6 to choose",
    )

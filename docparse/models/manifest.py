"""The model manifest: which models docparse can use, their files, sizes, hashes and sources.

The shipped ``manifest.json`` sits next to this module. A site replaces it with
``--manifest FILE`` or ``DOCPARSE_MANIFEST`` (read by the caller, not here). A file whose
``sha256`` is null is *trusted on first use*: its hash is recorded in the cache at the first
fetch and verified against that record afterwards.

Format (``"format": 1``)::

    {"format": 1, "models": [{
        "name": "PP-DocLayoutV2", "default": true, "description": "...",
        "files": [{"path": "inference.pdiparams", "size": 212170944, "sha256": "4540..."},
                  {"path": "inference.json", "size": null, "sha256": null},
                  {"path": "config.json", "size": 4535, "sha256": "e1a2...", "optional": true}],
        "sources": {"huggingface": {"repo": "PaddlePaddle/PP-DocLayoutV2", "revision": "main",
                                    "verified": false},
                    "bos": {"url": "https://.../PP-DocLayoutV2_infer.tar"}}}]}
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from docparse.errors import ConfigurationError

SourceName = Literal["huggingface", "modelscope", "bos", "mirror"]
#: Upstream order after the chosen source, as paddlex tries its hosters (mirror only if given).
SOURCE_NAMES: tuple[SourceName, ...] = ("huggingface", "modelscope", "bos", "mirror")
#: Sources that serve one file per URL; the others serve a ``*_infer.tar`` archive.
FILE_SOURCES: frozenset[str] = frozenset({"huggingface", "modelscope"})

MANIFEST_FORMAT = 1
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


@dataclass(frozen=True)
class ManifestFile:
    """One file of a model, relative to the model directory (POSIX separators)."""

    path: str
    size: int | None = None
    sha256: str | None = None
    #: Optional files are verified when present but not required (e.g. not in the BOS tar).
    optional: bool = False

    @property
    def pinned(self) -> bool:
        """True when the manifest fixes the hash; False means trust on first use."""
        return self.sha256 is not None


@dataclass(frozen=True)
class UpstreamSource:
    """Where one upstream hoster keeps the model: a repo at a revision, or an archive URL."""

    kind: str
    repo: str | None = None
    revision: str | None = None
    url: str | None = None
    #: False when the revision could not be checked against the hoster when it was written.
    verified: bool = False


@dataclass(frozen=True)
class ModelEntry:
    """One model: its cache directory name, files and upstream sources."""

    name: str
    files: tuple[ManifestFile, ...]
    sources: tuple[UpstreamSource, ...] = ()
    default: bool = False
    description: str = ""

    def source(self, kind: str) -> UpstreamSource | None:
        """The upstream entry of that kind, if the manifest lists one."""
        return next((s for s in self.sources if s.kind == kind), None)

    @property
    def required_files(self) -> tuple[ManifestFile, ...]:
        return tuple(f for f in self.files if not f.optional)


@dataclass(frozen=True)
class Manifest:
    """The parsed manifest. ``path`` is None for the one shipped in the package."""

    models: tuple[ModelEntry, ...]
    path: Path | None = None

    @property
    def origin(self) -> str:
        """How to name this manifest in messages."""
        return str(self.path) if self.path is not None else "the shipped manifest"

    def find(self, name: str) -> ModelEntry | None:
        """The entry called ``name`` (exact match), or None."""
        return next((m for m in self.models if m.name == name), None)

    def get(self, name: str) -> ModelEntry:
        """The entry called ``name``; :class:`ConfigurationError` naming the known ones if absent."""
        entry = self.find(name)
        if entry is None:
            known = ", ".join(m.name for m in self.models) or "none"
            raise ConfigurationError(f"{self.origin}: no model named {name!r} (known: {known})")
        return entry

    @property
    def default_names(self) -> tuple[str, ...]:
        """The models docparse needs by default (what ``fetch-models`` installs without --model)."""
        return tuple(m.name for m in self.models if m.default)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form :func:`parse_manifest` reads (used when writing bundles)."""
        return {
            "format": MANIFEST_FORMAT,
            "models": [
                {
                    "name": m.name,
                    "description": m.description,
                    "default": m.default,
                    "files": [
                        {"path": f.path, "size": f.size, "sha256": f.sha256, "optional": f.optional}
                        for f in m.files
                    ],
                    "sources": {
                        s.kind: {
                            k: v
                            for k, v in (
                                ("repo", s.repo),
                                ("revision", s.revision),
                                ("url", s.url),
                                ("verified", s.verified),
                            )
                            if v is not None
                        }
                        for s in m.sources
                    },
                }
                for m in self.models
            ],
        }


def safe_relative_path(path: str, *, origin: str) -> str:
    """Normalise a model-relative path; refuse absolute paths, ``..`` and empty parts."""
    p = PurePosixPath(path.replace("\\", "/"))
    if not path or p.is_absolute() or any(part in ("..", "") for part in p.parts) or ":" in path:
        raise ConfigurationError(
            f"{origin}: unsafe file path {path!r} (must stay inside the model)"
        )
    return p.as_posix()


def _file(raw: Any, origin: str) -> ManifestFile:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("path"), str):
        raise ConfigurationError(f"{origin}: each file needs a string 'path', got {raw!r}")
    path = safe_relative_path(raw["path"], origin=origin)
    size, sha = raw.get("size"), raw.get("sha256")
    if size is not None and (not isinstance(size, int) or isinstance(size, bool) or size < 0):
        raise ConfigurationError(f"{origin}: {path}: size must be a non-negative integer or null")
    if sha is not None and (not isinstance(sha, str) or not _SHA256.match(sha.lower())):
        raise ConfigurationError(f"{origin}: {path}: sha256 must be 64 hex digits or null")
    return ManifestFile(
        path=path,
        size=size,
        sha256=sha.lower() if sha else None,
        optional=bool(raw.get("optional", False)),
    )


def _sources(raw: Any, origin: str) -> tuple[UpstreamSource, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, Mapping):
        raise ConfigurationError(f"{origin}: 'sources' must be an object keyed by source name")
    out = []
    for kind, spec in raw.items():
        if kind not in SOURCE_NAMES or kind == "mirror":
            raise ConfigurationError(
                f"{origin}: unknown source {kind!r} (one of huggingface, modelscope, bos)"
            )
        if not isinstance(spec, Mapping):
            raise ConfigurationError(f"{origin}: source {kind} must be an object")
        if kind in FILE_SOURCES and not spec.get("repo"):
            raise ConfigurationError(f"{origin}: source {kind} needs a 'repo'")
        out.append(
            UpstreamSource(
                kind=kind,
                repo=spec.get("repo"),
                revision=spec.get("revision"),
                url=spec.get("url"),
                verified=bool(spec.get("verified", False)),
            )
        )
    return tuple(out)


def parse_manifest(data: Any, *, path: Path | None = None) -> Manifest:
    """Validate manifest JSON data; :class:`ConfigurationError` names the file and the problem."""
    origin = str(path) if path is not None else "the shipped manifest"
    if not isinstance(data, Mapping) or data.get("format") != MANIFEST_FORMAT:
        raise ConfigurationError(f'{origin}: not a docparse manifest (need "format": 1)')
    models_raw = data.get("models")
    if not isinstance(models_raw, list):
        raise ConfigurationError(f"{origin}: 'models' must be a list")
    models: list[ModelEntry] = []
    for raw in models_raw:
        name = raw.get("name") if isinstance(raw, Mapping) else None
        if not isinstance(name, str) or not _NAME.match(name):
            raise ConfigurationError(f"{origin}: model name {name!r} is not a plain directory name")
        where = f"{origin}: model {name}"
        files_raw = raw.get("files")
        if not isinstance(files_raw, list) or not files_raw:
            raise ConfigurationError(f"{where}: 'files' must be a non-empty list")
        files = tuple(_file(f, where) for f in files_raw)
        if len({f.path for f in files}) != len(files):
            raise ConfigurationError(f"{where}: a file is listed twice")
        if any(m.name == name for m in models):
            raise ConfigurationError(f"{origin}: model {name} is listed twice")
        models.append(
            ModelEntry(
                name=name,
                files=files,
                sources=_sources(raw.get("sources"), where),
                default=bool(raw.get("default", False)),
                description=str(raw.get("description", "")),
            )
        )
    return Manifest(models=tuple(models), path=path)


def load_manifest(path: Path | None = None) -> Manifest:
    """Read ``path``, or the manifest shipped in the package when None.

    ``DOCPARSE_MANIFEST`` is honoured by the caller (see :func:`docparse.options.read_environment`).

    >>> load_manifest().get("PP-DocLayoutV2").files[0].path
    'inference.pdiparams'
    """
    try:
        if path is None:
            text = resources.files("docparse.models").joinpath("manifest.json").read_text("utf-8")
        else:
            text = Path(path).read_text("utf-8")
    except OSError as exc:
        raise ConfigurationError(f"{path}: cannot read manifest: {exc.strerror or exc}") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        where = path if path is not None else "the shipped manifest"
        raise ConfigurationError(f"{where}: invalid JSON: {exc}") from exc
    return parse_manifest(data, path=None if path is None else Path(path))

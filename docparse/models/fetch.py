"""Installing models into the cache from remote sources: the only code here that downloads.

Each source is a URL template over the one :class:`~docparse.models.download.Downloader`:

============  ====================================================================
huggingface   ``https://huggingface.co/{repo}/resolve/{revision}/{file}``
modelscope    ``https://modelscope.cn/api/v1/models/{repo}/repo?Revision={revision}&FilePath={file}``
bos           the manifest's ``url`` (``.../paddle3.0.0/{name}_infer.tar``), an archive
mirror        ``{mirror}/{name}/{file}`` per file, else the archive ``{mirror}/{name}_infer.tar``
============  ====================================================================

Installs are atomic: files are assembled and verified in ``<cache>/.docparse-staging/<name>/``
and the finished directory is renamed into ``official_models/``. A per-model file lock (the one
paddlex uses) serialises concurrent fetches.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from docparse.errors import ConfigurationError, ModelError, ModelFetchError
from docparse.models.archive import safe_extract
from docparse.models.cache import check_model, model_path
from docparse.models.download import Downloader, DownloadProgress
from docparse.models.install import (
    AlreadyInstalled,
    FileTrusted,
    ModelInstalled,
    ModelStaging,
    WaitingForLock,
    locate_model_root,
    model_lock,
    precheck,
)
from docparse.models.manifest import FILE_SOURCES, SOURCE_NAMES, Manifest, ModelEntry

if TYPE_CHECKING:
    import httpx

HF_TEMPLATE = "https://huggingface.co/{repo}/resolve/{revision}/{file}"
MODELSCOPE_TEMPLATE = (
    "https://modelscope.cn/api/v1/models/{repo}/repo?Revision={revision}&FilePath={file}"
)
BOS_TEMPLATE = (
    "https://paddle-model-ecology.bj.bcebos.com/paddlex/official_inference_model/"
    "paddle3.0.0/{name}_infer.tar"
)
MIRROR_FILE_TEMPLATE = "{mirror}/{name}/{file}"
MIRROR_ARCHIVE_TEMPLATE = "{mirror}/{name}_infer.tar"


@dataclass(frozen=True)
class SourceFailed:
    """One source could not provide a model; the next one is tried."""

    model: str
    source: str
    message: str


FetchEvent = (
    DownloadProgress
    | SourceFailed
    | FileTrusted
    | ModelInstalled
    | AlreadyInstalled
    | WaitingForLock
)
FetchCallback = Callable[[FetchEvent], None]


@dataclass(frozen=True)
class FetchResult:
    """What happened to one model."""

    name: str
    ok: bool
    path: Path
    source: str = ""
    message: str = ""


def ignore_event(event: FetchEvent) -> None:
    """Default event callback."""


# --- URL templates (pure) ---------------------------------------------------------------------


def source_order(entry: ModelEntry, preferred: str | None, mirror: str | None) -> tuple[str, ...]:
    """The chosen source first, then the others the manifest lists (mirror only when given)."""
    if preferred is not None and preferred not in SOURCE_NAMES:
        raise ConfigurationError(f"unknown source {preferred!r} (one of {', '.join(SOURCE_NAMES)})")
    if preferred == "mirror" and not mirror:
        raise ConfigurationError("--source mirror needs --mirror URL")
    available = [s for s in SOURCE_NAMES if (s == "mirror" and mirror) or entry.source(s)]
    if preferred is None and mirror:
        preferred = "mirror"
    if preferred in available:
        available.remove(preferred)
        available.insert(0, preferred)
    return tuple(available)


def file_url(source: str, entry: ModelEntry, file: str, *, mirror: str | None = None) -> str | None:
    """The URL of one model file on a per-file source, or None if the source has no file layout."""
    if source == "mirror":
        if not mirror:
            return None
        return MIRROR_FILE_TEMPLATE.format(
            mirror=mirror.rstrip("/"), name=quote(entry.name), file=quote(file)
        )
    up = entry.source(source)
    if up is None or source not in FILE_SOURCES or up.repo is None:
        return None
    template = up.url or (HF_TEMPLATE if source == "huggingface" else MODELSCOPE_TEMPLATE)
    default_rev = "main" if source == "huggingface" else "master"
    return template.format(
        repo=up.repo,
        revision=quote(up.revision or default_rev, safe=""),
        file=quote(file),
        name=entry.name,
    )


def archive_url(source: str, entry: ModelEntry, *, mirror: str | None = None) -> str | None:
    """The URL of the model's ``*_infer.tar`` on an archive source, or None."""
    if source == "mirror":
        return (
            MIRROR_ARCHIVE_TEMPLATE.format(mirror=mirror.rstrip("/"), name=entry.name)
            if mirror
            else None
        )
    up = entry.source(source)
    if source != "bos" or up is None:
        return None
    return (up.url or BOS_TEMPLATE).format(name=entry.name)


# --- fetching ---------------------------------------------------------------------------------


def _fetch_files(
    entry: ModelEntry,
    stage: ModelStaging,
    source: str,
    dl: Downloader,
    mirror: str | None,
    on_event: FetchCallback,
) -> str:
    """Download every file not already staged; returns a description of the source."""
    first = file_url(source, entry, entry.files[0].path, mirror=mirror) or source
    for f in entry.files:
        if stage.is_done(f):
            continue
        url = file_url(source, entry, f.path, mirror=mirror)
        if url is None:
            raise ModelFetchError(f"{entry.name}: source {source} has no file layout")
        got = dl.fetch(
            url,
            stage.file_path(f),
            size=f.size,
            sha256=f.sha256,
            missing_ok=f.optional,
            on_progress=on_event,
        )
        if got is not None:
            stage.mark_done(f, got.sha256)
    return first.rsplit("/", 1)[0] if "/" in first else first


def _fetch_archive(
    entry: ModelEntry, stage: ModelStaging, url: str, dl: Downloader, on_event: FetchCallback
) -> str:
    tar = stage.work / "archive" / url.rsplit("/", 1)[-1]
    dl.fetch(url, tar, on_progress=on_event)
    extract = stage.fresh_extract_dir()
    safe_extract(tar, extract)
    root = locate_model_root(extract, entry, origin=url)
    for f in entry.files:
        if not stage.is_done(f):
            stage.accept(f, root / f.path, origin=url, move=True, on_event=on_event)
    tar.unlink()
    return url


def _fetch_one(
    entry: ModelEntry,
    cache_dir: Path,
    sources: Sequence[str],
    dl: Downloader,
    mirror: str | None,
    force: bool,
    on_event: FetchCallback,
) -> FetchResult:
    target = model_path(cache_dir, entry.name)
    with model_lock(cache_dir, entry.name, on_event):
        if precheck(entry, cache_dir, force=force, on_event=on_event):
            return FetchResult(entry.name, True, target, "cache")
        stage = ModelStaging(cache_dir, entry)
        failures: list[str] = []
        for source in sources:
            stage.use_source(source)
            try:
                url = None if source in FILE_SOURCES else archive_url(source, entry, mirror=mirror)
                if source == "mirror":
                    try:
                        where = _fetch_files(entry, stage, source, dl, mirror, on_event)
                    except ModelFetchError as exc:
                        if "(not on this source)" not in str(exc) or url is None:
                            raise
                        where = _fetch_archive(entry, stage, url, dl, on_event)
                elif url is not None:
                    where = _fetch_archive(entry, stage, url, dl, on_event)
                else:
                    where = _fetch_files(entry, stage, source, dl, mirror, on_event)
                stage.install(f"{source} {where}", on_event)
                return FetchResult(entry.name, True, target, source)
            except (ModelError, OSError) as exc:
                msg = str(exc) if isinstance(exc, ModelError) else f"{exc.filename}: {exc.strerror}"
                failures.append(f"{source}: {msg}")
                on_event(SourceFailed(entry.name, source, msg))
        stage.cleanup_if_empty()
        if not sources:
            failures.append("the manifest lists no source and no --mirror was given")
        return FetchResult(entry.name, False, target, "", "; ".join(failures))


def fetch_models(
    names: Sequence[str],
    *,
    cache_dir: Path,
    manifest: Manifest,
    source: str | None = None,
    mirror: str | None = None,
    sources: Sequence[str] | None = None,
    force: bool = False,
    client: httpx.Client | None = None,
    downloader: Downloader | None = None,
    on_event: FetchCallback = ignore_event,
) -> list[FetchResult]:
    """Install ``names`` into ``cache_dir`` from remote sources; one result per model.

    ``sources`` overrides the order computed from ``source``/``mirror`` (tests and sites that
    must never fall back to the public hosters). Per-model failures are results, not raises;
    :class:`ConfigurationError` is raised for an unknown model or source.

    >>> fetch_models(["PP-DocLayoutV2"], cache_dir=Path("models_cache"),
    ...              manifest=load_manifest())  # doctest: +SKIP
    """
    entries = [manifest.get(n) for n in names]
    dl = downloader or Downloader(client)
    try:
        results = []
        for entry in entries:
            order = tuple(sources) if sources is not None else source_order(entry, source, mirror)
            results.append(_fetch_one(entry, cache_dir, order, dl, mirror, force, on_event))
        return results
    finally:
        if downloader is None:
            dl.close()


__all__ = [
    "FetchCallback",
    "FetchEvent",
    "FetchResult",
    "SourceFailed",
    "archive_url",
    "check_model",
    "fetch_models",
    "file_url",
    "source_order",
]

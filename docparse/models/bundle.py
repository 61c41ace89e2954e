"""Air-gapped transfer: write the cache into one tar, and install models from local files.

A bundle is an uncompressed tar (``.tar.gz``/``.tgz`` names are gzip-compressed)::

    docparse-bundle.json            {"format": 1, "docparse": "0.1.0", "models": {name:
                                      {"files": {path: {"size", "sha256", "trust"}}}}}
    manifest.json                   the manifest the cache was verified against
    official_models/<name>/<files>

``install_from`` also takes a directory of model folders, a paddlex cache root, or an official
``<name>_infer.tar``; every file is verified before the model is installed.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import tarfile
import time
import uuid
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from docparse._version import __version__
from docparse.errors import ConfigurationError, ModelError, ModelIntegrityError, ModelNotFoundError
from docparse.models.archive import is_archive, open_regular, regular_file_inside, safe_extract
from docparse.models.cache import (
    RECORD_NAME,
    STAGING_DIR,
    check_model,
    fetch_command,
    model_path,
    read_record,
)
from docparse.models.fetch import FetchCallback, FetchResult, ignore_event
from docparse.models.install import (
    ModelStaging,
    locate_model_root,
    model_lock,
    precheck,
    remove_if_empty,
)
from docparse.models.manifest import Manifest, ModelEntry, parse_manifest

BUNDLE_INDEX = "docparse-bundle.json"
BUNDLE_MANIFEST = "manifest.json"
BUNDLE_FORMAT = 1


def _add_bytes(tf: tarfile.TarFile, name: str, data: bytes, mtime: float) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(mtime)
    info.mode = 0o644
    tf.addfile(info, io.BytesIO(data))


def write_bundle(
    out: Path, names: Sequence[str], *, cache_dir: Path, manifest: Manifest
) -> dict[str, Any]:
    """Write the verified models ``names`` plus the manifest to ``out`` (atomically).

    Every file is re-hashed first; a model that is missing or damaged raises
    :class:`ModelNotFoundError` / :class:`ModelIntegrityError` and no bundle is written.
    Returns the bundle index.
    """
    entries = [manifest.get(n) for n in names]
    index: dict[str, Any] = {"format": BUNDLE_FORMAT, "docparse": __version__, "models": {}}
    out = Path(out)
    tmp = out.with_name(f".{out.name}.{uuid.uuid4().hex}.part")
    gz = out.name.endswith((".tar.gz", ".tgz"))
    now = time.time()
    with ExitStack() as locks:
        for entry in sorted(entries, key=lambda e: e.name):
            locks.enter_context(model_lock(cache_dir, entry.name, ignore_event))
        for entry in entries:
            check = check_model(entry, cache_dir, verify="full")
            if check.state in ("missing", "incomplete", "unverified"):
                cmd = fetch_command(entry.name, cache_dir=cache_dir, manifest=manifest)
                raise ModelNotFoundError(
                    f"cannot bundle {entry.name}: it is {check.state} in {cache_dir}; run `{cmd}`"
                )
            if check.state == "corrupt":
                bad = check.problems[0]
                raise ModelIntegrityError(f"cannot bundle {check.path / bad.path}: {bad.detail}")
            index["models"][entry.name] = {
                "files": {
                    fc.path: {"size": fc.size, "sha256": fc.sha256, "trust": fc.trust}
                    for fc in check.files
                    if fc.state == "ok"
                }
            }
        try:
            with tarfile.open(tmp, "w:gz") if gz else tarfile.open(tmp, "w") as tf:
                _add_bytes(tf, BUNDLE_INDEX, json.dumps(index, indent=1).encode(), now)
                manifest_json = json.dumps(manifest.to_dict(), indent=1).encode()
                _add_bytes(tf, BUNDLE_MANIFEST, manifest_json, now)
                for entry in entries:
                    root = model_path(cache_dir, entry.name)
                    for path in index["models"][entry.name]["files"]:
                        # A link in the cache must not become a link in the bundle (nor ship a
                        # file from outside the model folder): members are regular files only.
                        origin = f"{cache_dir}: {entry.name}"
                        src = regular_file_inside(root, path, origin=origin)
                        with open_regular(src, origin=origin) as fh:
                            info = tf.gettarinfo(
                                arcname=f"official_models/{entry.name}/{path}", fileobj=fh
                            )
                            info.uid = info.gid = 0
                            info.uname = info.gname = ""
                            info.mode = 0o644
                            tf.addfile(info, fh)
            tmp.replace(out)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    return index


def _bundle_expectations(tree: Path, origin: str) -> tuple[dict[str, Any], Manifest] | None:
    index_path = tree / BUNDLE_INDEX
    if not index_path.is_file():
        return None
    try:
        index = json.loads(index_path.read_text("utf-8"))
        bundle_manifest = parse_manifest(
            json.loads((tree / BUNDLE_MANIFEST).read_text("utf-8")), path=Path(origin)
        )
    except (OSError, ValueError) as exc:
        raise ConfigurationError(f"{origin}: damaged docparse bundle: {exc}") from exc
    if not isinstance(index, dict) or index.get("format") != BUNDLE_FORMAT:
        raise ConfigurationError(f"{origin}: unsupported docparse bundle format")
    return index, bundle_manifest


def _install_one(
    entry: ModelEntry,
    tree: Path,
    *,
    origin: str,
    move: bool,
    recorded: dict[str, Any] | None,
    cache_dir: Path,
    force: bool,
    on_event: FetchCallback,
) -> FetchResult:
    target = model_path(cache_dir, entry.name)
    with model_lock(cache_dir, entry.name, on_event):
        if precheck(entry, cache_dir, force=force, on_event=on_event):
            return FetchResult(entry.name, True, target, "cache")
        root = locate_model_root(tree, entry, origin=origin)
        if recorded is None and (root / RECORD_NAME).is_file():
            recorded = read_record(root)  # a docparse cache copied by hand
        stage = ModelStaging(cache_dir, entry)
        stage.use_source(f"local {origin}")
        try:
            for f in entry.files:
                src = root / f.path
                if os.path.lexists(src):
                    # Read only regular files inside the tree: a link out of it would copy a
                    # private file into the cache (and from there into bundles).
                    src = regular_file_inside(tree, src.relative_to(tree), origin=origin)
                rec = (recorded or {}).get(f.path)
                if recorded is not None and rec is None and not f.optional:
                    raise ModelIntegrityError(f"{origin}: {entry.name}/{f.path} has no record")
                expected = (int(rec["size"]), str(rec["sha256"])) if rec else None
                stage.accept(
                    f,
                    src,
                    origin=f"{origin}: {entry.name}",
                    move=move,
                    expected=expected,
                    on_event=on_event,
                )
            stage.install(f"local {origin}", on_event)
        finally:
            stage.cleanup_if_empty()
    return FetchResult(entry.name, True, target, f"local {origin}")


def install_from(
    path: Path,
    names: Sequence[str] | None,
    *,
    cache_dir: Path,
    manifest: Manifest,
    force: bool = False,
    on_event: FetchCallback = ignore_event,
) -> list[FetchResult]:
    """Install models from local files: a directory of model folders, a paddlex cache root, an
    official ``<name>_infer.tar`` or a docparse bundle. Never uses the network.

    ``names=None`` means every model in a bundle, the model an ``<name>_infer.tar`` is named
    after, or the manifest's default models otherwise.
    """
    path = Path(path).expanduser()
    if not path.exists():
        raise ConfigurationError(f"{path}: no such file or directory (--from)")
    scratch: Path | None = None
    try:
        if path.is_dir():
            tree, move = path, False
        elif is_archive(path):
            scratch = Path(cache_dir) / STAGING_DIR / f".from-{uuid.uuid4().hex}"
            safe_extract(path, scratch)
            tree, move = scratch, True
        else:
            raise ConfigurationError(
                f"{path}: neither a directory nor a tar or zip archive (--from)"
            )
        bundle = _bundle_expectations(tree, str(path))
        if names:
            wanted = list(names)
        elif bundle is not None:
            wanted = sorted(bundle[0].get("models", {}))
        elif path.is_file() and path.name.endswith(("_infer.tar", "_infer.zip")):
            wanted = [path.name[: -len("_infer.tar")]]
        else:
            wanted = list(manifest.default_names)
        results = []
        for name in wanted:
            entry = manifest.find(name) or (bundle[1].find(name) if bundle else None)
            if entry is None:
                manifest.get(name)  # raises ConfigurationError listing the known names
                continue
            recorded = None
            if bundle is not None:
                models = bundle[0].get("models", {})
                if name not in models:
                    results.append(
                        FetchResult(
                            name,
                            False,
                            model_path(cache_dir, name),
                            "",
                            f"{path}: the bundle does not contain {name}",
                        )
                    )
                    continue
                recorded = models[name].get("files", {})
            try:
                results.append(
                    _install_one(
                        entry,
                        tree,
                        origin=str(path),
                        move=move,
                        recorded=recorded,
                        cache_dir=cache_dir,
                        force=force,
                        on_event=on_event,
                    )
                )
            except (ModelError, OSError) as exc:
                results.append(FetchResult(name, False, model_path(cache_dir, name), "", str(exc)))
        return results
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
            remove_if_empty(scratch.parent)

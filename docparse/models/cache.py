"""Where model weights live, and whether what is there matches the manifest. Never downloads.

Layout (paddlex's, so ``--cache-dir ~/.paddlex`` reuses a paddlex cache)::

    <cache>/official_models/<name>/<files>            the installed model
    <cache>/official_models/<name>/.docparse-verified.json
                                                       sizes, sha256 (pinned or first-use) and
                                                       the mtime each was last hashed at
    <cache>/locks/official_models/<sha256(name)>.lock  the lock paddlex uses for the same model
    <cache>/.docparse-staging/<name>/                  fetches in progress (never looks installed)
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shlex
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from docparse.errors import DocParseError, ModelIntegrityError, ModelNotFoundError
from docparse.models.manifest import Manifest, ManifestFile, ModelEntry, load_manifest
from docparse.options import read_environment

log = logging.getLogger("docparse")

RECORD_NAME = ".docparse-verified.json"
RECORD_FORMAT = 1
STAGING_DIR = ".docparse-staging"
_HASH_CHUNK = 1 << 20

Trust = Literal["pinned", "first-use"]
FileState = Literal["ok", "missing", "absent", "size", "sha256", "unrecorded"]
ModelState = Literal["ok", "missing", "incomplete", "unverified", "corrupt"]


def default_cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The cache root: ``DOCPARSE_MODELS_DIR``, else ``models_cache/`` in a checkout, else the
    user cache directory (platformdirs).

    A checkout is recognised by a ``pyproject.toml`` naming the project ``docparse`` next to the
    ``docparse/`` package.
    """
    env = read_environment(environ)
    if env.models_dir is not None:
        return env.models_dir
    root = Path(__file__).resolve().parent.parent.parent
    pyproject = root / "pyproject.toml"
    try:
        text = pyproject.read_text("utf-8")
    except OSError:
        text = ""
    if any(line.replace(" ", "") == 'name="docparse"' for line in text.splitlines()):
        return root / "models_cache"
    import platformdirs

    return platformdirs.user_cache_path("docparse") / "models"


def model_path(cache_dir: Path, name: str) -> Path:
    """The directory a model is installed in."""
    return Path(cache_dir) / "official_models" / name


def lock_path(cache_dir: Path, name: str) -> Path:
    """The per-model lock file; the same path paddlex locks, so the two never race."""
    key = hashlib.sha256(name.encode("utf-8")).hexdigest()
    return Path(cache_dir) / "locks" / "official_models" / f"{key}.lock"


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_HASH_CHUNK):
            h.update(chunk)
    return h.hexdigest()


# --- the verification record ------------------------------------------------------------------


def read_record(model_dir: Path) -> dict[str, dict[str, Any]]:
    """The ``files`` map of a model's record, or {} when there is none or it is unreadable."""
    try:
        data = json.loads((model_dir / RECORD_NAME).read_text("utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, json.JSONDecodeError) as exc:
        log.warning("%s: ignoring unreadable verification record: %s", model_dir / RECORD_NAME, exc)
        return {}
    files = data.get("files") if isinstance(data, dict) else None
    return (
        {k: v for k, v in files.items() if isinstance(v, dict)} if isinstance(files, dict) else {}
    )


def write_record(
    model_dir: Path, name: str, files: Mapping[str, Mapping[str, Any]], *, source: str
) -> None:
    """Write the record atomically (temp file in the same directory, then rename)."""
    data = {"format": RECORD_FORMAT, "model": name, "source": source, "files": dict(files)}
    fd, tmp = tempfile.mkstemp(prefix=".record-", dir=model_dir)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=1, sort_keys=True)
        os.replace(tmp, model_dir / RECORD_NAME)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def record_entry(path: Path, sha256: str, trust: Trust) -> dict[str, Any]:
    """One record line for a file just verified (stat taken now, for quick checks later)."""
    st = path.stat()
    return {"size": st.st_size, "sha256": sha256, "trust": trust, "mtime_ns": st.st_mtime_ns}


# --- checking a model directory ---------------------------------------------------------------


@dataclass(frozen=True)
class FileCheck:
    """What one manifest file looks like on disk."""

    path: str
    state: FileState
    trust: Trust | None = None
    size: int | None = None
    sha256: str | None = None
    detail: str = ""


@dataclass(frozen=True)
class ModelCheck:
    """The verdict on one model directory."""

    name: str
    path: Path
    state: ModelState
    files: tuple[FileCheck, ...] = ()
    #: Record lines refreshed by this check (new mtimes after a successful re-hash).
    refreshed: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @property
    def problems(self) -> tuple[FileCheck, ...]:
        return tuple(f for f in self.files if f.state not in ("ok", "absent"))


def _check_file(
    f: ManifestFile, model_dir: Path, rec: Mapping[str, Any] | None, full: bool
) -> tuple[FileCheck, dict[str, Any] | None]:
    p = model_dir / f.path
    try:
        st = p.stat()
    except FileNotFoundError:
        return FileCheck(f.path, "absent" if f.optional else "missing"), None
    trust: Trust = "pinned" if f.pinned else "first-use"
    want_sha = f.sha256 or (rec or {}).get("sha256")
    want_size = f.size if f.size is not None else (rec or {}).get("size")
    if want_sha is None:
        return FileCheck(f.path, "unrecorded", None, st.st_size, detail="no recorded hash"), None
    if want_size is not None and st.st_size != want_size:
        detail = f"size {st.st_size} differs from the expected {want_size}"
        return FileCheck(f.path, "size", trust, st.st_size, detail=detail), None
    fresh = (
        rec is not None
        and rec.get("sha256") == want_sha
        and rec.get("size") == st.st_size
        and rec.get("mtime_ns") == st.st_mtime_ns
    )
    if fresh and not full:
        return FileCheck(f.path, "ok", trust, st.st_size, want_sha), None
    actual = sha256_file(p)
    if actual != want_sha:
        detail = f"sha256 {actual} differs from the expected {want_sha}"
        return FileCheck(f.path, "sha256", trust, st.st_size, actual, detail), None
    refreshed = None if fresh else record_entry(p, actual, trust)
    return FileCheck(f.path, "ok", trust, st.st_size, actual), refreshed


def check_model(
    entry: ModelEntry, cache_dir: Path, *, verify: Literal["full", "quick"] = "quick"
) -> ModelCheck:
    """Compare the installed files with the manifest and the record; never raises for content.

    "quick" trusts a recorded hash while the file's size and mtime are unchanged; "full"
    re-hashes every file.
    """
    model_dir = model_path(cache_dir, entry.name)
    if not model_dir.is_dir():
        return ModelCheck(entry.name, model_dir, "missing")
    record = read_record(model_dir)
    checks: list[FileCheck] = []
    refreshed: dict[str, Mapping[str, Any]] = {}
    for f in entry.files:
        fc, new = _check_file(f, model_dir, record.get(f.path), verify == "full")
        checks.append(fc)
        if new is not None:
            refreshed[f.path] = new
    states = {c.state for c in checks}
    state: ModelState
    if states & {"size", "sha256"}:
        state = "corrupt"
    elif "missing" in states:
        state = "incomplete"
    elif "unrecorded" in states:
        state = "unverified"
    else:
        state = "ok"
    return ModelCheck(entry.name, model_dir, state, tuple(checks), refreshed)


def refresh_record(check: ModelCheck) -> None:
    """Store new mtimes so the next quick check need not re-hash; a read-only cache is fine."""
    if not check.refreshed or check.state != "ok":
        return
    merged = {**read_record(check.path), **check.refreshed}
    try:
        write_record(check.path, check.name, merged, source="verified in place")
    except OSError as exc:
        log.warning("%s: cannot update the verification record: %s", check.path, exc)


# --- the API the rest of docparse calls -------------------------------------------------------


def fetch_command(
    name: str,
    *,
    cache_dir: Path | None = None,
    manifest: Manifest | None = None,
    force: bool = False,
) -> str:
    """The exact ``docparse fetch-models`` command that installs ``name`` where it was looked for."""
    parts = ["docparse", "fetch-models", "--model", name]
    if cache_dir is not None and Path(cache_dir) != default_cache_dir():
        parts += ["--cache-dir", str(cache_dir)]
    if manifest is not None and manifest.path is not None:
        parts += ["--manifest", str(manifest.path)]
    if force:
        parts.append("--force")
    return shlex.join(parts)


def _default_manifest(manifest: Manifest | None) -> Manifest:
    return manifest if manifest is not None else load_manifest(read_environment().manifest)


def resolve_model(
    name: str,
    *,
    cache_dir: Path | None = None,
    manifest: Manifest | None = None,
    verify: Literal["full", "quick"] = "quick",
) -> Path:
    """The verified directory of model ``name``.

    Raises :class:`ModelNotFoundError` (message holds the ``docparse fetch-models`` command) when
    it is absent, incomplete or was never verified by docparse, and :class:`ModelIntegrityError`
    when a file's size or hash is wrong. ``manifest=None`` reads ``DOCPARSE_MANIFEST`` or the
    shipped one.

    >>> resolve_model("PP-DocLayoutV2")  # doctest: +SKIP
    PosixPath('/home/me/.cache/docparse/models/official_models/PP-DocLayoutV2')
    """
    mf = _default_manifest(manifest)
    root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    entry = mf.find(name)
    if entry is None:
        raise ModelNotFoundError(f"model {name!r} is not in {mf.origin}; pass --manifest FILE")
    check = check_model(entry, root, verify=verify)
    cmd = fetch_command(name, cache_dir=cache_dir, manifest=mf)
    if check.state == "missing":
        raise ModelNotFoundError(f"model {name} is not installed in {root}; run `{cmd}`")
    if check.state == "incomplete":
        missing = ", ".join(f.path for f in check.problems if f.state == "missing")
        raise ModelNotFoundError(
            f"model {name} in {check.path} is incomplete (missing {missing}); run `{cmd}`"
        )
    if check.state == "unverified":
        raise ModelNotFoundError(
            f"model {name} in {check.path} has no docparse verification record (installed by "
            f"another tool?); run `{cmd}` to verify it and record its hashes"
        )
    if check.state == "corrupt":
        bad = check.problems[0]
        fix = fetch_command(name, cache_dir=cache_dir, manifest=mf, force=True)
        raise ModelIntegrityError(f"{check.path / bad.path}: {bad.detail}; run `{fix}`")
    refresh_record(check)
    return check.path


def is_installed(
    name: str, *, cache_dir: Path | None = None, manifest: Manifest | None = None
) -> bool:
    """True when :func:`resolve_model` would succeed in quick mode; never raises."""
    try:
        resolve_model(name, cache_dir=cache_dir, manifest=manifest, verify="quick")
    except (DocParseError, OSError) as exc:
        log.debug("model %s not usable: %s", name, exc)
        return False
    return True


__all__ = [
    "FileCheck",
    "ModelCheck",
    "check_model",
    "default_cache_dir",
    "fetch_command",
    "is_installed",
    "load_manifest",
    "lock_path",
    "model_path",
    "resolve_model",
    "sha256_file",
]

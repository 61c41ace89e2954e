"""Assembling one model in a staging directory and installing it atomically, under a lock.

Shared by remote fetches (:mod:`docparse.models.fetch`) and local installs
(:mod:`docparse.models.bundle`). Nothing here touches the network.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import stat
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docparse.errors import ModelFetchError, ModelIntegrityError
from docparse.models.archive import open_regular
from docparse.models.cache import (
    STAGING_DIR,
    Trust,
    check_model,
    lock_path,
    model_path,
    read_record,
    record_entry,
    refresh_record,
    sha256_file,
    write_record,
)
from docparse.models.manifest import ManifestFile, ModelEntry

#: How long a fetch waits for another one holding the same model's lock.
LOCK_TIMEOUT = 3600.0


@dataclass(frozen=True)
class FileTrusted:
    """A file without a pinned hash was recorded on first use (trust on first use)."""

    model: str
    path: str
    sha256: str
    size: int


@dataclass(frozen=True)
class ModelInstalled:
    model: str
    path: Path
    source: str


@dataclass(frozen=True)
class AlreadyInstalled:
    """The model was already in the cache; ``how`` is "verified" or "adopted" (first record)."""

    model: str
    path: Path
    how: str


@dataclass(frozen=True)
class WaitingForLock:
    model: str
    lock: Path


InstallEvent = FileTrusted | ModelInstalled | AlreadyInstalled | WaitingForLock
InstallCallback = Callable[[Any], None]


@contextmanager
def model_lock(
    cache_dir: Path, name: str, on_event: InstallCallback, timeout: float = LOCK_TIMEOUT
) -> Iterator[None]:
    """Hold the model's cross-process lock (``<cache>/locks/official_models/...``)."""
    import filelock

    path = lock_path(cache_dir, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = filelock.FileLock(str(path))
    try:
        lock.acquire(timeout=0)
    except filelock.Timeout:
        on_event(WaitingForLock(name, path))
        try:
            lock.acquire(timeout=timeout)
        except filelock.Timeout as exc:
            raise ModelFetchError(
                f"{path}: another fetch held the lock for {timeout:.0f} s"
            ) from exc
    try:
        yield
    finally:
        lock.release()


def precheck(entry: ModelEntry, cache_dir: Path, *, force: bool, on_event: InstallCallback) -> bool:
    """True when the installed model is fine and nothing needs fetching.

    A directory with every pinned file correct but no docparse record (e.g. a paddlex cache) is
    adopted: its unpinned files are hashed and recorded (trust on first use).
    """
    if force or not model_path(cache_dir, entry.name).is_dir():
        return False
    check = check_model(entry, cache_dir, verify="full")
    if check.state == "ok":
        refresh_record(check)
        on_event(AlreadyInstalled(entry.name, check.path, "verified"))
        return True
    if check.state != "unverified":
        return False
    record = read_record(check.path)
    for fc in check.files:
        p = check.path / fc.path
        if fc.state == "unrecorded":
            sha = sha256_file(p)
            record[fc.path] = record_entry(p, sha, "first-use")
            on_event(FileTrusted(entry.name, fc.path, sha, p.stat().st_size))
        elif fc.state == "ok" and fc.sha256 and fc.trust:
            record[fc.path] = record_entry(p, fc.sha256, fc.trust)
    write_record(check.path, entry.name, record, source="adopted in place")
    on_event(AlreadyInstalled(entry.name, check.path, "adopted"))
    return True


def locate_model_root(tree: Path, entry: ModelEntry, *, origin: str) -> Path:
    """The folder of an extracted archive or a local tree that holds the model's files."""
    candidates = [
        tree / "official_models" / entry.name,
        tree / f"{entry.name}_infer",
        tree / entry.name,
        tree,
    ]
    subdirs = [p for p in tree.iterdir() if p.is_dir()] if tree.is_dir() else []
    if len(subdirs) == 1:
        candidates.append(subdirs[0])
    for c in candidates:
        if c.is_dir() and all((c / f.path).is_file() for f in entry.required_files):
            return c
    need = ", ".join(f.path for f in entry.required_files)
    raise ModelFetchError(
        f"{origin}: no {entry.name} model inside (looked for {entry.name}_infer/ or "
        f"{entry.name}/ holding {need})"
    )


class ModelStaging:
    """``<cache>/.docparse-staging/<name>/``: ``files/`` becomes the model directory."""

    def __init__(self, cache_dir: Path, entry: ModelEntry) -> None:
        self.cache_dir = Path(cache_dir)
        self.entry = entry
        self.work = self.cache_dir / STAGING_DIR / entry.name
        self.files_dir = self.work / "files"
        self._done: dict[str, tuple[str, Trust]] = {}
        self._trusted_now: set[str] = set()

    def file_path(self, f: ManifestFile) -> Path:
        return self.files_dir / f.path

    def use_source(self, source: str) -> None:
        """Unpinned files staged from another source must not mix with this one's."""
        marker = self.work / "source.json"
        try:
            previous = json.loads(marker.read_text("utf-8")).get("source")
        except (OSError, ValueError):
            previous = None
        if previous not in (None, source):
            for f in self.entry.files:
                if not f.pinned:
                    self.file_path(f).unlink(missing_ok=True)
                    self.file_path(f).with_name(Path(f.path).name + ".part").unlink(missing_ok=True)
                    self._done.pop(f.path, None)
        self.work.mkdir(parents=True, exist_ok=True)
        marker.write_text(json.dumps({"source": source}), "utf-8")

    def is_done(self, f: ManifestFile) -> bool:
        """True when the file is staged and (if pinned) matches; a bad staged file is deleted."""
        if f.path in self._done:
            return True
        p = self.file_path(f)
        if not p.is_file():
            return False
        sha = sha256_file(p)
        if (f.size is not None and p.stat().st_size != f.size) or (f.pinned and sha != f.sha256):
            p.unlink()
            return False
        self.mark_done(f, sha)
        return True

    def mark_done(self, f: ManifestFile, sha256: str) -> None:
        """Note a staged file as verified (first-use when the manifest pins no hash)."""
        self._done[f.path] = (sha256, "pinned" if f.pinned else "first-use")
        if not f.pinned:
            self._trusted_now.add(f.path)

    def accept(
        self,
        f: ManifestFile,
        src: Path,
        *,
        origin: str,
        move: bool,
        expected: tuple[int, str] | None = None,
        on_event: InstallCallback | None = None,
    ) -> None:
        """Bring ``src`` into staging and verify it against the manifest (and ``expected``,
        a recorded (size, sha256) from a bundle). A mismatch deletes the staged copy."""
        if not src.is_file():
            if f.optional:
                return
            raise ModelFetchError(f"{origin}: {f.path} is missing")
        dest = self.file_path(f)
        part = dest.with_name(dest.name + ".part")
        part.parent.mkdir(parents=True, exist_ok=True)
        part.unlink(missing_ok=True)
        if move:
            # Only a regular file may be moved in: renaming a link would install the link.
            if not stat.S_ISREG(os.lstat(src).st_mode):
                raise ModelFetchError(f"{origin}: {f.path} is not a regular file; refused")
            src.replace(part)
        else:
            _copy_no_links(src, part, origin=origin)
        size, sha = part.stat().st_size, sha256_file(part)
        problem = None
        if f.size is not None and size != f.size:
            problem = f"size {size} differs from the manifest's {f.size}"
        elif f.pinned and sha != f.sha256:
            problem = f"sha256 {sha} differs from the manifest's {f.sha256}"
        elif expected is not None and (size, sha) != expected:
            problem = (
                f"size/sha256 {size}/{sha} differ from the recorded {expected[0]}/{expected[1]}"
            )
        if problem:
            part.unlink()
            raise ModelIntegrityError(f"{origin}: {f.path}: {problem}; refused")
        part.replace(dest)
        self._done[f.path] = (sha, "pinned" if f.pinned else "first-use")
        if not f.pinned and expected is None:
            self._trusted_now.add(f.path)

    def fresh_extract_dir(self) -> Path:
        d = self.work / "extract"
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)
        return d

    def install(self, source: str, on_event: InstallCallback) -> Path:
        """Write the record and rename the staged directory into place (replacing any old one)."""
        for f in self.entry.required_files:
            if f.path not in self._done:
                raise ModelFetchError(f"{source}: {self.entry.name}: {f.path} was not fetched")
        record: dict[str, dict[str, Any]] = {}
        for path, (sha, trust) in self._done.items():
            record[path] = record_entry(self.files_dir / path, sha, trust)
        for stray in self.files_dir.rglob("*.part"):
            stray.unlink()
        write_record(self.files_dir, self.entry.name, record, source=source)
        target = model_path(self.cache_dir, self.entry.name)
        target.parent.mkdir(parents=True, exist_ok=True)
        old = self.work / f"replaced-{uuid.uuid4().hex}"
        if target.exists():
            target.replace(old)
        self.files_dir.replace(target)
        shutil.rmtree(self.work, ignore_errors=True)
        remove_if_empty(self.work.parent)
        for path in sorted(self._trusted_now):
            sha = self._done[path][0]
            on_event(FileTrusted(self.entry.name, path, sha, record[path]["size"]))
        on_event(ModelInstalled(self.entry.name, target, source))
        return target

    def cleanup_if_empty(self) -> None:
        """After a failed fetch: drop scratch space but keep partial downloads to resume."""
        shutil.rmtree(self.work / "extract", ignore_errors=True)
        if not any(p.is_file() for p in self.work.rglob("*") if p.name != "source.json"):
            shutil.rmtree(self.work, ignore_errors=True)
            remove_if_empty(self.work.parent)


def _copy_no_links(src: Path, dest: Path, *, origin: str) -> None:
    """Copy a regular file without following a link at either end (``dest`` is created
    afresh: ``O_EXCL`` fails on anything, link included, already there)."""
    with open_regular(src, origin=origin) as fin:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        with os.fdopen(os.open(dest, flags, 0o644), "wb") as fout:
            shutil.copyfileobj(fin, fout, 1 << 20)


def remove_if_empty(directory: Path) -> None:
    """Remove a scratch directory once nothing is left in it (another fetch may still use it)."""
    try:
        if directory.is_dir() and not any(directory.iterdir()):
            directory.rmdir()
    except OSError as exc:
        if exc.errno not in (errno.ENOTEMPTY, errno.ENOENT, errno.EEXIST):
            raise

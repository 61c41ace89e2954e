"""The CLI's output folder: one run at a time, and knowing which files in it docparse wrote.

Layout (beside the outputs)::

    .docparse-work/run.lock        held by the run writing to the folder (filelock)
    .docparse-work/run.pid         that run's process id, to name it to a second run
    .docparse-work/<…>/state.json  per document: what was written (:mod:`.pagestore`)
    imgs/<stem>/.docparse-files    per picture folder: the pictures written there (:mod:`.writer`)

The folder may be, or be inside, the input folder (``docparse parse dir -o dir``): what docparse
wrote there is then recognised by those records and never taken for input, while anything
else in it still is.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from docparse.errors import OutputError
from docparse.export.writer import owned_names

if TYPE_CHECKING:
    from filelock import BaseFileLock

#: Per-document work folders (finished pages, records of outputs) live here.
WORK_DIR = ".docparse-work"
_LOCK = "run.lock"
_PID = "run.pid"


class OutputLock:
    """Holds the output folder for one run. A second run is refused at once rather than made
    to wait: both would write the same documents, redoing each other's work."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.work = folder / WORK_DIR
        self._lock: BaseFileLock | None = None

    def acquire(self) -> None:
        """Take the folder; :class:`OutputError` naming the folder and the other run's
        process id if another run holds it (or if the folder cannot be made)."""
        from filelock import FileLock, Timeout

        try:
            self.work.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"{self.folder}: cannot create the output folder: "
                              f"{exc.strerror or exc}") from exc
        lock = FileLock(str(self.work / _LOCK), timeout=0)
        try:
            lock.acquire()
        except Timeout:
            try:
                pid = (self.work / _PID).read_text(encoding="utf-8").strip() or "unknown"
            except OSError:
                pid = "unknown"
            raise OutputError(
                f"{self.folder}: another docparse run (pid {pid}) is writing to this output "
                "folder; wait for it to finish or choose another output folder") from None
        except OSError as exc:
            raise OutputError(f"{self.folder}: cannot lock the output folder: "
                              f"{exc.strerror or exc}") from exc
        self._lock = lock
        # The pid sits in its own file: the lock file is truncated by every attempt to take it.
        with contextlib.suppress(OSError):
            (self.work / _PID).write_text(f"{os.getpid()}\n", encoding="utf-8")

    def release(self) -> None:
        if self._lock is None:
            return
        with contextlib.suppress(OSError):
            (self.work / _PID).unlink()
        self._lock.release()
        self._lock = None


class OwnOutputs:
    """Which files under an output folder docparse wrote (its work folder, the outputs its
    work records list, the pictures its picture folders list)."""

    def __init__(self, folder: Path) -> None:
        self.root = Path(os.path.abspath(folder))
        self.work = self.root / WORK_DIR
        self._recorded: set[Path] | None = None
        self._lists: dict[Path, frozenset[str]] = {}

    def __contains__(self, path: object) -> bool:
        if not isinstance(path, Path):
            return False
        p = Path(os.path.abspath(path))
        if not p.is_relative_to(self.root):
            return False
        if p.is_relative_to(self.work):
            return True
        if p in self.recorded():
            return True
        if p.parent not in self._lists:
            self._lists[p.parent] = owned_names(p.parent)
        return p.name in self._lists[p.parent]

    def recorded(self) -> set[Path]:
        """Output files the work records list (read once)."""
        if self._recorded is None:
            self._recorded = set()
            if self.work.is_dir():
                for state in self.work.rglob("state.json"):
                    try:
                        files = json.loads(state.read_text(encoding="utf-8")).get("files")
                    except (OSError, ValueError, AttributeError):
                        continue
                    if isinstance(files, dict):
                        self._recorded.update(Path(os.path.abspath(self.root / str(rel)))
                                              for rel in files)
        return self._recorded

"""Asynchronous jobs, kept on disk so they outlive the process.

One folder per job under ``<work>/jobs/<id>/``: ``job.json`` (the record, replaced
atomically), ``input`` (the upload, removed once the job ends), ``result.zip`` and the HTML
viewer (``view.html``, its page pictures under ``view/imgs/`` when they are not embedded;
rendered when the job ends, while the input is still at hand). Ids are
192 random bits (``secrets``), and every lookup also compares the owner, so a job of one key
is invisible (404) to every other key. Finished jobs are removed ``job_ttl`` seconds after
they end; queued jobs found at start-up are queued again, and a job found ``running`` (the
process died under it) is recorded failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import io
import json
import logging
import os
import re
import secrets
import shutil
import time
import zipfile
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from docparse.document import Document

log = logging.getLogger("docparse.serve")

JobStatus = Literal["queued", "running", "completed", "partial", "failed", "canceled"]
FINISHED: frozenset[str] = frozenset({"completed", "partial", "failed", "canceled"})
_ID = re.compile(r"^[A-Za-z0-9_-]{32}$")
#: The stored viewer: its HTML, and the folder of its pictures (the HTML's relative URLs).
VIEW_HTML = "view.html"
VIEW_PICTURES = "view/imgs"
VIEW_PICTURE = re.compile(r"^(page|picture)_[0-9]{4,6}\.(jpg|png)$")


@dataclass(frozen=True, kw_only=True)
class JobRecord:
    id: str
    owner: str
    status: JobStatus
    filename: str
    options: dict[str, Any]
    created_at: float
    started_at: float | None = None
    finished_at: float | None = None
    expires_at: float | None = None
    pages_done: int = 0
    pages_total: int | None = None
    error_code: str | None = None
    error_message: str | None = None

    def view(self) -> dict[str, Any]:
        """What ``GET /v1/jobs/{id}`` answers."""
        error = None if self.error_code is None else {"code": self.error_code,
                                                      "message": self.error_message}
        return {
            "id": self.id, "status": self.status, "filename": self.filename,
            "progress": {"pages_done": self.pages_done, "pages_total": self.pages_total},
            "created_at": self.created_at, "started_at": self.started_at,
            "finished_at": self.finished_at, "expires_at": self.expires_at, "error": error,
        }


def result_zip(doc: Document, filename: str) -> bytes:
    """``<stem>.json``, ``<stem>.md`` and the pictures under ``imgs/<stem>/`` as one zip."""
    stem = Path(filename).stem or "document"
    markdown = doc.to_markdown(image_dir=f"imgs/{stem}")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"{stem}.json", json.dumps(doc.to_dict(), ensure_ascii=False, indent=2))
        zf.writestr(f"{stem}.md", markdown if isinstance(markdown, str) else "\n".join(markdown))
        for name, data in sorted(doc.images.items()):
            zf.writestr(f"imgs/{stem}/{name}", data)
    return buf.getvalue()


class JobStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def _dir(self, job_id: str) -> Path:
        return self.root / job_id

    def input_path(self, job_id: str) -> Path:
        return self._dir(job_id) / "input"

    def result_path(self, job_id: str) -> Path:
        return self._dir(job_id) / "result.zip"

    def view_path(self, job_id: str) -> Path:
        return self._dir(job_id) / VIEW_HTML

    def view_picture(self, job_id: str, name: str) -> Path | None:
        """A picture of the stored viewer, or None (names are checked, never joined blindly)."""
        if not _ID.match(job_id) or not VIEW_PICTURE.match(name):
            return None
        path = self._dir(job_id) / VIEW_PICTURES / name
        return path if path.is_file() else None

    def save_view(self, job_id: str, files: dict[str, bytes]) -> None:
        """The viewer's files (paths relative to the job folder); the HTML last, so a viewer
        that exists is complete."""
        folder = self._dir(job_id)
        for rel, data in sorted(files.items(), key=lambda kv: kv[0] == VIEW_HTML):
            path = folder / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(path.name + ".tmp")
            tmp.write_bytes(data)
            os.replace(tmp, path)

    def _write(self, record: JobRecord) -> None:
        path = self._dir(record.id) / "job.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(dataclasses.asdict(record)), encoding="utf-8")
        os.replace(tmp, path)

    def create(self, *, owner: str, data: bytes, filename: str, options: dict[str, Any]) -> JobRecord:
        job_id = secrets.token_urlsafe(24)
        folder = self._dir(job_id)
        folder.mkdir()
        self.input_path(job_id).write_bytes(data)
        record = JobRecord(id=job_id, owner=owner, status="queued", filename=filename,
                           options=options, created_at=time.time())
        self._write(record)
        return record

    def load(self, job_id: str) -> JobRecord | None:
        if not _ID.match(job_id):
            return None
        try:
            raw = json.loads((self._dir(job_id) / "job.json").read_text(encoding="utf-8"))
            return JobRecord(**raw)
        except (OSError, ValueError, TypeError):
            return None

    def get(self, job_id: str, owner: str) -> JobRecord | None:
        record = self.load(job_id)
        if record is None or not secrets.compare_digest(record.owner, owner):
            return None
        return record

    def update(self, record: JobRecord, **changes: Any) -> JobRecord:
        new = dataclasses.replace(record, **changes)
        if new.status in FINISHED and record.status not in FINISHED:
            with contextlib.suppress(OSError):
                self.input_path(record.id).unlink()
        if self._dir(record.id).is_dir():
            self._write(new)
        return new

    def save_result(self, job_id: str, data: bytes) -> None:
        path = self.result_path(job_id)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)

    def remove(self, job_id: str) -> None:
        shutil.rmtree(self._dir(job_id), ignore_errors=True)

    def all(self) -> list[JobRecord]:
        out = []
        for folder in sorted(self.root.iterdir()) if self.root.is_dir() else []:
            record = self.load(folder.name)
            if record is not None:
                out.append(record)
            elif folder.is_dir() and not (folder / "job.json").exists():
                shutil.rmtree(folder, ignore_errors=True)  # a creation cut short
        return out


Runner = Callable[[JobRecord, bytes, Callable[[int, int], None]], Coroutine[Any, Any, Document]]


class JobQueue:
    """Runs queued jobs with ``workers`` tasks; cancels, expires and recovers them."""

    def __init__(self, store: JobStore, run: Runner, *, workers: int, max_queued: int,
                 ttl: float) -> None:
        self.store = store
        self._run = run
        self._workers_n = workers
        self._queue: asyncio.Queue[str] = asyncio.Queue()
        self.max_queued = max_queued
        self.ttl = ttl
        self._tasks: list[asyncio.Task[None]] = []
        self._running: dict[str, asyncio.Task[Document]] = {}
        self._progress: dict[str, tuple[int, int]] = {}
        self._stopping = False

    @property
    def queued(self) -> int:
        return self._queue.qsize()

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self.store.all():
            out[r.status] = out.get(r.status, 0) + 1
        return out

    def start(self) -> None:
        for record in self.store.all():
            if record.status == "running":
                self.store.update(record, status="failed", finished_at=time.time(),
                                  expires_at=time.time() + self.ttl, error_code="shutting_down",
                                  error_message="the service stopped while the job was running")
            elif record.status == "queued":
                self._queue.put_nowait(record.id)
        self._tasks = [asyncio.create_task(self._worker()) for _ in range(self._workers_n)]
        self._tasks.append(asyncio.create_task(self._sweeper()))

    def submit(self, record: JobRecord) -> None:
        self._queue.put_nowait(record.id)

    def view(self, record: JobRecord) -> dict[str, Any]:
        live = self._progress.get(record.id)
        if live is not None and record.status == "running":
            record = dataclasses.replace(record, pages_done=live[0], pages_total=live[1])
        return record.view()

    def cancel(self, record: JobRecord) -> JobRecord:
        task = self._running.get(record.id)
        if task is not None:
            task.cancel()
        return self.store.update(record, status="canceled", finished_at=time.time(),
                                 expires_at=time.time() + self.ttl)

    async def _worker(self) -> None:
        while True:
            job_id = await self._queue.get()
            if self._stopping:
                return
            record = self.store.load(job_id)
            if record is None or record.status != "queued":
                continue
            await self._execute(record)

    async def _execute(self, record: JobRecord) -> None:
        try:
            data = self.store.input_path(record.id).read_bytes()
        except OSError:
            return
        record = self.store.update(record, status="running", started_at=time.time())

        def progress(done: int, total: int) -> None:
            self._progress[record.id] = (done, total)

        task: asyncio.Task[Document] = asyncio.create_task(self._run(record, data, progress))
        self._running[record.id] = task
        changes: dict[str, Any]
        try:
            doc = await task
            await asyncio.to_thread(self.store.save_result, record.id,
                                    result_zip(doc, record.filename))
            await asyncio.to_thread(self._save_view, record.id, doc)
            changes = {"status": "completed" if doc.status == "success" else
                       ("partial" if doc.status == "partial" else "failed"),
                       "pages_done": len(doc.pages), "pages_total": len(doc.pages)}
            if doc.status == "failed":
                changes |= {"error_code": "invalid_input",
                            "error_message": "no block of the document could be recognised"}
        except asyncio.CancelledError:
            current = self.store.load(record.id)
            if current is None or current.status == "canceled":
                return  # cancelled by DELETE (already recorded) or removed
            changes = {"status": "failed", "error_code": "shutting_down",
                       "error_message": "the service stopped while the job was running"}
            if self._stopping:
                self.store.update(record, finished_at=time.time(),
                                  expires_at=time.time() + self.ttl, **changes)
            raise
        except Exception as exc:
            code = getattr(exc, "code", "internal_error")
            message = getattr(exc, "message", "internal error while parsing the document")
            changes = {"status": "failed", "error_code": code, "error_message": message}
        finally:
            self._running.pop(record.id, None)
            live = self._progress.pop(record.id, None)
        current = self.store.load(record.id)
        if current is None or current.status == "canceled":
            return
        if live is not None and "pages_done" not in changes:
            changes |= {"pages_done": live[0], "pages_total": live[1]}
        self.store.update(current, finished_at=time.time(), expires_at=time.time() + self.ttl,
                          **changes)

    def _save_view(self, job_id: str, doc: Document) -> None:
        """Render and keep the viewer; a job whose viewer cannot be drawn still completes."""
        from docparse.serve.viewer import job_view_files

        try:
            self.store.save_view(job_id, job_view_files(doc))
        except Exception:
            log.warning("job %s: the viewer could not be rendered", job_id[:8], exc_info=True)

    async def _sweeper(self) -> None:
        interval = max(0.5, min(60.0, self.ttl / 4))
        while True:
            self.expire()
            await asyncio.sleep(interval)

    def expire(self, now: float | None = None) -> int:
        now = time.time() if now is None else now
        removed = 0
        for r in self.store.all():
            if r.status in FINISHED and r.expires_at is not None and r.expires_at <= now:
                self.store.remove(r.id)
                removed += 1
        return removed

    async def stop(self, grace: float) -> None:
        """Let running jobs finish for ``grace`` seconds, then record them failed."""
        self._stopping = True
        in_flight = list(self._running.values())
        if in_flight:
            await asyncio.wait(in_flight, timeout=grace)
        for worker in self._tasks:
            worker.cancel()
        for job in list(self._running.values()):
            job.cancel()
        pending = [*self._tasks, *self._running.values()]
        _, stuck = await asyncio.wait(pending, timeout=max(5.0, grace))
        for task in stuck:  # a bug, not a state: say where it hangs
            buf = io.StringIO()
            task.print_stack(file=buf)
            log.warning("a job task did not stop: %s", buf.getvalue())
        # Workers cancelled mid-job wrote nothing yet: record what is still running.
        for r in self.store.all():
            if r.status == "running":
                self.store.update(r, status="failed", finished_at=time.time(),
                                  expires_at=time.time() + self.ttl, error_code="shutting_down",
                                  error_message="the service stopped while the job was running")

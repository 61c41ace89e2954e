"""``docparse batch --engine ray``: documents and page ranges spread over a Ray cluster.

The driver (this process) discovers inputs, probes each one on a worker (page count, content
hash), checks the resume store, splits documents into page ranges and hands them to
:class:`~docparse.scale.worker.PageWorker` actors; once every range of a document is in it
assembles the document (cross-page tables, headings) and writes its files, exactly as the
local batch would. A worker that dies takes only its unfinished ranges with it: they run again
elsewhere, alone on their worker so a crash can be blamed; a range whose worker dies or hangs
``max_attempts`` times marks its document failed and the job goes on.
"""

from __future__ import annotations

import os
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from docparse.errors import ConfigurationError, ModelError, ServerUnavailableError
from docparse.events import DocumentDone, DocumentFailed, DocumentStarted, Event, ignore_event
from docparse.scale.adapter import (
    ErrorItem,
    OutputOptions,
    ParseOptions,
    assemble_document,
    backend_names,
    failure_summary,
    page_outcome,
    select_pages,
)
from docparse.scale.plan import InputRef, Probe, RangeResult, RangeTask, split_pages
from docparse.scale.storage import FsPageStore, discover, work_folder, write_document
from docparse.scale.worker import LayoutFactory

INSTALL_HINT = "the ray engine needs Ray: pip install 'docparse[ray]'"


@dataclass(frozen=True)
class RayOptions:
    """How the job uses the cluster (none of it changes the output)."""

    #: ``None`` starts a private local Ray (127.0.0.1) for the run; ``auto`` or
    #: ``ray://host:10001`` joins a running cluster.
    address: str | None = None
    #: CPUs of the private local instance (default: all of this machine's).
    num_cpus: int | None = None
    #: Worker actors (one CPU each); default: every CPU of the cluster.
    workers: int | None = None
    #: Ranges a worker parses at once (overlaps recognition waits with CPU work).
    ranges_per_worker: int = 2
    #: Pages per range: long documents are split so several workers share them.
    pages_per_task: int = 16
    #: Worker deaths or hangs a range may cause before its document is marked failed.
    max_attempts: int = 3
    #: Seconds a range may run before its worker is presumed hung and replaced.
    task_timeout: float = 1800.0
    #: Builds each worker's layout backend (tests inject faulty ones); None = from options.
    layout_factory: LayoutFactory | None = None


@dataclass
class BatchReport:
    parsed: int = 0
    partial: int = 0
    failed: int = 0
    resumed: int = 0
    pages: int = 0
    blocks: int = 0
    failed_blocks: int = 0
    requests: int = 0
    seconds: float = 0.0
    #: Per document (``input_path``): its final status ("success", "partial", "failed").
    statuses: dict[str, str] = field(default_factory=dict)
    worker_restarts: int = 0
    max_requests_in_flight: int = 0


# ---------------------------------------------------------------------- Ray session
def _import_ray(*, local: bool) -> Any:
    """Ray, imported with the environment docparse runs it in (the one place it is set)."""
    # No usage reporting; and a private instance listens on 127.0.0.1 only: Ray reads this
    # switch when it is imported (ray_constants), so it is set first, and set on the module
    # too when something imported Ray earlier.
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    if local:
        os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
    try:
        import ray
        from ray._private import ray_constants
    except ImportError:
        raise ConfigurationError(INSTALL_HINT) from None
    if local:
        ray_constants.ENABLE_RAY_CLUSTER = False
    return ray


@contextmanager
def ray_session(opts: RayOptions) -> Iterator[Any]:
    """Connected to Ray for the block: a private local instance (loopback only, stopped at
    the end), the cluster at ``opts.address``, or the session the caller already opened."""
    ray = _import_ray(local=opts.address is None)
    if ray.is_initialized():
        yield ray
        return
    kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False,
                              "configure_logging": False}
    if opts.address is None:
        # "local": a new instance even when RAY_ADDRESS names a running cluster.
        kwargs["address"] = "local"
        kwargs["num_cpus"] = opts.num_cpus or os.cpu_count() or 1
        kwargs["object_store_memory"] = 256 * 1024 * 1024
    else:
        kwargs = {"address": opts.address, "log_to_driver": False}
    try:
        ray.init(**kwargs)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise ConfigurationError(f"cannot reach Ray at {opts.address or 'a local instance'}: {exc}") from exc
    try:
        yield ray
    finally:
        ray.shutdown()


def start_local_ray(num_cpus: int) -> Any:
    """Start a private local Ray instance (loopback, no usage reporting) and return the module;
    for tests and notebooks that share one instance across several batches."""
    ray = _import_ray(local=True)
    ray.init(address="local", num_cpus=num_cpus, include_dashboard=False, log_to_driver=False,
             configure_logging=False, object_store_memory=256 * 1024 * 1024)
    return ray


# ---------------------------------------------------------------------- scheduling
@dataclass
class _Job:
    doc: int
    kind: str  # "probe" | "range"
    task: RangeTask | None = None
    attempts: int = 0
    #: After a crash the job runs alone on its worker, so a second crash is its own.
    solo: bool = False


@dataclass
class _Worker:
    handle: Any
    pid: int
    holder: str
    running: dict[Any, tuple[_Job, float]] = field(default_factory=dict)

    def takes(self, job: _Job, per_worker: int) -> bool:
        if any(j.solo for j, _ in self.running.values()):
            return False
        if job.solo:
            return not self.running
        return len(self.running) < per_worker


@dataclass
class _Doc:
    ref: InputRef
    probe: Probe | None = None
    store: FsPageStore | None = None
    ranges: int = 0
    results: dict[int, RangeResult] = field(default_factory=dict)
    done: bool = False
    started: float = 0.0


class RayBatch:
    """One distributed batch run. ``run()`` returns a :class:`BatchReport`."""

    def __init__(
        self,
        inputs: list[str],
        options: ParseOptions,
        out: OutputOptions,
        *,
        output: str,
        ray_options: RayOptions | None = None,
        on_event: Callable[[Event], None] | None = None,
        say: Callable[[str], None] | None = None,
    ) -> None:
        self.inputs = inputs
        self.options = options if options.layout_workers else options.replace(layout_workers=1)
        self.out = out
        self.output = output
        self.ropts = ray_options or RayOptions()
        self.on_event = on_event or ignore_event
        self.say = say or (lambda line: print(line, file=sys.stderr))
        self.report = BatchReport()
        self.workers: list[_Worker] = []
        self._ray: Any = None
        self._limiter: Any = None
        self._hub: Any = None

    # ------------------------------------------------------------ public
    def run(self) -> BatchReport:
        t0 = time.perf_counter()
        refs, problems = discover(self.inputs, self.output)
        for problem in problems:
            self.say(f"docparse: error: {problem}")
        self.report.failed += len(problems)
        if not refs:
            if not problems:
                self.say("docparse: error: no supported input files found")
            return self.report
        layout_name, recognizer_name = backend_names(self.options)
        self.key = {**self.options.cache_key(), "layout_backend": layout_name,
                    "recognizer_backend": recognizer_name}
        self.outputs = {"format": sorted(self.out.format), "per_page": self.out.per_page}
        with ray_session(self.ropts) as ray:
            self._ray = ray
            try:
                self._run(refs)
            finally:
                self._stop()
        self.report.seconds = time.perf_counter() - t0
        return self.report

    def busy_worker_pids(self) -> list[int]:
        """Processes of the workers parsing something now (for fault-injection tests)."""
        return [w.pid for w in self.workers if w.running]

    # ------------------------------------------------------------ internals
    def _emit(self, event: Event) -> None:
        try:
            self.on_event(event)
        except Exception:  # a broken progress callback must not fail the run
            pass

    def _start_workers(self) -> None:
        ray = self._ray
        from docparse.scale.limiter import RequestLimiter
        from docparse.scale.worker import PageWorker

        self._limiter = ray.remote(num_cpus=0, max_concurrency=100_000)(RequestLimiter).remote(
            self.options.max_concurrency)
        self._hub = ray.remote(num_cpus=0)(_EventHub).remote()
        self._actor = ray.remote(num_cpus=1, max_restarts=0,
                                 max_concurrency=self.ropts.ranges_per_worker + 2)(PageWorker)
        count = self.ropts.workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
        handles = [self._new_handle() for _ in range(count)]
        ids = ray.get([h.holder_name.remote() for h in handles])
        self.workers = [_Worker(h, int(i.rsplit(":", 1)[1]), i) for h, i in zip(handles, ids, strict=True)]

    def _new_handle(self) -> Any:
        return self._actor.remote(self.options, limiter=self._limiter, hub=self._hub,
                                  layout_factory=self.ropts.layout_factory)

    def _replace(self, dead: _Worker) -> None:
        ray = self._ray
        self.report.worker_restarts += 1
        try:
            ray.get(self._limiter.release_all.remote(dead.holder))
        except Exception:
            pass
        handle = self._new_handle()
        holder = ray.get(handle.holder_name.remote())
        self.workers[self.workers.index(dead)] = _Worker(handle, int(holder.rsplit(":", 1)[1]), holder)

    def _stop(self) -> None:
        ray = self._ray
        if self._limiter is not None:
            try:
                self.report.max_requests_in_flight = ray.get(
                    self._limiter.snapshot.remote())["max_in_use"]
            except Exception:
                pass
        self._drain_events()
        for w in self.workers:
            try:
                ray.get(w.handle.close.remote(), timeout=10)
            except Exception:
                pass
            ray.kill(w.handle)
        for actor in (self._limiter, self._hub):
            if actor is not None:
                ray.kill(actor)

    def _drain_events(self) -> None:
        if self._hub is None:
            return
        for event in self._ray.get(self._hub.drain.remote()):
            self._emit(event)

    def _run(self, refs: list[InputRef]) -> None:
        ray = self._ray
        self._start_workers()
        self.docs = [_Doc(ref) for ref in refs]
        self.queue: deque[_Job] = deque(_Job(i, "probe") for i in range(len(refs)))
        while self.queue or any(w.running for w in self.workers):
            self._dispatch()
            refs_running = [r for w in self.workers for r in w.running]
            if not refs_running:
                continue
            ready, _ = ray.wait(refs_running, num_returns=1, timeout=0.2)
            self._drain_events()
            for ref in ready:
                self._collect(ref)
            self._check_timeouts()

    def _dispatch(self) -> None:
        per = max(1, self.ropts.ranges_per_worker)
        kept: deque[_Job] = deque()
        #: A worker emptied for a waiting solo job: it takes nothing else meanwhile, or a
        #: steady stream of ordinary jobs could keep every worker busy for ever.
        draining: _Worker | None = None
        while self.queue:
            job = self.queue.popleft()
            if self.docs[job.doc].done:
                continue
            worker = min((w for w in self.workers if w is not draining and w.takes(job, per)),
                         key=lambda w: len(w.running), default=None)
            if worker is None:
                kept.append(job)
                if job.solo and draining is None:
                    draining = min(self.workers, key=lambda w: len(w.running))
                continue
            if job.kind == "probe":
                ref = worker.handle.probe.remote(self.docs[job.doc].ref, self.options.password)
            else:
                ref = worker.handle.parse_range.remote(job.task)
            worker.running[ref] = (job, time.monotonic())
        self.queue = kept

    def _collect(self, ref: Any) -> None:
        ray = self._ray
        worker = next((w for w in self.workers if ref in w.running), None)
        if worker is None:
            return  # its worker died meanwhile; the job is queued again already
        job, _ = worker.running.pop(ref)
        try:
            value = ray.get(ref)
        except ray.exceptions.RayActorError:
            self._worker_died(worker, [job])
            return
        except ray.exceptions.RayTaskError as exc:
            cause = getattr(exc, "cause", None) or exc
            if isinstance(cause, (ServerUnavailableError, ConfigurationError, ModelError)):
                # No server answers, no such model, no layout model: the whole run stops with
                # the worker's one-line message, as a local batch does.
                raise cause from None
            self._fail_doc(job.doc, f"{self.docs[job.doc].ref.uri}: internal error: "
                           f"{type(cause).__name__}: {cause}")
            return
        if job.kind == "probe":
            self._probed(job.doc, value)
        else:
            self._range_done(value)

    def _worker_died(self, worker: _Worker, jobs: list[_Job]) -> None:
        jobs = jobs + [j for j, _ in worker.running.values()]
        worker.running.clear()
        self._ray.kill(worker.handle)
        self._replace(worker)
        for job in jobs:
            if self.docs[job.doc].done:
                continue
            job.attempts += 1
            job.solo = True
            if job.attempts >= self.ropts.max_attempts:
                what = "probing" if job.kind == "probe" else f"pages {job.task.pages}" if job.task else ""
                self._fail_doc(job.doc, f"{self.docs[job.doc].ref.uri}: worker died or hung "
                               f"{job.attempts} times while {what}; given up")
            else:
                self.queue.appendleft(job)

    def _check_timeouts(self) -> None:
        now = time.monotonic()
        for worker in list(self.workers):
            if any(now - t > self.ropts.task_timeout for _, t in worker.running.values()):
                # A hung worker cannot be interrupted; it is replaced and its work retried.
                self._worker_died(worker, [])

    def _probed(self, i: int, value: Probe | tuple[str, str]) -> None:
        doc = self.docs[i]
        if isinstance(value, tuple):
            self._fail_doc(i, value[1])
            return
        doc.probe = value
        fingerprint = {"input_sha256": value.sha256, "options": self.key}
        doc.store = FsPageStore(work_folder(self.output, doc.ref), fingerprint)
        if doc.store.prepare(resume=self.out.resume, outputs=self.outputs):
            doc.done = True
            self.report.resumed += 1
            self.report.parsed += 1
            self.report.statuses[doc.ref.uri] = "success"
            return
        indices = select_pages(self.options.pages, value.page_count)
        if not indices:
            self._fail_doc(i, f"{doc.ref.uri}: --pages {self.options.pages!r} selects no page "
                           f"of {value.page_count}")
            return
        specs = split_pages(indices, self.ropts.pages_per_task)
        doc.ranges = len(specs)
        doc.started = time.perf_counter()
        self._emit(DocumentStarted(doc.ref.uri, len(indices)))
        for n, spec in enumerate(specs):
            task = RangeTask(doc=i, index=n, input=doc.ref, pages=spec,
                             page_count=value.page_count, work=doc.store.location,
                             fingerprint=fingerprint)
            self.queue.append(_Job(i, "range", task))

    def _range_done(self, result: RangeResult) -> None:
        doc = self.docs[result.doc]
        if doc.done:
            return
        doc.results[result.index] = result
        if len(doc.results) == doc.ranges:
            self._finish(result.doc)

    def _fail_doc(self, i: int, message: str) -> None:
        doc = self.docs[i]
        if doc.done:
            return
        doc.done = True
        self.report.failed += 1
        self.report.statuses[doc.ref.uri] = "failed"
        self._emit(DocumentFailed(doc.ref.uri, message))
        self.say(f"docparse: error: {message}")

    def _finish(self, i: int) -> None:
        doc = self.docs[i]
        assert doc.probe is not None and doc.store is not None
        results = [doc.results[n] for n in range(doc.ranges)]
        broken = [r for r in results if r.error is not None]
        if any(r.error_type == "internal_error" for r in broken) or len(broken) == len(results):
            self._fail_doc(i, str(broken[0].error))
            return
        outcomes = []
        failed_pages: list[ErrorItem] = []
        for r in results:
            if r.error is not None:
                # A range none of whose pages could be read: each of its pages is recorded.
                task_pages = select_pages(self._spec_of(i, r.index), doc.probe.page_count)
                failed_pages.extend(ErrorItem(page_index=p, reason=str(r.error_type),
                                              message=str(r.error)) for p in task_pages)
                continue
            for n, page in enumerate(r.pages):
                errs = [e for e in r.errors
                        if e.block_id is not None and e.page_index == page.page_index]
                counters = r.counters if n == 0 else {}
                outcomes.append(page_outcome(page, errs, **counters))
            failed_pages.extend(e for e in r.errors if e.block_id is None)
        layout_name = next((r.layout_name for r in results if r.layout_name), "")
        recognizer_name = next((r.recognizer_name for r in results if r.recognizer_name), "")
        page_count = 1 if doc.probe.single_image else doc.probe.page_count
        document = assemble_document(doc.ref.uri, page_count, outcomes, failed_pages,
                                     doc.started, layout_name, recognizer_name,
                                     doc.store.images(), self.options,
                                     doc.probe.attachments)
        try:
            write_document(document, self.output, doc.ref, self.out)
            if document.status == "success":  # documents with failures are retried by --resume
                doc.store.mark_complete(self.outputs)
        except Exception as exc:
            self._fail_doc(i, f"{doc.ref.uri}: {exc}")
            return
        doc.done = True
        rep = self.report
        rep.statuses[doc.ref.uri] = document.status
        rep.pages += len(document.pages)
        rep.requests += document.stats.recognition_requests
        for page in document.pages:
            rep.blocks += len(page.parsing_res_list)
            rep.failed_blocks += sum(1 for b in page.parsing_res_list if b.status == "failed")
        self._emit(DocumentDone(doc.ref.uri, document.status, len(document.pages),
                                document.stats.seconds, document.stats.recognition_requests))
        if document.status == "success":
            rep.parsed += 1
            return
        if document.status == "failed":
            rep.failed += 1
        else:
            rep.partial += 1
        self.say(f"docparse: warning: {document.input_path}: {document.status}: "
                 f"{len(document.errors)} block(s) or page(s) failed ({failure_summary(document)})")

    def _spec_of(self, i: int, index: int) -> str:
        probe = self.docs[i].probe
        assert probe is not None
        return split_pages(select_pages(self.options.pages, probe.page_count),
                           self.ropts.pages_per_task)[index]


class _EventHub:
    """Workers push progress events here; the driver drains them a few times a second."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def push(self, event: Event) -> None:
        self.events.append(event)

    def drain(self) -> list[Event]:
        out, self.events = self.events, []
        return out

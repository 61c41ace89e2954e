"""Running ``docparse parse`` over many inputs: discovery, parsing, writing, the summary."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from docparse.cli import EXIT_NOTHING, EXIT_OK, EXIT_PARTIAL, EXIT_USAGE
from docparse.cli.progress import JsonLogRenderer, RichRenderer
from docparse.display import display_path
from docparse.errors import DocParseError, OutputError
from docparse.export import WritePlan
from docparse.export.batch_files import failure_summary, plan_outputs
from docparse.export.outdir import WORK_DIR, OutputLock, OwnOutputs
from docparse.export.pagestore import DirPageStore
from docparse.layout import LayoutBackend
from docparse.options import OutputOptions, ParseOptions
from docparse.recognize import Recognizer
from docparse.sources.discover import DiscoveredInputs, FoundInput

log = logging.getLogger("docparse")
#: Characters that would break a message over lines or redraw it (C0/C1 controls, line and
#: paragraph separators), as file names may hold them.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def say(message: str) -> None:
    """One line on stderr, whatever the file names in it hold."""
    print(_CONTROL.sub(lambda m: f"\\x{ord(m[0]):02x}" if ord(m[0]) < 0x100
                       else f"\\u{ord(m[0]):04x}", message), file=sys.stderr)


def _digest(path: Path) -> str | OSError:
    """The input's sha256 (its resume fingerprint), or why it cannot be read."""
    from docparse.export.pagestore import file_sha256

    try:
        return file_sha256(path)
    except OSError as exc:
        return exc


def _store_for(path: Path, digest: str | OSError, work: Path, key: dict[str, object],
               resume: bool) -> DirPageStore | None:
    """The input's page store, or None after printing why it cannot be had."""
    if isinstance(digest, OSError):
        say(f"docparse: error: {display_path(path)}: cannot read: {digest.strerror or digest}")
        return None
    try:
        return DirPageStore(work, fingerprint={"input_sha256": digest, "options": key},
                            resume=resume)
    except OSError as exc:
        say(f"docparse: error: {display_path(path)}: cannot write to the output folder "
            f"{display_path(work.parent)}: {exc.strerror or exc}")
    except DocParseError as exc:
        say(f"docparse: error: {display_path(path)}: {exc}")
    return None


class _Intake:
    """The inputs to parse, as the parser reaches them: each is fingerprinted and given its
    page store when its turn comes, not all before the first page may start (40 scans: 0.2 s
    of hashing and state files on the way to the first request). Inputs already done
    (``--resume``) or that cannot be read or stored are skipped, and counted.

    Iterated on the parser's loop thread while the caller reads results on its own: the
    counts here are this side's alone.
    """

    def __init__(self, items: list[FoundInput], work_for: Callable[[FoundInput], Path],
                 key: dict[str, object], outputs: dict[str, object], out: OutputOptions) -> None:
        self._items = items
        self._work_for = work_for
        self._key = key
        self._outputs = outputs
        self._out = out
        self.stores: dict[Path, DirPageStore] = {}
        self.unusable = self.resumed = 0

    def __iter__(self) -> Iterator[Path]:
        for item in self._items:
            store = _store_for(item.path, _digest(item.path), self._work_for(item), self._key,
                               self._out.resume)
            if store is None:
                self.unusable += 1
            elif store.is_complete(self._outputs, self._out.output):
                self.resumed += 1
            else:
                self.stores[item.path] = store
                yield item.path

    def store_for(self, source: object) -> DirPageStore | None:
        return self.stores.get(Path(str(source)))


def _write_recorded(plan: WritePlan, root: Path, store: DirPageStore, inputs: set[Path],
                    outputs: dict[str, object], complete: bool) -> None:
    """Write ``plan`` with its files recorded in the document's work state: before (so they
    are known for docparse's own even if the run dies mid-way) and, for a finished document,
    after, with ``complete`` set so ``--resume`` can skip it while they stay unchanged. An
    output that would replace one of the run's inputs is refused."""
    from docparse.errors import OutputError
    from docparse.export import commit
    from docparse.export.pagestore import file_record

    for dest in plan.files:
        if Path(os.path.abspath(dest)) in inputs:
            raise OutputError(f"{dest}: refusing to write an output over an input of this run")
    files = {Path(os.path.relpath(dest, root)).as_posix(): file_record(data)
             for dest, data in plan.files.items()}
    store.record_files(files)
    commit(plan)
    if complete:
        store.mark_complete(outputs, files)


def run_batch(
    inputs: list[str],
    options: ParseOptions,
    out: OutputOptions,
    *,
    layout: LayoutBackend | None = None,
    recognizer: Recognizer | None = None,
) -> int:
    """Parse every input found under ``inputs`` into ``out.output``; returns the exit code.

    ``layout``/``recognizer`` replace the backends the options would build (benchmarks, tests).
    """
    from docparse.sources.discover import discover_inputs

    found = discover_inputs(inputs)
    for problem in found.errors:
        say(f"docparse: error: {problem}")
    if not found.inputs:
        if not found.errors:
            say("docparse: error: no supported input files found")
        return EXIT_NOTHING
    lock = OutputLock(out.output)
    try:
        lock.acquire()
    except OutputError as exc:  # another run writes there, or -o cannot be made
        say(f"docparse: error: {exc}")
        return EXIT_USAGE
    try:
        return _run_locked(found, options, out, layout=layout, recognizer=recognizer)
    finally:
        lock.release()


def _run_locked(
    found: DiscoveredInputs,
    options: ParseOptions,
    out: OutputOptions,
    *,
    layout: LayoutBackend | None,
    recognizer: Recognizer | None,
) -> int:
    from docparse.api import Parser
    from docparse.sources.discover import output_stems

    # The output folder may be, or be inside, an input folder: never parse what docparse
    # wrote there (its work folder, the outputs and pictures it recorded), but do parse
    # anything else, whoever put it there.
    own = OwnOutputs(out.output)
    items = [i for i in found.inputs if i.path not in own]
    if not items:
        if not found.errors:
            say("docparse: error: no supported input files found")
        return EXIT_NOTHING
    stems = output_stems(items)
    folders = {item.path: out.output / item.relative_dir for item in items}
    outputs: dict[str, object] = {"format": sorted(out.format), "per_page": out.per_page}
    protected = {Path(os.path.abspath(item.path)) for item in items}

    renderer = JsonLogRenderer() if out.log_json else RichRenderer(quiet=out.quiet)
    parsed = partial = failed = pages = requests = blocks = failed_blocks = 0
    failed += len(found.errors)
    t0 = time.perf_counter()
    renderer.start()
    try:
        with Parser(options, layout=layout, recognizer=recognizer, on_event=renderer) as parser:
            # What the output depends on: the options and the backends they resolve to
            # (`auto` means another model once a server is given or a model fetched).
            layout_name, recognizer_name = parser.backend_names()
            key = {**options.cache_key(), "layout_backend": layout_name,
                   "recognizer_backend": recognizer_name,
                   # `auto` resolved against the served model (v1.6 today, maybe v1.5 later).
                   "pipeline_version": parser.options.pipeline_version}
            intake = _Intake(items, lambda item: (out.output / WORK_DIR / item.relative_dir
                                                  / stems[item.path]), key, outputs, out)
            # As each input finishes: one slow page must not hold back the others' files
            # (nor, by the memory bound on finished documents, the whole run).
            results = parser.parse_many(intake, concurrency=out.jobs, store_for=intake.store_for,
                                        ordered=False)
            for result in results:
                path = Path(str(result.source))
                store = intake.stores[path]
                if result.document is None:
                    failed += 1
                    say(f"docparse: error: {result.error}")
                    _drop_unresumable(store)
                    continue
                doc = result.document
                try:
                    plan = plan_outputs(doc, folders[path], stems[path], out)
                    # Documents with failed blocks are not complete: --resume retries them.
                    _write_recorded(plan, out.output, store, protected, outputs,
                                    complete=doc.status == "success")
                except DocParseError as exc:
                    failed += 1
                    say(f"docparse: error: {exc}")
                    continue
                except Exception as exc:  # a fault in one format: this input fails, not the run
                    log.debug("internal error writing %s", path, exc_info=True)
                    failed += 1
                    say(f"docparse: error: {path}: internal error while writing the outputs: "
                          f"{type(exc).__name__}: {exc}")
                    continue
                pages += len(doc.pages)
                requests += doc.stats.recognition_requests
                for page in doc.pages:
                    blocks += len(page.parsing_res_list)
                    failed_blocks += sum(1 for b in page.parsing_res_list if b.status == "failed")
                if doc.status == "success":
                    parsed += 1
                    continue
                if doc.status == "failed":
                    failed += 1
                else:
                    partial += 1
                warned = sum(1 for e in doc.errors if e.severity == "warning")
                what = f"{len(doc.errors) - warned} block(s) or page(s) failed" + (
                    f", {warned} page warning(s)" if warned else "")
                say(f"docparse: warning: {doc.input_path}: {doc.status}: {what} "
                    f"({failure_summary(doc)})")
    finally:
        renderer.stop()
        _remove_empty_work_folders(out.output / WORK_DIR)
    failed += intake.unusable
    resumed = intake.resumed
    parsed += resumed
    seconds = time.perf_counter() - t0
    total = parsed + partial + failed
    if resumed and not out.quiet:
        say(f"docparse: {resumed} input(s) already done (--resume), skipped")
    if not out.quiet or failed or partial:
        rate = pages / seconds if seconds > 0 else 0.0
        say(
            f"docparse: {total} input(s): {parsed} parsed, {partial} partial, {failed} failed; "
            f"{pages} page(s), {blocks} block(s) ({failed_blocks} failed) in {seconds:.1f} s "
            f"({rate:.2f} pages/s), {requests} recognition request(s); output in "
            f"{display_path(out.output)}")
    if parsed + partial == 0:
        return EXIT_NOTHING
    return EXIT_PARTIAL if (failed or partial) else EXIT_OK


def _drop_unresumable(store: DirPageStore) -> None:
    """A document that failed before any page was kept leaves nothing ``--resume`` could use:
    its work files go (pages kept by a failed document stay for ``--resume``)."""
    if not store.has_pages():
        store.discard()


def _remove_empty_work_folders(work: Path) -> None:
    """Sub-folders of the work folder emptied by :func:`_drop_unresumable` (only empty ones)."""
    if not work.is_dir():
        return
    for folder, _, _ in sorted(os.walk(work), key=lambda entry: -len(entry[0])):
        if Path(folder) != work:
            with contextlib.suppress(OSError):
                os.rmdir(folder)

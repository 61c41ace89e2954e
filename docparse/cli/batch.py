"""Running ``docparse parse`` over many inputs: discovery, parsing, writing, the summary."""

from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path

from docparse.cli import EXIT_NOTHING, EXIT_OK, EXIT_PARTIAL
from docparse.cli.progress import JsonLogRenderer, RichRenderer
from docparse.document import Document
from docparse.errors import DocParseError
from docparse.layout import LayoutBackend
from docparse.options import OutputOptions, ParseOptions
from docparse.output.pagestore import DirPageStore
from docparse.recognize import Recognizer

#: Per-document work folders (finished pages) live here, inside the output folder.
WORK_DIR = ".docparse-work"


def _store_for(path: Path, work: Path, key: dict[str, object], resume: bool) -> DirPageStore | None:
    """The input's page store, or None after printing why it cannot be had."""
    from docparse.output.pagestore import file_sha256

    try:
        digest = file_sha256(path)
    except OSError as exc:
        print(f"docparse: error: {path}: cannot read: {exc.strerror or exc}", file=sys.stderr)
        return None
    try:
        return DirPageStore(work, fingerprint={"input_sha256": digest, "options": key},
                            resume=resume)
    except OSError as exc:
        print(f"docparse: error: {path}: cannot write to the output folder {work.parent}: "
              f"{exc.strerror or exc}", file=sys.stderr)
        return None


def write_outputs(doc: Document, folder: Path, stem: str, out: OutputOptions) -> list[Path]:
    """Write the requested formats for one document (each file replaced atomically)."""
    from docparse.output.files import save_json, save_markdown
    from docparse.output.visualize import save_layout_images

    written: list[Path] = []
    if "json" in out.format:
        written.append(save_json(doc, folder / f"{stem}.json"))
    if "md" in out.format:
        written.append(save_markdown(doc, folder, stem=stem))
        if out.per_page:
            written.append(save_markdown(doc, folder, stem=stem, per_page=True))
    if "img" in out.format:
        written.extend(save_layout_images(doc, folder / "layout", stem=stem))
    return written


def failure_summary(doc: Document) -> str:
    """What failed, for the warning line: ``"3 timeout, 1 http_400; from http://gpu:8000/v1"``."""
    reasons = Counter(e.reason for e in doc.errors)
    text = ", ".join(f"{n} {reason}" for reason, n in sorted(reasons.items()))
    endpoints = sorted({b.error.endpoint for b in doc.blocks
                        if b.status == "failed" and b.error is not None and b.error.endpoint})
    return text + (f"; from {', '.join(endpoints)}" if endpoints else "")


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
    from docparse.api import Parser
    from docparse.sources.discover import discover_inputs, output_stems

    found = discover_inputs(inputs)
    for problem in found.errors:
        print(f"docparse: error: {problem}", file=sys.stderr)
    # Never parse our own output (a folder input may contain the output folder).
    own = out.output.resolve()
    items = [i for i in found.inputs if not i.path.resolve().is_relative_to(own)]
    if not items:
        if not found.errors:
            print("docparse: error: no supported input files found", file=sys.stderr)
        return EXIT_NOTHING
    stems = output_stems(items)
    folders = {item.path: out.output / item.relative_dir for item in items}
    outputs = {"format": sorted(out.format), "per_page": out.per_page}

    renderer = JsonLogRenderer() if out.log_json else RichRenderer(quiet=out.quiet)
    parsed = partial = failed = pages = requests = blocks = failed_blocks = 0
    failed += len(found.errors)
    resumed = 0
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
            stores: dict[Path, DirPageStore] = {}
            todo: list[Path] = []
            for item in items:
                store = _store_for(item.path, out.output / WORK_DIR / item.relative_dir
                                   / stems[item.path], key, out.resume)
                if store is None:
                    failed += 1
                elif store.is_complete(outputs):
                    resumed += 1
                else:
                    stores[item.path] = store
                    todo.append(item.path)
            parsed += resumed
            results = parser.parse_many(todo, concurrency=out.jobs,
                                        store_for=lambda p: stores.get(Path(str(p))))
            for result in results:
                path = Path(result.input)
                if result.document is None:
                    failed += 1
                    print(f"docparse: error: {result.error}", file=sys.stderr)
                    continue
                doc = result.document
                try:
                    write_outputs(doc, folders[path], stems[path], out)
                    if doc.status == "success":  # documents with failures are retried by --resume
                        stores[path].mark_complete(outputs)
                except DocParseError as exc:
                    failed += 1
                    print(f"docparse: error: {exc}", file=sys.stderr)
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
                print(f"docparse: warning: {doc.input_path}: {doc.status}: "
                      f"{len(doc.errors)} block(s) or page(s) failed ({failure_summary(doc)})",
                      file=sys.stderr)
    finally:
        renderer.stop()
    seconds = time.perf_counter() - t0
    total = parsed + partial + failed
    if resumed and not out.quiet:
        print(f"docparse: {resumed} input(s) already done (--resume), skipped", file=sys.stderr)
    if not out.quiet or failed or partial:
        rate = pages / seconds if seconds > 0 else 0.0
        print(
            f"docparse: {total} input(s): {parsed} parsed, {partial} partial, {failed} failed; "
            f"{pages} page(s), {blocks} block(s) ({failed_blocks} failed) in {seconds:.1f} s "
            f"({rate:.2f} pages/s), {requests} recognition request(s); output in {out.output}",
            file=sys.stderr,
        )
    if parsed + partial == 0:
        return EXIT_NOTHING
    return EXIT_PARTIAL if (failed or partial) else EXIT_OK

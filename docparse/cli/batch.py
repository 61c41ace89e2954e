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


def _outputs_exist(folder: Path, stem: str, out: OutputOptions) -> bool:
    wanted = {"json": folder / f"{stem}.json", "md": folder / f"{stem}.md"}
    return all(wanted[f].is_file() for f in out.format if f in wanted)


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
    paths = [item.path for item in found.inputs]
    if not paths:
        if not found.errors:
            print("docparse: error: no supported input files found", file=sys.stderr)
        return EXIT_NOTHING
    stems = output_stems(found.inputs)
    folders = {item.path: out.output / item.relative_dir for item in found.inputs}
    stores: dict[Path, DirPageStore] = {}
    todo: list[Path] = []
    resumed = 0
    for item in found.inputs:
        work = out.output / WORK_DIR / item.relative_dir / stems[item.path]
        try:
            store = DirPageStore.for_input(work, item.path, options.cache_key(), resume=out.resume)
        except OSError as exc:
            print(f"docparse: error: {item.path}: cannot read: {exc.strerror or exc}", file=sys.stderr)
            continue
        if store.complete and _outputs_exist(folders[item.path], stems[item.path], out):
            resumed += 1
            continue
        stores[item.path] = store
        todo.append(item.path)

    renderer = JsonLogRenderer() if out.log_json else RichRenderer(quiet=out.quiet)
    parsed = partial = failed = pages = requests = blocks = failed_blocks = 0
    failed += len(found.errors) + len(paths) - len(todo) - resumed
    parsed += resumed
    t0 = time.perf_counter()
    renderer.start()
    try:
        with Parser(options, layout=layout, recognizer=recognizer, on_event=renderer) as parser:
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
                    stores[path].mark_complete()
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

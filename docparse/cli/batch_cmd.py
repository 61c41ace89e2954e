"""``docparse batch INPUT... -o OUT --engine ray|local``: ``docparse parse`` for many
documents, on this machine or spread over a Ray cluster, with object-store inputs/outputs."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from docparse.cli import EXIT_NOTHING, EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, error_line, exit_code_of


class _Renamed:
    """Lets ``parse``'s option set be declared again on the ``batch`` sub-command."""

    def __init__(self, sub: Any) -> None:
        self.sub = sub
        self.parser: argparse.ArgumentParser | None = None

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser:
        kwargs["help"] = "parse many documents, locally or on a Ray cluster"
        kwargs["description"] = (
            "Parse many documents into JSON and Markdown, on this machine (--engine local, "
            "as `docparse parse`) or on a Ray cluster (--engine ray). Inputs and the output "
            "folder may be object-store URLs (s3://, gs://, file://). Every `parse` option "
            "applies; DOCPARSE_<NAME> twins too.")
        self.parser = self.sub.add_parser("batch", conflict_handler="resolve", **kwargs)
        return self.parser


def add_parser(sub: Any) -> None:
    from docparse.cli.parse_cmd import add_parser as add_parse_options

    renamed = _Renamed(sub)
    add_parse_options(renamed)
    p = renamed.parser
    assert p is not None
    # An object-store URL is not a Path (Path("s3://b") loses a slash).
    p.add_argument("-o", "--output", help="output folder or URL (default docparse_output/)")
    g = p.add_argument_group("engine")
    g.add_argument("--engine", choices=["local", "ray"], default="local",
                   help="local: this process (as `docparse parse`); ray: a Ray cluster")
    g.add_argument("--address", help="join this Ray cluster ('auto', 'ray://host:10001'); "
                   "default: start a private local instance for the run")
    g.add_argument("--num-cpus", type=int, help="CPUs of the private local Ray instance")
    g.add_argument("--workers", type=int, help="worker actors (default: every cluster CPU)")
    g.add_argument("--ranges-per-worker", type=int, default=2,
                   help="page ranges a worker parses at once (default 2)")
    g.add_argument("--pages-per-task", type=int, default=16,
                   help="pages per range: long documents are split (default 16)")
    g.add_argument("--max-attempts", type=int, default=3,
                   help="worker deaths a document may cause before it is marked failed")
    g.add_argument("--task-timeout", type=float, default=1800.0,
                   help="seconds before a range's worker is presumed hung (default 1800)")
    p.set_defaults(handler=run)


_ENGINE_KEYS = ("engine", "address", "num_cpus", "workers", "ranges_per_worker",
                "pages_per_task", "max_attempts", "task_timeout")
_OUTPUT_KEYS = ("format", "per_page", "resume", "quiet", "log_json", "jobs")


_err = error_line


def run(args: argparse.Namespace) -> int:
    from docparse.options import resolve_options, resolve_output_options

    flags = {k: v for k, v in vars(args).items() if k not in ("inputs", "handler", "command")}
    engine = {k: flags.pop(k) for k in _ENGINE_KEYS}
    output = flags.pop("output", None)

    def batch() -> int:
        out_opts = resolve_output_options({k: flags.pop(k, None) for k in _OUTPUT_KEYS}
                                          | {"output": None if output is None or "://" in output
                                             else output})
        options = resolve_options(flags)
        target = output if output and "://" in output else str(out_opts.output)
        if engine["engine"] == "local":
            if target != str(out_opts.output) or any("://" in i for i in args.inputs):
                _err("object-store URLs need --engine ray")
                return EXIT_USAGE
            from docparse.cli.batch import run_batch

            return run_batch(args.inputs, options, out_opts)
        return _run_ray(args.inputs, options, out_opts, target, engine)

    return exit_code_of(batch)


def _run_ray(inputs: list[str], options: Any, out: Any, target: str,
             engine: dict[str, Any]) -> int:
    from docparse.cli.progress import JsonLogRenderer, RichRenderer
    from docparse.scale import RayBatch, RayOptions

    ropts = RayOptions(address=engine["address"], num_cpus=engine["num_cpus"],
                       workers=engine["workers"], ranges_per_worker=engine["ranges_per_worker"],
                       pages_per_task=engine["pages_per_task"],
                       max_attempts=engine["max_attempts"], task_timeout=engine["task_timeout"])
    renderer = JsonLogRenderer() if out.log_json else RichRenderer(quiet=out.quiet)
    batch = RayBatch(inputs, options, out, output=target, ray_options=ropts, on_event=renderer)
    t0 = time.perf_counter()
    renderer.start()
    try:
        rep = batch.run()
    finally:
        renderer.stop()
    seconds = time.perf_counter() - t0
    total = rep.parsed + rep.partial + rep.failed
    if rep.resumed and not out.quiet:
        print(f"docparse: {rep.resumed} input(s) already done (--resume), skipped", file=sys.stderr)
    if not out.quiet or rep.failed or rep.partial:
        rate = rep.pages / seconds if seconds > 0 else 0.0
        print(
            f"docparse: {total} input(s): {rep.parsed} parsed, {rep.partial} partial, "
            f"{rep.failed} failed; {rep.pages} page(s), {rep.blocks} block(s) "
            f"({rep.failed_blocks} failed) in {seconds:.1f} s ({rate:.2f} pages/s), "
            f"{rep.requests} recognition request(s); output in {target}",
            file=sys.stderr,
        )
    if rep.parsed + rep.partial == 0:
        return EXIT_NOTHING
    return EXIT_PARTIAL if (rep.failed or rep.partial) else EXIT_OK


__all__ = ["add_parser", "run"]

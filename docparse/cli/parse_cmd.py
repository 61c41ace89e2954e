"""``docparse parse INPUT... [-o OUTDIR]``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from docparse import backends
from docparse.cli import exit_code_of


def add_parser(sub: Any) -> None:
    p = sub.add_parser("parse", help="parse documents into JSON and Markdown",
                       description="Parse PDFs and images into JSON and Markdown. Every option "
                       "also reads DOCPARSE_<NAME> (e.g. DOCPARSE_SERVER_URL); flags win.")
    p.add_argument("inputs", nargs="+", metavar="INPUT",
                   help="files, folders (walked recursively) or glob patterns")
    p.add_argument("-o", "--output", type=Path, help="output folder (default docparse_output/)")
    p.add_argument("--format", help="comma-separated outputs: md,json,img,... (default md,json; "
                   "every registered format, see docparse.formats)")
    p.add_argument("--per-page", action=argparse.BooleanOptionalAction, default=None,
                   help="also write one Markdown file per page (<stem>_<page>.md)")
    add_pipeline_options(p)
    g = p.add_argument_group("run")
    g.add_argument("--jobs", type=int, help="inputs opened and rendered at a time; their pages "
                   "share the page window (default 1)")
    g.add_argument("--page-window", type=int, help="pages in flight (default 16)")
    g.add_argument("--layout-workers", type=int)
    g.add_argument("--resume", action=argparse.BooleanOptionalAction, default=None,
                   help="skip documents and pages finished by an earlier run")
    g.add_argument("--quiet", action=argparse.BooleanOptionalAction, default=None)
    g.add_argument("--log-json", action=argparse.BooleanOptionalAction, default=None,
                   help="events as JSON lines on stderr")
    p.set_defaults(handler=run)


def add_pipeline_options(p: argparse.ArgumentParser, *, server_key_flag: str = "--api-key") -> None:
    """The ParseOptions flags shared by ``parse`` and ``serve`` (``serve`` names the
    recognition server's key ``--server-api-key``: its ``--api-key`` protects the service)."""
    g = p.add_argument_group("input")
    g.add_argument("--pages", help="page ranges, 1-based: '1-3,7'")
    g.add_argument("--dpi", type=int, help="PDF render resolution (default 144)")
    g.add_argument("--password", help="password for encrypted PDFs")
    g = p.add_argument_group("layout")
    g.add_argument("--layout", choices=backends.names("layout"),
                   help="auto (the pipeline version's model when fetched, else built-in); "
                   f"{backends.describe('layout')}")
    g.add_argument("--layout-model-dir", type=Path,
                   help="a PP-DocLayoutV2 or PP-DocLayoutV3 model folder")
    g.add_argument("--cache-dir", type=Path, help="model cache (default models_cache/ or user cache)")
    g.add_argument("--manifest", type=Path, help="model manifest replacing the shipped one")
    g.add_argument("--device", help="paddle device for PP-DocLayoutV2 (cpu, gpu:0)")
    g.add_argument("--layout-threshold", type=float, help="one score threshold for all classes")
    g.add_argument("--merge-layout-blocks", action=argparse.BooleanOptionalAction, default=None)
    g = p.add_argument_group("recognition")
    g.add_argument("--recognizer", choices=backends.names("recognizer"),
                   help=f"auto (the server when given, else built-in); {backends.describe('recognizer')}")
    g.add_argument("--pipeline-version", choices=["auto", "v1", "v1.5", "v1.6"],
                   help="PaddleOCR-VL generation (default auto: from the served model)")
    g.add_argument("--server", dest="server_url", action="append", metavar="URL",
                   help="PaddleOCR-VL server (OpenAI base URL); repeat for several")
    g.add_argument(server_key_flag, dest="api_key", metavar="KEY",
                   help="API key of the recognition server")
    g.add_argument("--model", help="served model name (default: discovered from /v1/models)")
    g.add_argument("--chart-recognition", action=argparse.BooleanOptionalAction, default=None)
    g.add_argument("--seal-recognition", action=argparse.BooleanOptionalAction, default=None,
                   help="read seals with 'Seal Recognition:' (PaddleOCR-VL 1.5+)")
    g.add_argument("--keep-furniture", action=argparse.BooleanOptionalAction, default=None,
                   help="also recognise headers, footers and page numbers")
    g.add_argument("--temperature", type=float)
    g.add_argument("--max-completion-tokens", type=int)
    g.add_argument("--max-concurrency", type=int, help="requests in flight (default 64)")
    g.add_argument("--timeout", type=float, help="per-request timeout in seconds (default 120)")
    g.add_argument("--retries", type=int, help="retries per request (default 3)")
    g.add_argument("--deadline", type=float, help="per-document deadline in seconds")
    g.add_argument("--text-layer", choices=["auto", "off", "prefer"])
    g.add_argument("--orientation", choices=["auto", "off"],
                   help="straighten scanned pages and turn pages lying on their side or upside "
                        "down (scans by their pixels, PDF pages by their text; default auto)")
    g = p.add_argument_group("document")
    for name in ("merge-tables", "relevel-titles", "join-paragraphs", "detect-furniture"):
        g.add_argument(f"--{name}", action=argparse.BooleanOptionalAction, default=None)


_OUTPUT_KEYS = ("output", "format", "per_page", "resume", "quiet", "log_json", "jobs")


def run(args: argparse.Namespace) -> int:
    from docparse.cli.batch import run_batch
    from docparse.options import resolve_options, resolve_output_options

    flags = {k: v for k, v in vars(args).items() if k not in ("inputs", "handler", "command")}

    def parse() -> int:
        out_opts = resolve_output_options({k: flags.pop(k, None) for k in _OUTPUT_KEYS})
        return run_batch(args.inputs, resolve_options(flags), out_opts)

    return exit_code_of(parse)


__all__ = ["add_parser", "add_pipeline_options", "run"]

"""``docparse serve``: the document-level HTTP service (needs the ``serve`` extra).

Takes the options of ``docparse parse`` (servers, layout, text layer, limits) plus the
service's own settings; fastapi and uvicorn are imported only when the command runs, so
``docparse --help`` stays instant and the base install does not need them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from docparse.cli import EXIT_USAGE

_MIB = 1024 * 1024


def add_parser(sub: Any) -> None:
    from docparse.cli.parse_cmd import add_pipeline_options

    p = sub.add_parser(
        "serve", help="run docparse as an HTTP service",
        description="Serve docparse over HTTP: POST /layout-parsing (official PaddleOCR-VL API), "
        "POST /v1/parse, /v1/jobs; /health, /ready, /metrics, /openapi.json. Every setting also "
        "reads DOCPARSE_SERVE_<NAME> (parse options DOCPARSE_<NAME>); flags win.")
    g = p.add_argument_group("service")
    g.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    g.add_argument("--port", type=int, help="TCP port (default 8000; 0 picks a free one)")
    g.add_argument("--api-key", dest="api_keys", action="append", metavar="KEY",
                   help="a key clients send as 'Authorization: Bearer KEY'; repeat for several "
                   "(also DOCPARSE_SERVE_API_KEYS, comma-separated)")
    g.add_argument("--api-key-file", dest="api_key_files", action="append", type=Path,
                   metavar="FILE", help="keys, one per line")
    g.add_argument("--work-dir", type=Path, help="jobs and their results (default docparse_serve/)")
    g.add_argument("--max-upload-mb", type=float, help="largest document accepted (default 50)")
    g.add_argument("--max-pages", type=int, help="most pages parsed per document (default 500)")
    g.add_argument("--max-documents", type=int, help="documents parsed at once (default 2)")
    g.add_argument("--queue-size", type=int,
                   help="requests waiting for a slot before 429 (default 64)")
    g.add_argument("--max-queued-jobs", type=int, help="jobs waiting before 429 (default 256)")
    g.add_argument("--request-deadline", type=float,
                   help="seconds a synchronous request may take (default 600)")
    g.add_argument("--job-ttl", type=float, help="seconds a finished job is kept (default 86400)")
    g.add_argument("--url-inputs", action=argparse.BooleanOptionalAction, default=None,
                   help="fetch documents given as URLs (default on)")
    g.add_argument("--url-allow", action="append", metavar="HOST[:PORT]",
                   help="hosts URL inputs may come from ('*.example.com' too); naming a host "
                   "exactly also allows its private addresses")
    g.add_argument("--cors-origin", dest="cors_origins", action="append", metavar="ORIGIN",
                   help="allow browsers from this origin (CORS is off by default)")
    g.add_argument("--shutdown-grace", type=float,
                   help="seconds SIGTERM waits for running work (default 30)")
    add_pipeline_options(p, server_key_flag="--server-api-key")
    g = p.add_argument_group("run")
    g.add_argument("--page-window", type=int, help="pages in flight per document (default 16)")
    g.add_argument("--layout-workers", type=int)
    p.set_defaults(handler=run)


_SERVE_KEYS = ("host", "port", "api_keys", "work_dir", "max_pages", "max_documents",
               "queue_size", "max_queued_jobs", "request_deadline", "job_ttl", "url_inputs",
               "url_allow", "cors_origins", "shutdown_grace")


def run(args: argparse.Namespace) -> int:
    from docparse.errors import ConfigurationError, ModelError
    from docparse.options import resolve_options
    from docparse.serve.settings import resolve_serve_settings

    flags = {k: v for k, v in vars(args).items() if k not in ("handler", "command")}
    serve = {k: flags.pop(k, None) for k in _SERVE_KEYS}
    key_files = tuple(flags.pop("api_key_files", None) or ())
    upload_mb = flags.pop("max_upload_mb", None)
    if upload_mb is not None:
        serve["max_upload_bytes"] = int(upload_mb * _MIB)
    try:
        settings = resolve_serve_settings(serve, key_files=key_files)
        options = resolve_options(flags)
    except ConfigurationError as exc:
        print(f"docparse: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        print("docparse: error: `docparse serve` needs the serve extra: "
              "pip install 'docparse[serve]'", file=sys.stderr)
        return EXIT_USAGE
    from docparse.serve.server import run_server

    try:
        return run_server(settings, options)
    except (ConfigurationError, ModelError, OSError) as exc:
        print(f"docparse: error: {exc}", file=sys.stderr)
        return EXIT_USAGE


__all__ = ["add_parser", "run"]

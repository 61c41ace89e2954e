"""The ``docparse`` command: ``parse``, ``fetch-models``, ``models``, ``serve``.

Exit codes: 0 everything parsed; 1 some inputs or blocks failed (the rest done); 2 usage or
configuration error (including: no recognition server answers); 3 nothing could be parsed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from docparse._version import __version__

EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, EXIT_NOTHING = 0, 1, 2, 3


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"docparse: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="docparse",
        description="Turn PDFs and images into structured JSON and Markdown.",
    )
    parser.add_argument("--version", action="version", version=f"docparse {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    from docparse.cli.parse_cmd import add_parser as add_parse

    add_parse(sub)
    try:
        from docparse.cli.models_cmd import add_parsers as add_models
    except ImportError:  # pragma: no cover - during bring-up only
        pass
    else:
        add_models(sub)
    from docparse.cli.serve_cmd import add_parser as add_serve

    add_serve(sub)
    return parser


def _configure_logging() -> None:
    """``DOCPARSE_LOG=debug|info|warning`` turns on the library's log (tracebacks included)."""
    import logging

    from docparse.options import read_environment

    level = read_environment().log_level
    if level:
        logging.basicConfig(level=level.upper(), format="%(asctime)s %(name)s %(levelname)s %(message)s")
    else:
        # Problems reach the user as one-line messages; keep library logging quiet.
        logging.getLogger("docparse").addHandler(logging.NullHandler())
        logging.getLogger("docparse").propagate = False


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from docparse.errors import ConfigurationError

    try:
        _configure_logging()
    except ConfigurationError as exc:  # e.g. an unknown DOCPARSE_LOG level
        print(f"docparse: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if not getattr(args, "handler", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return int(args.handler(args))
    except KeyboardInterrupt:
        print("docparse: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug must still end in one line, not a traceback
        print(f"docparse: internal error: {type(exc).__name__}: {exc} "
              "(run with DOCPARSE_LOG=debug for details)", file=sys.stderr)
        import logging

        logging.getLogger("docparse").debug("internal error", exc_info=True)
        return EXIT_PARTIAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

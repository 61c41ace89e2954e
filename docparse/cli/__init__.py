"""The ``docparse`` command: ``parse``, ``batch``, ``fetch-models``, ``models``, ``serve``.

Exit codes: 0 everything parsed; 1 some inputs or blocks failed (the rest done); 2 usage or
configuration error (including: no recognition server answers); 3 nothing could be parsed.
"""

from __future__ import annotations

import argparse
import atexit
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from types import FrameType
from typing import NoReturn

from docparse._version import __version__

EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, EXIT_NOTHING = 0, 1, 2, 3
EXIT_INTERRUPTED = 130


def error_line(message: str) -> None:
    print(f"docparse: error: {message}", file=sys.stderr)


def exit_code_of(run: Callable[[], int]) -> int:
    """``run()``, with the errors that end a whole run turned into one line and an exit code:
    configuration, models and an unreachable server are usage problems (2), anything else of
    docparse's means nothing could be parsed (3)."""
    from docparse.errors import (
        ConfigurationError,
        DocParseError,
        ModelError,
        ServerUnavailableError,
    )

    try:
        return run()
    except (ConfigurationError, ModelError, ServerUnavailableError) as exc:
        error_line(str(exc))
        return EXIT_USAGE
    except DocParseError as exc:
        error_line(str(exc))
        return EXIT_NOTHING

#: After the first Ctrl-C the run unwinds (finished pages are already on disk, written
#: atomically); if that takes longer than this, or Ctrl-C comes again, the process ends at once.
INTERRUPT_GRACE = 1.5


class _Interrupt:
    """Ctrl-C for the command line: one line, exit 130, however often it is pressed.

    Without this, the interpreter's exit joins every worker thread (``threading._shutdown``
    waits for the layout inference or page render in progress), and a second Ctrl-C lands in
    that join as a ``KeyboardInterrupt`` traceback, or kills the interpreter while a daemon
    thread holds stderr (abort, exit 134). Leaving with ``os._exit`` skips both: nothing
    needs the interpreter's teardown (outputs and page files are written atomically and
    fsynced; a half-written temp file is ignored by ``--resume``).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pressed = False
        self._leaving = False

    def handler(self, signum: int, frame: FrameType | None) -> None:
        if self._pressed:
            self.leave()
        self._pressed = True
        timer = threading.Timer(INTERRUPT_GRACE, self.leave)
        timer.daemon = True
        timer.start()
        raise KeyboardInterrupt

    def leave(self) -> NoReturn:
        """Say so once and end the process now (any thread may call this)."""
        with self._lock:
            if not self._leaving:
                self._leaving = True
                for stream in (sys.stdout, sys.stderr):
                    try:
                        stream.flush()
                    except Exception:  # a closed or broken stream must not block the exit
                        pass
                # os.write: no Python-level lock another thread could be holding.
                os.write(2, b"docparse: interrupted\n")
        os._exit(EXIT_INTERRUPTED)


def _install_interrupt() -> _Interrupt | None:
    """Take over SIGINT when running as the program (main thread, default handler)."""
    if threading.current_thread() is not threading.main_thread():
        return None
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        return None
    interrupt = _Interrupt()
    signal.signal(signal.SIGINT, interrupt.handler)
    return interrupt


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
    from docparse.cli.batch_cmd import add_parser as add_batch

    add_batch(sub)
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
    interrupt = _install_interrupt()
    try:
        return int(args.handler(args))
    except KeyboardInterrupt:
        if interrupt is not None:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            interrupt.leave()
        print("docparse: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # a bug must still end in one line, not a traceback
        print(f"docparse: internal error: {type(exc).__name__}: {exc} "
              "(run with DOCPARSE_LOG=debug for details)", file=sys.stderr)
        import logging

        logging.getLogger("docparse").debug("internal error", exc_info=True)
        return EXIT_PARTIAL
    finally:
        if interrupt is not None and threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, signal.default_int_handler)


def run() -> NoReturn:
    """The ``docparse`` command as a process: :func:`main`, then exit without tearing the
    interpreter down. (Also: imports docparse does not use are left out of this process, see
    :func:`~docparse.sources.pdf.leave_out_pymupdf_extras` and
    :func:`~docparse.recognize.vlm.client.leave_out_trio`; MuPDF's own printed messages
    are off, :func:`~docparse.sources.pdf.quiet_mupdf_messages`.)

    By then every output is written, closed and renamed into place; what Python's own
    teardown would still do is free every module and object one by one, ONNX Runtime's
    sessions and thread pools among them: 0.15 s of a 2-core machine's time after the last
    page (measured on 4 scans), the same on every run. Exit handlers (logging, temporary
    folders, finalisers) still run first, and the standard streams are flushed.
    """
    from docparse.recognize.vlm.client import leave_out_trio
    from docparse.sources.pdf import leave_out_pymupdf_extras, quiet_mupdf_messages

    leave_out_pymupdf_extras()
    quiet_mupdf_messages()
    leave_out_trio()
    code = main()
    run_exit_handlers = getattr(atexit, "_run_exitfuncs", None)
    if run_exit_handlers is None:  # not CPython: leave the usual way
        sys.exit(code)
    run_exit_handlers()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe or stream: nothing more can be said
            pass
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    run()

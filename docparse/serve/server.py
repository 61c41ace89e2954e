"""Running the app under uvicorn: our own listening socket (so ``--port 0`` works and the
real port is announced), structured logs, graceful SIGTERM.

On SIGTERM uvicorn stops accepting connections and lets in-flight requests finish for
``shutdown_grace`` seconds; then the lifespan gives running jobs the same grace and records
those still running as failed (``shutting_down``), so a restart finds them settled.
"""

from __future__ import annotations

import faulthandler
import logging
import signal
import socket
import sys

from docparse.options import ParseOptions
from docparse.serve.settings import ServeSettings


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _configure_logging() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    for name in ("docparse.serve", "docparse.serve.access", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.setLevel(logging.INFO)
        logger.propagate = False
        logger.handlers = [handler]


def run_server(settings: ServeSettings, options: ParseOptions) -> int:
    """Serve until SIGTERM/SIGINT; 0 after a clean shutdown."""
    import uvicorn

    from docparse.serve.app import create_app

    _configure_logging()
    # `kill -USR1 PID` prints every thread's stack: how to see what a stuck shutdown waits on.
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    sock = _listen(settings.host, settings.port)
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    # One line a supervisor (or a test) can wait for; printed before models load.
    print(f"docparse serve: listening on http://{shown}:{port}", file=sys.stderr, flush=True)
    app = create_app(settings, options)
    config = uvicorn.Config(app, log_config=None, access_log=False, lifespan="on",
                            timeout_graceful_shutdown=int(settings.shutdown_grace),
                            server_header=False, limit_concurrency=None)
    server = uvicorn.Server(config)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
    return 0

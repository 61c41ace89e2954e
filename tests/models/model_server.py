"""A real HTTP server on 127.0.0.1 for model-fetch tests: Range support and scripted faults."""

from __future__ import annotations

import hashlib
import io
import json
import re
import tarfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


class ModelServer:
    """Serves ``files[path]``; records every request as (path, Range header)."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.requests: list[tuple[str, str | None]] = []
        #: path -> bytes to send on the first full GET before dropping the connection
        self.truncate_first: dict[str, int] = {}
        #: path -> status to answer with (every request)
        self.status: dict[str, int] = {}
        #: paths for which a Range header is ignored (200 with the whole body)
        self.ignore_range: set[str] = set()
        self.chunk_delay = 0.0
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                server.handle(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,), daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def paths_requested(self, path: str) -> list[str | None]:
        return [rng for p, rng in self.requests if p == path]

    def handle(self, h: BaseHTTPRequestHandler) -> None:
        path = h.path
        rng = h.headers.get("Range")
        with self._lock:
            self.requests.append((path, rng))
            truncate = self.truncate_first.pop(path, None) if not rng else None
        if path in self.status:
            h.send_response(self.status[path])
            h.send_header("Content-Length", "0")
            h.end_headers()
            return
        data = self.files.get(path)
        if data is None:
            h.send_response(404)
            h.send_header("Content-Length", "0")
            h.end_headers()
            return
        start = 0
        m = re.match(r"bytes=(\d+)-$", rng or "")
        if m and path not in self.ignore_range:
            start = int(m.group(1))
            if start >= len(data):
                h.send_response(416)
                h.send_header("Content-Range", f"bytes */{len(data)}")
                h.send_header("Content-Length", "0")
                h.end_headers()
                return
            h.send_response(206)
            h.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            h.send_response(200)
        body = data[start:]
        h.send_header("Content-Length", str(len(body)))
        h.send_header("Accept-Ranges", "bytes")
        h.end_headers()
        if truncate is not None:
            h.wfile.write(body[:truncate])
            h.wfile.flush()
            h.close_connection = True
            return
        for i in range(0, len(body), 64 * 1024):
            if self.chunk_delay:
                time.sleep(self.chunk_delay)
            h.wfile.write(body[i : i + 64 * 1024])

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def model_files(seed: int = 1) -> dict[str, bytes]:
    """A small stand-in for PP-DocLayoutV2's files (random weights, real-looking configs)."""
    import random

    rnd = random.Random(seed)
    return {
        "inference.pdiparams": rnd.randbytes(300_000),
        "inference.json": json.dumps({"program": "pir", "seed": seed}).encode(),
        "inference.yml": b"Global: {model_name: TestLayout}\nmode: paddle\n",
        "config.json": json.dumps({"Global": {"model_name": "TestLayout"}}).encode(),
    }


def write_manifest(
    path: Path, files: dict[str, bytes], *, name: str = "TestLayout", extra: Any = None
) -> Path:
    """Pins inference.pdiparams and config.json (optional); the rest is trust-on-first-use."""
    entry = {
        "name": name,
        "default": True,
        "files": [
            {
                "path": "inference.pdiparams",
                "size": len(files["inference.pdiparams"]),
                "sha256": sha(files["inference.pdiparams"]),
            },
            {"path": "inference.json", "size": None, "sha256": None},
            {"path": "inference.yml", "size": None, "sha256": None},
            {
                "path": "config.json",
                "size": len(files["config.json"]),
                "sha256": sha(files["config.json"]),
                "optional": True,
            },
        ],
    }
    models = [entry] + (extra or [])
    path.write_text(json.dumps({"format": 1, "models": models}))
    return path


def infer_tar(files: dict[str, bytes], top: str) -> bytes:
    """An official-style ``<name>_infer.tar``: one top-level folder holding the files."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        d = tarfile.TarInfo(top)
        d.type = tarfile.DIRTYPE
        d.mode = 0o755
        tf.addfile(d)
        for name, data in files.items():
            info = tarfile.TarInfo(f"{top}/{name}")
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()

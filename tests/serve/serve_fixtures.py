"""Start ``docparse serve`` as a real process on loopback and talk to it.

The service runs exactly as deployed (``python -m docparse serve``, uvicorn, its own socket)
with its temporary folder (``TMPDIR``) private to the test, so leftover temporary files and
open descriptors can be counted from outside.
"""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

import httpx

ROOT = Path(__file__).resolve().parents[2]


class ServeProcess:
    def __init__(self, args: list[str], *, work: Path, env: dict[str, str] | None = None,
                 startup_timeout: float = 120.0) -> None:
        self.args = args
        self.work = work
        self.tmp = work / "tmp"
        self.tmp.mkdir(parents=True, exist_ok=True)
        self.log_path = work / "serve.log"
        self.extra_env = env or {}
        self.startup_timeout = startup_timeout
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = ""

    def start(self) -> ServeProcess:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DOCPARSE_")}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        env["TMPDIR"] = str(self.tmp)
        env.update(self.extra_env)
        cmd = [sys.executable, "-m", "docparse", "serve", "--host", "127.0.0.1", "--port", "0",
               "--work-dir", str(self.work / "data"), *self.args]
        self._log = self.log_path.open("ab")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     stdin=subprocess.DEVNULL, env=env, cwd=str(self.work))
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        assert self.proc is not None and self.proc.stderr is not None
        deadline = time.monotonic() + self.startup_timeout
        buf = b""
        with selectors.DefaultSelector() as sel:
            sel.register(self.proc.stderr, selectors.EVENT_READ)
            while time.monotonic() < deadline:
                if not sel.select(timeout=0.2):
                    if self.proc.poll() is not None:
                        break
                    continue
                chunk = os.read(self.proc.stderr.fileno(), 65536)
                if not chunk:
                    break
                self._log.write(chunk)
                buf += chunk
                for line in buf.decode(errors="replace").splitlines():
                    if "listening on " in line:
                        self.url = line.split("listening on ", 1)[1].strip()
                if self.url and b"docparse serve: ready" in buf:
                    self._drain()
                    return
        self.stop()
        raise RuntimeError(f"docparse serve did not start:\n{buf.decode(errors='replace')[-3000:]}")

    def _drain(self) -> None:
        """Keep reading stderr (access log) into the log file so the pipe never fills."""
        import threading

        assert self.proc is not None and self.proc.stderr is not None
        stream, log = self.proc.stderr, self._log

        def pump() -> None:
            for chunk in iter(lambda: stream.read1(65536), b""):  # type: ignore[attr-defined]
                log.write(chunk)
                log.flush()

        threading.Thread(target=pump, daemon=True).start()

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def open_fds(self) -> int:
        return len(os.listdir(f"/proc/{self.pid}/fd"))

    def temp_files(self) -> list[Path]:
        return sorted(self.tmp.rglob("*"))

    def log(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def client(self, key: str | None = None, timeout: float = 120.0) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=timeout, trust_env=False)

    def wait_idle(self, timeout: float = 120.0) -> None:
        """Until no document runs or waits (earlier tests' jobs may still be going)."""
        deadline = time.monotonic() + timeout
        with self.client() as c:
            while time.monotonic() < deadline:
                text = c.get("/metrics").text
                if "docparse_documents_running 0.0" in text and "docparse_queue_depth 0.0" in text:
                    return
                time.sleep(0.2)
        raise AssertionError("the service never became idle")

    def terminate(self, timeout: float = 60.0) -> int:
        """SIGTERM and wait: the exit code."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            self.stop()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if hasattr(self, "_log") and not self._log.closed:
            self._log.close()

    def __enter__(self) -> ServeProcess:
        return self.start()

    def __exit__(self, et: type[BaseException] | None, e: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

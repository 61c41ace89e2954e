"""A fake vLLM server for PaddleOCR-VL, run in its own process, and the handle tests drive it by.

Command line (prints ``READY <port>`` on stdout once it accepts connections)::

    python -m docparse.testing.fake_vllm --port 0 --config '{"latency": 0.2, "slots": 2}'

From Python::

    with start_fake_vllm(FakeVLLMConfig(answers={"OCR:": "Total: 42"})) as server:
        client = openai.AsyncOpenAI(base_url=server.url, api_key="null")
        ...
        assert server.requests()[0]["prompt"] == "OCR:"

Endpoints: ``GET /v1/models``, ``POST /v1/chat/completions``, ``GET /health``, ``GET /version``,
and the admin routes ``GET|POST /_fake/config``, ``GET /_fake/requests``, ``GET /_fake/stats``,
``POST /_fake/reset``.
"""

from __future__ import annotations

import argparse
import json
import os
import selectors
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from docparse.errors import ConfigurationError, ServerUnavailableError
from docparse.testing.fake_vllm_config import FakeVLLMConfig, config_from_dict

__all__ = ["FakeVLLM", "FakeVLLMStats", "main", "start_fake_vllm"]

_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class FakeVLLMStats:
    """Counters since start (or the last reset); restarts begin again at zero."""

    #: Chat requests received, valid or not.
    received: int
    #: Answers delivered with status 200 (normal and looping answers).
    served: int
    #: Requests refused by validation.
    invalid: int
    #: Requests holding a slot now, and the most that ever did at once.
    in_flight: int
    max_in_flight: int
    #: Requests being served or waiting for a slot now, and the most ever.
    open: int
    max_open: int
    #: Requests per outcome: answer, loop, invalid, drop, error, retry_after, malformed, ...
    outcomes: dict[str, int]


class FakeVLLM:
    """Handle on one fake server process; ``start()`` it or use :func:`start_fake_vllm`."""

    def __init__(
        self,
        config: FakeVLLMConfig | None = None,
        *,
        startup_timeout: float = 60.0,
        verbose: bool = False,
    ) -> None:
        self.config = config or FakeVLLMConfig()
        self._startup_timeout = startup_timeout
        self._verbose = verbose
        self._dir = Path(tempfile.mkdtemp(prefix="fake-vllm-"))
        self._records = self._dir / "requests.jsonl"
        self._records.touch()
        self._log = self._dir / "server.log"
        self._proc: subprocess.Popen[str] | None = None
        self.port = 0

    # ── lifecycle ──

    def start(self) -> FakeVLLM:
        """Start the process (on the previous port after a kill) and wait for READY."""
        if self.alive:
            return self
        command = [
            sys.executable, "-m", "docparse.testing.fake_vllm",
            "--port", str(self.port), "--config", self.config.to_json(),
            "--record-file", str(self._records),
        ]  # fmt: skip
        if self._verbose:
            command.append("--verbose")
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_ROOT), env.get("PYTHONPATH")]))
        with self._log.open("a", encoding="utf-8") as log:
            self._proc = subprocess.Popen(
                command, stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL,
                text=True, env=env,
            )  # fmt: skip
        self.port = self._wait_ready(self._proc)
        return self

    def _wait_ready(self, proc: subprocess.Popen[str]) -> int:
        assert proc.stdout is not None
        deadline = time.monotonic() + self._startup_timeout
        with selectors.DefaultSelector() as selector:
            selector.register(proc.stdout, selectors.EVENT_READ)
            while time.monotonic() < deadline:
                if selector.select(timeout=0.1):
                    line = proc.stdout.readline()
                    if line.startswith("READY "):
                        return int(line.split()[1])
                    if not line and proc.poll() is not None:
                        break
        proc.kill()
        proc.wait()
        log = self._log.read_text(encoding="utf-8", errors="replace")[-2000:]
        raise ServerUnavailableError(
            f"fake vLLM on 127.0.0.1:{self.port} did not start (exit code {proc.returncode}); "
            f"log {self._log}:\n{log}"
        )

    def kill(self) -> None:
        """SIGKILL the process mid-run; clients then get 'connection refused'."""
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait()
            if self._proc.stdout is not None:
                self._proc.stdout.close()
            self._proc = None

    def restart(self) -> FakeVLLM:
        """Kill (if running) and start again on the same port with the current config."""
        self.kill()
        return self.start()

    def close(self) -> None:
        """Stop the process and delete its temporary files."""
        self.kill()
        shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> FakeVLLM:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        invalid = self.invalid_requests() if self.config.strict and exc is None else []
        self.close()
        if invalid:
            raise AssertionError(_describe_invalid(invalid))

    @property
    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` (health and admin routes live here)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        """The OpenAI base URL, ``http://127.0.0.1:PORT/v1``."""
        return f"{self.base_url}/v1"

    # ── inspection and control ──

    def requests(self) -> list[dict[str, Any]]:
        """Every chat request so far (across restarts), oldest first.

        Each record has ``seq``, ``model``, ``prompt``, ``image`` (``sha256``, ``width``,
        ``height``, ``format``, ``bytes``), ``body`` (the JSON with the image data replaced by
        ``sha256:<hex>``), ``valid``, ``error``, ``contract_only``, ``status``, ``outcome``,
        ``answer``, ``finish_reason`` and ``authorization`` (the request's header, or None).
        """
        text = self._records.read_text(encoding="utf-8")
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    def invalid_requests(self) -> list[dict[str, Any]]:
        """The recorded requests that failed validation."""
        return [r for r in self.requests() if not r["valid"]]

    def assert_no_invalid_requests(self) -> None:
        """Raise AssertionError (for tests) describing every request that failed validation."""
        invalid = self.invalid_requests()
        if invalid:
            raise AssertionError(_describe_invalid(invalid))

    def configure(self, **changes: Any) -> FakeVLLMConfig:
        """Change the running server's config (kept across restarts); returns the new one."""
        checked = self.config.with_changes(changes)  # fail here, before touching the server
        if self.alive:
            self._admin("POST", "/_fake/config", checked.to_json())
        self.config = checked
        return checked

    def stats(self) -> FakeVLLMStats:
        """The live server's counters."""
        return FakeVLLMStats(**self._admin("GET", "/_fake/stats"))

    def reset(self) -> None:
        """Forget recorded requests and zero the counters."""
        self._admin("POST", "/_fake/reset", "{}")

    def _admin(self, method: str, path: str, body: str | None = None) -> Any:
        url = self.base_url + path
        request = urllib.request.Request(
            url, data=None if body is None else body.encode(), method=method,
            headers={"Content-Type": "application/json"},
        )  # fmt: skip
        # No proxies: the server is on loopback whatever the environment says.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(request, timeout=10) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            raise ConfigurationError(f"{url}: {exc.read().decode(errors='replace')}") from exc
        except OSError as exc:
            raise ServerUnavailableError(f"{url}: fake vLLM is not reachable ({exc})") from exc


def _describe_invalid(invalid: list[dict[str, Any]]) -> str:
    lines = [f"fake vLLM received {len(invalid)} invalid request(s):"]
    lines += [f"  #{r['seq']}: {r['status']} {r['error']}" for r in invalid[:20]]
    return "\n".join(lines)


def start_fake_vllm(config: FakeVLLMConfig | None = None, **kwargs: Any) -> FakeVLLM:
    """Start a fake server process and return its handle (also a context manager).

    ``kwargs`` go to :class:`FakeVLLM` (``startup_timeout``, ``verbose``).
    """
    return FakeVLLM(config, **kwargs).start()


def main(argv: list[str] | None = None) -> int:
    """Run the server until killed: ``python -m docparse.testing.fake_vllm --port 0``."""
    from docparse.testing.fake_vllm_server import serve

    parser = argparse.ArgumentParser(prog="python -m docparse.testing.fake_vllm")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--config", default="{}", help="FakeVLLMConfig as JSON")
    parser.add_argument("--record-file", type=Path, help="append each request as a JSON line")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = parser.parse_args(argv)
    try:
        config = config_from_dict(json.loads(args.config))
    except (ConfigurationError, ValueError) as exc:
        print(f"fake vLLM: bad --config: {exc}", file=sys.stderr)
        return 2
    server = serve(
        config, host=args.host, port=args.port, record_file=args.record_file, verbose=args.verbose
    )
    print(f"READY {server.server_address[1]}", flush=True)
    try:
        server.serve_forever(poll_interval=0.1)
    except KeyboardInterrupt:
        pass
    finally:
        server.state.stopping.set()
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

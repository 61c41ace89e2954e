"""The fake vLLM HTTP server: stdlib ``ThreadingHTTPServer`` speaking HTTP/1.1 keep-alive,
one thread per connection, a slot limit that queues requests like a saturated GPU, seeded
faults, and a record of every chat request (in memory and, optionally, as JSON lines on disk)."""

from __future__ import annotations

import json
import random
import select
import socket
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from docparse.errors import ConfigurationError
from docparse.testing.fake_vllm_answers import (
    Answer,
    BuiltinOcr,
    cap_answer,
    format_builtin,
    loop_answer,
    match_rule,
    scripted_answer,
)
from docparse.testing.fake_vllm_config import (
    FAULTS,
    AnswerRule,
    FakeVLLMConfig,
    config_to_dict,
)
from docparse.testing.fake_vllm_protocol import (
    ChatRequest,
    Rejection,
    completion_body,
    error_body,
    models_body,
    redact_images,
    validate_chat,
)

_BAD_GATEWAY_HTML = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n"
)


class FakeState:
    """Config, counters, the slot gate and the request record, shared by all handler threads."""

    def __init__(self, config: FakeVLLMConfig, record_file: Path | None = None) -> None:
        self.config = config
        self.record_file = record_file
        self.rng = random.Random(config.seed)
        self.cond = threading.Condition()
        self.ocr = BuiltinOcr()
        self.stopping = threading.Event()
        self._reset_counters()

    def _reset_counters(self) -> None:
        self.records: list[dict[str, Any]] = []
        self.outcomes: Counter[str] = Counter()
        self.received = self.served = self.invalid = 0
        self.in_flight = self.max_in_flight = self.open = self.max_open = 0

    def reset(self) -> None:
        with self.cond:
            self._reset_counters()
            if self.record_file is not None:
                self.record_file.write_text("", encoding="utf-8")

    def configure(self, changes: dict[str, Any]) -> FakeVLLMConfig:
        with self.cond:
            self.config = self.config.with_changes(changes)
            if "seed" in changes:
                self.rng = random.Random(self.config.seed)
            self.cond.notify_all()  # a larger slot count may release waiting requests
            return self.config

    def stats(self) -> dict[str, Any]:
        with self.cond:
            return {
                "received": self.received,
                "served": self.served,
                "invalid": self.invalid,
                "in_flight": self.in_flight,
                "max_in_flight": self.max_in_flight,
                "open": self.open,
                "max_open": self.max_open,
                "outcomes": dict(self.outcomes),
            }

    def record(self, entry: dict[str, Any]) -> None:
        with self.cond:
            self.records.append(entry)
            self.outcomes[entry["outcome"]] += 1
            if entry["outcome"] == "invalid":
                self.invalid += 1
            if self.record_file is not None:
                with self.record_file.open("a", encoding="utf-8") as fh:
                    fh.write(json.dumps(entry) + "\n")

    def next_seq(self) -> int:
        with self.cond:
            self.received += 1
            return self.received

    def draw_fault(self) -> str | None:
        with self.cond:
            draw = self.rng.random()
            edge = 0.0
            for fault in FAULTS:
                edge += float(getattr(self.config, f"{fault}_rate"))
                if draw < edge:
                    return fault
            return None

    def uniform(self, high: float) -> float:
        with self.cond:
            return high * self.rng.random() if high else 0.0

    def pick(self, options: tuple[int, ...]) -> int:
        with self.cond:
            return options[self.rng.randrange(len(options))]

    def acquire_slot(self) -> None:
        with self.cond:
            self.open += 1
            self.max_open = max(self.max_open, self.open)
            while 0 < self.config.slots <= self.in_flight:
                self.cond.wait()
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def release_slot(self, served: bool) -> None:
        with self.cond:
            self.in_flight -= 1
            self.open -= 1
            self.served += int(served)
            self.cond.notify_all()


class FakeHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out as two writes; without this, Nagle + delayed ACK add 40 ms.
    disable_nagle_algorithm = True
    server: FakeServer

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            super().log_message(format, *args)

    # ── plumbing ──

    def _send(
        self, status: int, payload: bytes, ctype: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(payload)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(payload)

    def _json(self, status: int, obj: Any, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(obj).encode(), "application/json", headers)

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; False as soon as the client has closed the connection."""
        deadline = time.monotonic() + seconds
        state = self.server.state
        while not state.stopping.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return True
            readable, _, _ = select.select([self.connection], [], [], min(left, 0.5))
            if readable:
                try:
                    peeked = self.connection.recv(1, socket.MSG_PEEK)
                except OSError:
                    return False
                if not peeked:
                    return False
                time.sleep(min(left, 0.05))  # a pipelined request; keep sleeping
        return False

    # ── routes ──

    def do_GET(self) -> None:
        state = self.server.state
        if self.path == "/health":
            self._send(200, b"", "application/json")
        elif self.path == "/v1/models":
            self._json(200, models_body(state.config.models, state.config.max_model_len,
                                        state.config.roots))
        elif self.path == "/version":
            self._json(200, {"version": "0.11.2"})
        elif self.path == "/_fake/config":
            self._json(200, config_to_dict(state.config))
        elif self.path == "/_fake/requests":
            with state.cond:
                records = list(state.records)
            self._json(200, records)
        elif self.path == "/_fake/stats":
            self._json(200, state.stats())
        else:
            self._json(404, {"detail": "Not Found"})

    def do_POST(self) -> None:
        state = self.server.state
        raw = self._body()
        if self.path == "/v1/chat/completions":
            self._chat(raw)
        elif self.path == "/_fake/config":
            try:
                self._json(200, config_to_dict(state.configure(json.loads(raw or b"{}"))))
            except (ConfigurationError, ValueError) as exc:
                self._json(400, error_body(400, str(exc)))
        elif self.path == "/_fake/reset":
            state.reset()
            self._json(200, {"ok": True})
        else:
            self._json(404, {"detail": "Not Found"})

    def _chat(self, raw: bytes) -> None:
        state = self.server.state
        config = state.config
        seq = state.next_seq()
        entry: dict[str, Any] = {
            "seq": seq, "received_at": time.time(), "image": None,
            # Lets tests check the API key arrives as the official client sends it.
            "authorization": self.headers.get("Authorization"),
        }  # fmt: skip
        body: Any = None
        checked: ChatRequest | Rejection
        try:
            body = json.loads(raw)
        except ValueError as exc:
            checked = Rejection(400, f"JSON decode error: {exc}")
        else:
            checked = validate_chat(body, config)
        if isinstance(checked, Rejection):
            entry.update(
                body=redact_images(body, None), model=None, prompt=None, valid=False,
                error=checked.message, contract_only=checked.contract_only,
                status=checked.status, outcome="invalid", answer=None, finish_reason=None,
            )  # fmt: skip
            state.record(entry)
            self._json(checked.status, checked.body())
            return
        self._serve(checked, body, seq, entry)

    def _serve(self, request: ChatRequest, body: Any, seq: int, entry: dict[str, Any]) -> None:
        state = self.server.state
        config = state.config
        rule = match_rule(config.rules, request)
        fault = rule.fault if rule is not None and rule.fault else state.draw_fault()
        image = request.image
        entry.update(
            body=redact_images(body, image.sha256), model=request.model, prompt=request.prompt,
            image={"sha256": image.sha256, "width": image.width, "height": image.height,
                   "format": image.format, "bytes": image.size_bytes},
            valid=True, error=None, contract_only=False,
        )  # fmt: skip
        if fault is not None and fault != "loop":
            status = self._fault_status(fault, rule)
            entry.update(status=status, outcome=fault, answer=None, finish_reason=None)
            state.record(entry)
            self._fault(fault, status, request)
            return
        state.acquire_slot()
        delivered = False
        try:
            # Inside the slot: with ocr_mode="builtin" the OCR is the "GPU" work.
            answer = self._answer(request, seq, rule, fault == "loop")
            entry.update(
                status=200, outcome="loop" if fault == "loop" else "answer",
                answer=answer.content, finish_reason=answer.finish_reason,
            )  # fmt: skip
            state.record(entry)
            if self._wait(config.latency + state.uniform(config.latency_jitter)):
                self._json(200, self._completion(request, answer))
                delivered = True
            else:
                self.close_connection = True  # the client gave up: vLLM aborts the request
        finally:
            state.release_slot(delivered)

    def _fault_status(self, fault: str, rule: AnswerRule | None) -> int | None:
        """The status a fault answers with (None: no response at all)."""
        if fault == "error":
            if rule is not None and rule.fault == "error":
                return rule.status
            state = self.server.state
            return state.pick(state.config.error_statuses)
        return {"retry_after": 503, "timeout": 200, "malformed": 200}.get(fault)

    def _answer(
        self, request: ChatRequest, seq: int, rule: AnswerRule | None, looping: bool
    ) -> Answer:
        config = self.server.state.config
        if looping:
            return loop_answer(request.prompt, request.max_completion_tokens)
        if config.ocr_mode == "builtin" and rule is None:
            lines = self.server.state.ocr.lines(request.image_bytes)
            text = format_builtin(request.prompt, lines)
            return cap_answer(text, "stop", request.max_completion_tokens)
        return scripted_answer(config, request, seq, rule)

    def _completion(self, request: ChatRequest, answer: Answer) -> dict[str, Any]:
        return completion_body(
            model=request.model,
            content=answer.content,
            finish_reason=answer.finish_reason,
            prompt_tokens=request.prompt_tokens,
            completion_tokens=answer.completion_tokens,
        )

    def _fault(self, fault: str, status: int | None, request: ChatRequest) -> None:
        config = self.server.state.config
        if fault == "drop" or (fault == "hang" and not self._wait(float("inf"))):
            self.close_connection = True
            return
        if fault == "timeout":
            if self._wait(config.timeout_sleep):
                self._json(200, self._completion(request, Answer("late answer", "stop", 3)))
            else:
                self.close_connection = True
        elif fault == "malformed":
            text = json.dumps(self._completion(request, Answer("cut off", "stop", 2)))
            self._send(200, text[: len(text) // 2].encode(), "application/json")
        elif fault == "retry_after":
            retry = config.retry_after
            value = str(int(retry)) if float(retry).is_integer() else str(retry)
            body = error_body(503, "The server is overloaded, retry later.")
            self._json(503, body, {"Retry-After": value})
        elif status == 502:
            self._send(502, _BAD_GATEWAY_HTML, "text/html")
        elif status is not None:
            self._json(status, error_body(status, f"fake vLLM injected error {status}"))


class FakeServer(ThreadingHTTPServer):
    daemon_threads = True
    # Tests open many connections at once; the default backlog of 5 makes some wait a second.
    request_queue_size = 1024

    def __init__(self, address: tuple[str, int], state: FakeState, verbose: bool = False) -> None:
        super().__init__(address, FakeHandler)
        self.state = state
        self.verbose = verbose


def serve(
    config: FakeVLLMConfig,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    record_file: Path | None = None,
    verbose: bool = False,
) -> FakeServer:
    """Bind a server (``port=0``: any free port); call ``serve_forever()`` on the result."""
    state = FakeState(config, record_file)
    if config.ocr_mode == "builtin":
        # Loading the ONNX models takes seconds; do it before READY so timings stay honest.
        state.ocr.warm_up()
    return FakeServer((host, port), state, verbose)

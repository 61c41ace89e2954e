"""One OpenAI-compatible endpoint, spoken to in plain HTTP (``httpx2``).

docparse needs two calls of the OpenAI API, ``POST /chat/completions`` and ``GET /models``, and
sends them exactly as the openai SDK the official client uses does (the same JSON: vLLM's
extensions at the top level), without the SDK itself: importing it cost 0.35-0.6 s of CPU at
every start, on the path between a user's command and the server's first request (issue 15).
:mod:`docparse.recognize.vlm.retry` is the only retry layer. Every transport error and bad
answer is translated here, at one boundary, into a :class:`CallFailure` value, because a failed
request is routine data for the pool (retry, eject, give up), not an exceptional event.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit, urlunsplit

from docparse._version import __version__
from docparse.display import display_url
from docparse.recognize.vlm.retry import FailureKind, parse_retry_after

if TYPE_CHECKING:
    import httpx2

#: Builds the HTTP client for an endpoint URL; lets tests inject ``httpx2.MockTransport``.
HttpClientFactory = Callable[[str], "httpx2.AsyncClient"]

#: The official client's API key when none is configured (reference §1.3).
DEFAULT_API_KEY: Final[str] = "null"
#: Connecting should be quick even when generation is slow; a dead host must not cost the
#: whole request timeout before the pool can fail over.
CONNECT_TIMEOUT: Final[float] = 5.0


@dataclass(frozen=True)
class Completion:
    """A usable answer: the generated text (None when the server sent none) and why it ended."""

    text: str | None
    finish_reason: str | None


@dataclass(frozen=True)
class CallFailure:
    """Why one request failed, with what the retry policy needs to decide."""

    kind: FailureKind
    message: str
    status_code: int | None = None
    #: Seconds the server asked us to wait (``Retry-After``), if it said.
    retry_after: float | None = None


def leave_out_trio() -> None:
    """Make this process's HTTP client skip Trio, for docparse's own processes only (the
    command). ``httpcore2`` imports ``trio`` whenever it is installed, to support programs that
    run under Trio; docparse runs on asyncio, and the import (trio, attrs, its own modules)
    cost 0.08 s of the interpreter on the way to the first request, concurrently with the first
    page's layout (measured with trio installed, as selenium installs it: first request on a
    56-page PDF 0.05 s sooner, median of 10 starts). The library never does this: a program
    that imports docparse may run Trio itself. No effect once trio or httpcore2 is imported."""
    import sys

    if "trio" in sys.modules or "httpcore2" in sys.modules:
        return
    sys.modules["trio"] = None  # type: ignore[assignment]  # None: "import halted"


def normalize_server_url(url: str) -> str:
    """``http://host:8000`` → ``http://host:8000/v1``; trailing slashes go, ``/v1`` is kept.

    A missing scheme means ``http``. Raises :class:`ConfigurationError` for anything that is
    not an http(s) URL with a host.
    """
    from docparse.options import check_server_url

    check_server_url(url)  # invalid port, unbalanced bracket, no host: one clear error
    raw = url.strip()
    if "://" not in raw:
        raw = "http://" + raw
    parts = urlsplit(raw)
    path = parts.path.rstrip("/")
    if not path.endswith("/v1"):
        path += "/v1"
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


def split_credentials(url: str) -> tuple[str, str | None]:
    """``(url without user:password@, "Basic ..." header value or None)``.

    >>> split_credentials("http://ann:s%40cret@gpu:8000/v1")
    ('http://gpu:8000/v1', 'Basic YW5uOnNAY3JldA==')
    """
    import base64
    from urllib.parse import unquote

    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url, None
    user, password = unquote(parts.username or ""), unquote(parts.password or "")
    token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    return display_url(url), f"Basic {token}"


class EndpointClient:
    """Chat completions and model listing against one server; never raises for a failed call.

    Example::

        client = EndpointClient("http://127.0.0.1:8000/v1")
        outcome = await client.chat(request, timeout=120)
        if isinstance(outcome, Completion):
            print(outcome.text)
        await client.aclose()
    """

    def __init__(
        self,
        url: str,
        *,
        api_key: str | None = None,
        http_client: httpx2.AsyncClient | None = None,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        # ``url`` is what every message, event, stat and log shows: credentials in the URL
        # (``http://user:pw@host/v1``) are split off here, once, and sent as HTTP Basic auth
        # instead of the bearer key (as the SDK's ``default_headers`` did).
        self.url, auth = split_credentials(url)
        self._headers = {
            "Authorization": auth or f"Bearer {api_key or DEFAULT_API_KEY}",
            "Accept": "application/json",
            "User-Agent": f"docparse/{__version__}",
        }
        self._http = http_client
        self._wall_clock = wall_clock
        # A warm-up thread and the event loop may both get here first.
        self._building = threading.Lock()

    def prepare(self) -> None:
        """Build the HTTP client now (blocking; the pool's warm-up calls it off the loop)."""
        with self._building:
            if self._http is None:
                import httpx2

                # The SDK's connection limits (httpx's own cap of 100 would queue requests in
                # the pool, and time them out there, above --max-concurrency 100).
                self._http = httpx2.AsyncClient(
                    limits=httpx2.Limits(max_connections=1000, max_keepalive_connections=100),
                    follow_redirects=True,
                )

    async def chat(self, request: dict[str, Any], *, timeout: float) -> Completion | CallFailure:
        """POST ``/chat/completions`` with ``request`` (see ``prompts.build_request``)."""
        # ``extra_body`` holds vLLM's extensions; they go at the top level of the JSON, exactly
        # where the openai SDK (which the official client uses) puts them.
        body = {k: v for k, v in request.items() if k != "extra_body"}
        body.update(request.get("extra_body") or {})
        answer = await self._call("POST", "/chat/completions", "chat completion", timeout,
                                  json.dumps(body, separators=(",", ":")).encode())
        if isinstance(answer, CallFailure):
            return answer
        return _completion_from(answer, self.url)

    async def list_models(self, *, timeout: float) -> list[str] | CallFailure:
        """GET ``/models``: the ids the server serves (also the health probe)."""
        answer = await self._call("GET", "/models", "model list", timeout, None)
        if isinstance(answer, CallFailure):
            return answer
        data = answer.get("data") if isinstance(answer, dict) else None
        if not isinstance(data, list) or not all(
            isinstance(m, dict) and isinstance(m.get("id"), str) for m in data
        ):
            return CallFailure("malformed", f"{self.url}: unusable model list response "
                                            "(no list of models with ids)")
        return [m["id"] for m in data]

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        if self._http is not None:
            await self._http.aclose()

    async def _call(self, method: str, path: str, what: str, timeout: float,
                    content: bytes | None) -> Any:
        """The decoded JSON answer, or a :class:`CallFailure`: the one exception boundary."""
        import httpx2

        self.prepare()
        assert self._http is not None
        headers = self._headers if content is None else {
            **self._headers, "Content-Type": "application/json"}
        try:
            response = await self._http.request(method, self.url + path, content=content,
                                                headers=headers, timeout=_timeout(timeout))
        except httpx2.TimeoutException:  # also a connect timeout, as the SDK counted it
            return CallFailure("timeout", f"{self.url}: {what} timed out")
        except httpx2.ConnectError as exc:
            return CallFailure("connect", f"{self.url}: cannot connect ({exc or 'refused'})")
        except httpx2.TransportError as exc:
            return CallFailure("connection", f"{self.url}: connection failed during {what} "
                                             f"({type(exc).__name__}: {exc})")
        try:
            answer: Any = json.loads(response.content)
        except ValueError:
            if response.is_success:
                kind = response.headers.get("content-type", "no content type")
                return CallFailure("malformed", f"{self.url}: unusable {what} response "
                                                f"(not JSON: {kind})")
            answer = response.text  # an error page: its text is the message
        if not response.is_success:
            return CallFailure(
                "status",
                f"{self.url}: {what} failed with HTTP {response.status_code}: "
                f"{_error_text(answer, response.reason_phrase or 'no reason given')}",
                status_code=response.status_code,
                retry_after=parse_retry_after(response.headers, self._wall_clock()),
            )
        return answer


def _timeout(seconds: float) -> httpx2.Timeout:
    import httpx2

    return httpx2.Timeout(seconds, connect=min(seconds, CONNECT_TIMEOUT))


def _error_text(body: object, fallback: str) -> str:
    """The server's own error message: vLLM sends ``{"message": ...}`` (maybe nested)."""
    if isinstance(body, dict):
        inner = body.get("error")
        if isinstance(inner, dict) and isinstance(inner.get("message"), str):
            return str(inner["message"])
        if isinstance(body.get("message"), str):
            return str(body["message"])
    if isinstance(body, str) and body:
        return body[:300]
    return fallback


def _completion_from(body: Any, url: str) -> Completion | CallFailure:
    """Check that a decoded body is a chat completion with one text choice."""
    choices = body.get("choices") if isinstance(body, dict) else None
    if not isinstance(choices, list) or not choices:
        return CallFailure("malformed", f"{url}: chat completion response has no choices")
    choice = choices[0]
    message = choice.get("message") if isinstance(choice, dict) else None
    text = message.get("content") if isinstance(message, dict) else None
    if not isinstance(message, dict) or not (text is None or isinstance(text, str)):
        return CallFailure("malformed", f"{url}: chat completion choice has no text message")
    reason = choice.get("finish_reason")
    return Completion(text=text, finish_reason=reason if isinstance(reason, str) else None)

"""One OpenAI-compatible endpoint, spoken to through the official ``openai`` SDK.

Each endpoint gets its own ``AsyncOpenAI`` with the SDK's retries off (``max_retries=0``):
:mod:`docparse.recognize.vlm.retry` is the only retry layer. Every SDK/transport exception is
translated here, at one boundary, into a :class:`CallFailure` value, because a failed request
is routine data for the pool (retry, eject, give up), not an exceptional event.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit, urlunsplit

from docparse.display import display_url
from docparse.recognize.vlm.retry import FailureKind, parse_retry_after

if TYPE_CHECKING:
    import httpx2
    from openai import AsyncOpenAI

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
        from openai import AsyncOpenAI

        # ``url`` is what every message, event, stat and log shows: credentials in the URL
        # (``http://user:pw@host/v1``) are split off here, once, and sent as HTTP Basic auth.
        self.url, auth = split_credentials(url)
        self._wall_clock = wall_clock
        self._client: AsyncOpenAI = AsyncOpenAI(
            base_url=self.url,
            api_key=api_key or DEFAULT_API_KEY,
            max_retries=0,
            http_client=http_client,
            default_headers={"Authorization": auth} if auth else None,
        )

    async def chat(self, request: dict[str, Any], *, timeout: float) -> Completion | CallFailure:
        """POST ``/chat/completions`` with ``request`` (see ``prompts.build_request``)."""
        try:
            completion: Any = await self._client.chat.completions.create(
                **request, timeout=_timeout(timeout)
            )
        except Exception as exc:  # translated to data below, never dropped
            return self._failure(exc, "chat completion")
        return _completion_from(completion, self.url)

    async def list_models(self, *, timeout: float) -> list[str] | CallFailure:
        """GET ``/models``: the ids the server serves (also the health probe)."""
        try:
            page: Any = await self._client.models.list(timeout=_timeout(timeout))
            ids = [str(m.id) for m in page.data]
        except Exception as exc:  # translated to data below, never dropped
            return self._failure(exc, "model list")
        return ids

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        await self._client.close()

    def _failure(self, exc: Exception, what: str) -> CallFailure:
        failure = translate_exception(exc, self.url, what, now=self._wall_clock())
        if failure is None:
            raise exc
        return failure


def _timeout(seconds: float) -> httpx2.Timeout:
    import httpx2

    return httpx2.Timeout(seconds, connect=min(seconds, CONNECT_TIMEOUT))


def translate_exception(exc: Exception, url: str, what: str, *, now: float) -> CallFailure | None:
    """Map an SDK or decoding exception to a :class:`CallFailure`; None for programming errors.

    ``now`` (a Unix timestamp) resolves HTTP-date ``Retry-After`` values.
    """
    import httpx2
    import openai
    import pydantic

    if isinstance(exc, openai.APITimeoutError):
        return CallFailure("timeout", f"{url}: {what} timed out")
    if isinstance(exc, openai.APIConnectionError):
        cause = exc.__cause__
        if isinstance(cause, httpx2.ConnectError):
            return CallFailure("connect", f"{url}: cannot connect ({cause or 'refused'})")
        detail = f"{type(cause).__name__}: {cause}" if cause else exc.message
        return CallFailure("connection", f"{url}: connection failed during {what} ({detail})")
    if isinstance(exc, openai.APIStatusError):
        return CallFailure(
            "status",
            f"{url}: {what} failed with HTTP {exc.status_code}: {_error_text(exc.body, exc)}",
            status_code=exc.status_code,
            retry_after=parse_retry_after(exc.response.headers, now),
        )
    if isinstance(exc, (openai.APIError, ValueError, pydantic.ValidationError)):
        # Invalid JSON (ValueError) or a body the SDK could not read as the expected object.
        return CallFailure("malformed", f"{url}: unusable {what} response ({exc})")
    return None


def _error_text(body: object, exc: Exception) -> str:
    """The server's own error message: vLLM sends ``{"message": ...}`` (maybe nested)."""
    if isinstance(body, dict):
        inner = body.get("error")
        if isinstance(inner, dict) and isinstance(inner.get("message"), str):
            return str(inner["message"])
        if isinstance(body.get("message"), str):
            return str(body["message"])
    if isinstance(body, str) and body:
        return body[:300]
    return str(exc)


def _completion_from(completion: Any, url: str) -> Completion | CallFailure:
    """Check that a parsed body is a chat completion with one choice; the SDK does not."""
    choices = getattr(completion, "choices", None)
    if not isinstance(choices, list) or not choices:
        return CallFailure("malformed", f"{url}: chat completion response has no choices")
    choice = choices[0]
    message = getattr(choice, "message", None)
    text = getattr(message, "content", None)
    if message is None or not (text is None or isinstance(text, str)):
        return CallFailure("malformed", f"{url}: chat completion choice has no text message")
    reason = getattr(choice, "finish_reason", None)
    return Completion(text=text, finish_reason=reason if isinstance(reason, str) else None)

"""The one retry policy for VLM requests: what to retry and how long to wait.

Pure and table-tested, modelled on openai-python's ``_should_retry`` and
``_calculate_retry_timeout``. The HTTP client (:mod:`docparse.recognize.vlm.client`) never
retries, so that retries live in exactly one layer.
"""

from __future__ import annotations

import email.utils
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

#: How a request failed. ``connect``: nothing listens (refused, DNS); ``connection``: the
#: connection broke mid-request; ``timeout``: no answer in time; ``status``: an HTTP error
#: status; ``malformed``: a 200 whose body is not a usable completion.
FailureKind = Literal["connect", "connection", "timeout", "status", "malformed"]

#: 408 request timeout, 429 rate limit; every 5xx is retried too.
RETRYABLE_STATUS: Final[frozenset[int]] = frozenset({408, 429})


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    """Retry budget and backoff; the defaults are openai-python's."""

    max_retries: int = 3
    initial_delay: float = 0.5
    max_delay: float = 8.0
    #: Longest ``Retry-After`` honoured; larger values are capped, not obeyed.
    max_retry_after: float = 60.0

    def should_retry(self, kind: FailureKind, status_code: int | None, attempt: int) -> bool:
        """Whether attempt number ``attempt`` (0-based) may be followed by another."""
        if attempt >= self.max_retries:
            return False
        return is_retryable(kind, status_code)

    def delay(self, attempt: int, retry_after: float | None, jitter: float) -> float:
        """Seconds to wait after failed attempt ``attempt`` (0-based).

        ``jitter`` is a uniform random number in [0, 1): the exponential delay is reduced by
        up to 25 % so that many blocks failing together do not retry in lockstep. A
        positive ``Retry-After`` wins, capped at :attr:`max_retry_after`.
        """
        if retry_after is not None and math.isfinite(retry_after) and retry_after > 0:
            return min(retry_after, self.max_retry_after)
        exponent = min(attempt, 1000)  # avoids overflow in pow
        base = min(self.initial_delay * math.pow(2.0, exponent), self.max_delay)
        return max(base * (1.0 - 0.25 * jitter), 0.0)


def is_retryable(kind: FailureKind, status_code: int | None) -> bool:
    """Connection problems, timeouts, malformed bodies, 408, 429 and 5xx; never other 4xx."""
    if kind != "status":
        return True
    if status_code is None:
        return False
    return status_code in RETRYABLE_STATUS or status_code >= 500


def parse_retry_after(headers: Mapping[str, str], now: float) -> float | None:
    """Seconds a response asks us to wait, from ``retry-after-ms`` or ``retry-after``.

    ``retry-after`` may be seconds (floats allowed, as openai-python) or an HTTP date, which
    is compared with ``now`` (a Unix timestamp). Returns None when absent or unparseable.
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    for header, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = lowered.get(header)
        if value is None:
            continue
        try:
            return float(value) / divisor
        except ValueError:
            continue
    value = lowered.get("retry-after")
    if value is None:
        return None
    parsed = email.utils.parsedate_tz(value)
    if parsed is None:
        return None
    try:
        return float(email.utils.mktime_tz(parsed) - now)
    except (OverflowError, ValueError):
        return None

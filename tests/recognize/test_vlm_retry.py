"""The retry policy, table-tested like openai-python's ``_calculate_retry_timeout``."""

from __future__ import annotations

import pytest

from docparse.recognize.vlm.retry import FailureKind, RetryPolicy, is_retryable, parse_retry_after


@pytest.mark.parametrize(
    ("kind", "status", "retry"),
    [
        ("connect", None, True),
        ("connection", None, True),
        ("timeout", None, True),
        ("malformed", None, True),
        ("status", 408, True),
        ("status", 429, True),
        ("status", 500, True),
        ("status", 502, True),
        ("status", 503, True),
        ("status", 504, True),
        ("status", 400, False),
        ("status", 401, False),
        ("status", 404, False),
        ("status", 409, False),
        ("status", 422, False),
    ],
)
def test_what_is_retried(kind: FailureKind, status: int | None, retry: bool) -> None:
    assert is_retryable(kind, status) is retry


def test_budget_is_max_retries_after_the_first_attempt() -> None:
    policy = RetryPolicy(max_retries=2)
    assert [policy.should_retry("timeout", None, a) for a in range(4)] == [True, True, False, False]
    assert RetryPolicy(max_retries=0).should_retry("timeout", None, 0) is False


@pytest.mark.parametrize(
    ("attempt", "retry_after", "jitter", "delay"),
    [
        (0, None, 0.0, 0.5),
        (1, None, 0.0, 1.0),
        (2, None, 0.0, 2.0),
        (3, None, 0.0, 4.0),
        (4, None, 0.0, 8.0),
        (10, None, 0.0, 8.0),  # capped at max_delay
        (5000, None, 0.0, 8.0),  # no overflow
        (0, None, 0.999999, 0.375),  # jitter takes off up to 25 %
        (2, None, 0.5, 1.75),
        (0, 3.0, 0.5, 3.0),  # Retry-After wins over backoff
        (3, 0.25, 0.0, 0.25),
        (0, 500.0, 0.0, 60.0),  # capped
        (1, 0.0, 0.0, 1.0),  # non-positive Retry-After is ignored
        (1, -5.0, 0.0, 1.0),
        (1, float("inf"), 0.0, 1.0),
    ],
)
def test_delay_table(attempt: int, retry_after: float | None, jitter: float, delay: float) -> None:
    assert RetryPolicy().delay(attempt, retry_after, jitter) == pytest.approx(delay, abs=1e-5)


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({}, None),
        ({"Retry-After": "2"}, 2.0),
        ({"retry-after": "1.5"}, 1.5),
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),
        ({"retry-after-ms": "x", "retry-after": "3"}, 3.0),
        ({"retry-after": "Thu, 01 Jan 1970 00:00:30 GMT"}, 20.0),  # now = 10
        ({"retry-after": "soon"}, None),
    ],
)
def test_parse_retry_after(headers: dict[str, str], seconds: float | None) -> None:
    assert parse_retry_after(headers, now=10.0) == seconds

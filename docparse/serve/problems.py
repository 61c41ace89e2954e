"""Refusals the service answers with: an HTTP status, a stable machine code, one sentence.

Every error response carries a code from :data:`CODES`; clients switch on the code, never on
the message. Unexpected exceptions become ``internal_error`` and never show a stack trace.
"""

from __future__ import annotations

from typing import Final

from docparse.errors import DocParseError

#: Every code the service answers with, and its HTTP status.
CODES: Final[dict[str, int]] = {
    "bad_request": 400,
    "invalid_request": 422,
    "unsupported_input": 415,
    "invalid_input": 422,
    "password_required": 422,
    "too_many_pages": 413,
    "upload_too_large": 413,
    "unauthorized": 401,
    "not_found": 404,
    "method_not_allowed": 405,
    "job_not_finished": 409,
    "url_inputs_disabled": 403,
    "url_forbidden": 403,
    "url_fetch_failed": 422,
    "url_too_large": 413,
    "queue_full": 429,
    "deadline_exceeded": 504,
    "recognition_unavailable": 503,
    "shutting_down": 503,
    "not_ready": 503,
    "internal_error": 500,
}


class RequestRejected(DocParseError):
    """A request the service refuses (or could not serve), as ``code`` + message."""

    def __init__(self, code: str, message: str, *, retry_after: float | None = None) -> None:
        if code not in CODES:
            raise ValueError(f"unknown error code {code!r}")
        self.code = code
        self.status = CODES[code]
        self.message = message
        self.retry_after = retry_after
        super().__init__(message)


def error_body(code: str, message: str, request_id: str) -> dict[str, object]:
    """docparse's own error shape (``/v1``, operations)."""
    return {"error": {"code": code, "message": message, "request_id": request_id}}


def official_error_body(code: str, message: str, request_id: str) -> dict[str, object]:
    """The official serving API's shape (``logId``, ``errorCode`` = HTTP status, ``errorMsg``),
    plus docparse's stable ``code``."""
    return {"logId": request_id, "errorCode": CODES.get(code, 500), "errorMsg": message,
            "code": code}

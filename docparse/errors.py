"""The one exception tree of docparse.

Failures of a single block are data (``Block.status == "failed"``); failures that stop an
input or a run are exceptions from this tree::

    DocParseError
      ConfigurationError            bad option or flag value, unknown backend      (CLI exit 2)
      InputError                    one input cannot be read                       (per input)
        InputNotFoundError
        UnsupportedFormatError
        CorruptInputError
        PasswordError               encrypted PDF without (or with a wrong) password
        EmptyDocumentError          zero pages, empty file
        ImageTooLargeError          decompression-bomb limit, page pixel cap
      ModelError
        ModelNotFoundError          not in the cache; the message names ``docparse fetch-models``
        ModelIntegrityError         size or sha256 differs from the manifest
        ModelFetchError             a download or install failed
      RecognitionError
        ServerUnavailableError      no VLM endpoint answers at all                (CLI exit 2)
        ServerResponseError         the server answered something unusable
        ServerStatusError           an HTTP error status (carries ``status_code``)
      DeadlineExceededError         the per-document deadline passed
      OutputError                   writing results failed

Every message names the file or endpoint it concerns; the CLI prints ``str(exc)`` as one line.
Each class has a ``reason``: the machine-readable code a failed page records in the output
(one of :data:`docparse.document.ERROR_REASONS`).
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar


class DocParseError(Exception):
    """Base class of every error docparse raises on purpose."""

    reason: ClassVar[str] = "error"


class ConfigurationError(DocParseError):
    """An option, flag or environment variable has an invalid value."""

    reason: ClassVar[str] = "configuration_error"


class InputError(DocParseError):
    """One input cannot be parsed. ``path`` names it (``"<bytes>"`` for in-memory input)."""

    reason: ClassVar[str] = "input_error"

    def __init__(self, path: str | Path, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class InputNotFoundError(InputError):
    """The path does not exist or is not a file."""

    reason: ClassVar[str] = "input_not_found"


class UnsupportedFormatError(InputError):
    """The file type is not one docparse reads, or its content does not match its extension."""

    reason: ClassVar[str] = "unsupported_format"


class CorruptInputError(InputError):
    """The file claims a supported type but cannot be decoded."""

    reason: ClassVar[str] = "corrupt_input"


class PasswordError(InputError):
    """An encrypted PDF needs a password, or the given one is wrong."""

    reason: ClassVar[str] = "password_required"


class EmptyDocumentError(InputError):
    """The input has no pages or no bytes."""

    reason: ClassVar[str] = "empty_document"


class ImageTooLargeError(InputError):
    """An image or rendered page exceeds the safe pixel limit."""

    reason: ClassVar[str] = "image_too_large"


class ModelError(DocParseError):
    """A local model is missing, damaged or cannot be fetched."""

    reason: ClassVar[str] = "model_error"


class ModelNotFoundError(ModelError):
    """The model is not in the cache (the message says which command installs it)."""

    reason: ClassVar[str] = "model_not_found"


class ModelIntegrityError(ModelError):
    """A model file's size or checksum differs from what the manifest pins."""

    reason: ClassVar[str] = "model_integrity"


class ModelFetchError(ModelError):
    """Downloading or installing a model failed."""

    reason: ClassVar[str] = "model_fetch_failed"


class RecognitionError(DocParseError):
    """Talking to a recognition backend failed."""

    reason: ClassVar[str] = "recognition_error"


class ServerUnavailableError(RecognitionError):
    """No VLM endpoint answers; retrying block by block would only waste time."""

    reason: ClassVar[str] = "server_unavailable"


class ServerResponseError(RecognitionError):
    """The server answered, but not with anything usable (malformed JSON, no choices...)."""

    reason: ClassVar[str] = "malformed_response"


class ServerStatusError(RecognitionError):
    """The server answered with an HTTP error status."""

    reason: ClassVar[str] = "http_error"

    def __init__(self, message: str, *, status_code: int, endpoint: str | None = None) -> None:
        self.status_code = status_code
        self.endpoint = endpoint
        super().__init__(message)


class DeadlineExceededError(DocParseError):
    """The per-document deadline passed before the document finished."""

    reason: ClassVar[str] = "deadline_exceeded"


class OutputError(DocParseError):
    """Writing results to disk failed."""

    reason: ClassVar[str] = "output_error"


__all__ = [
    "ConfigurationError",
    "CorruptInputError",
    "DeadlineExceededError",
    "DocParseError",
    "EmptyDocumentError",
    "ImageTooLargeError",
    "InputError",
    "InputNotFoundError",
    "ModelError",
    "ModelFetchError",
    "ModelIntegrityError",
    "ModelNotFoundError",
    "OutputError",
    "PasswordError",
    "RecognitionError",
    "ServerResponseError",
    "ServerStatusError",
    "ServerUnavailableError",
    "UnsupportedFormatError",
]

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
"""

from __future__ import annotations

from pathlib import Path


class DocParseError(Exception):
    """Base class of every error docparse raises on purpose."""


class ConfigurationError(DocParseError):
    """An option, flag or environment variable has an invalid value."""


class InputError(DocParseError):
    """One input cannot be parsed. ``path`` names it (``"<bytes>"`` for in-memory input)."""

    def __init__(self, path: str | Path, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class InputNotFoundError(InputError):
    """The path does not exist or is not a file."""


class UnsupportedFormatError(InputError):
    """The file type is not one docparse reads, or its content does not match its extension."""


class CorruptInputError(InputError):
    """The file claims a supported type but cannot be decoded."""


class PasswordError(InputError):
    """An encrypted PDF needs a password, or the given one is wrong."""


class EmptyDocumentError(InputError):
    """The input has no pages or no bytes."""


class ImageTooLargeError(InputError):
    """An image or rendered page exceeds the safe pixel limit."""


class ModelError(DocParseError):
    """A local model is missing, damaged or cannot be fetched."""


class ModelNotFoundError(ModelError):
    """The model is not in the cache (the message says which command installs it)."""


class ModelIntegrityError(ModelError):
    """A model file's size or checksum differs from what the manifest pins."""


class ModelFetchError(ModelError):
    """Downloading or installing a model failed."""


class RecognitionError(DocParseError):
    """Talking to a recognition backend failed."""


class ServerUnavailableError(RecognitionError):
    """No VLM endpoint answers; retrying block by block would only waste time."""


class ServerResponseError(RecognitionError):
    """The server answered, but not with anything usable (malformed JSON, no choices...)."""


class ServerStatusError(RecognitionError):
    """The server answered with an HTTP error status."""

    def __init__(self, message: str, *, status_code: int, endpoint: str | None = None) -> None:
        self.status_code = status_code
        self.endpoint = endpoint
        super().__init__(message)


class DeadlineExceededError(DocParseError):
    """The per-document deadline passed before the document finished."""


class OutputError(DocParseError):
    """Writing results to disk failed."""


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

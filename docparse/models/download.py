"""The one downloader: resumable HTTP GET into ``<dest>.part``, verified, then renamed.

Resumes with ``Range: bytes=N-`` (a 206 appends; a 200 means the server ignored the range and
the file restarts), retries transport errors and 5xx answers with backoff, and checks size and
sha256 before the file takes its final name. Progress goes to a callback; nothing is drawn here.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from docparse.errors import ModelFetchError, ModelIntegrityError

if TYPE_CHECKING:
    import httpx

_CONTENT_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+|\*)$")


@dataclass(frozen=True)
class DownloadProgress:
    """Bytes received so far for one URL (``total`` None when the server does not say)."""

    url: str
    path: str
    done: int
    total: int | None
    resumed_from: int = 0


@dataclass(frozen=True)
class DownloadResult:
    """A finished, verified download."""

    url: str
    path: Path
    size: int
    sha256: str
    resumed_from: int = 0


ProgressCallback = Callable[[DownloadProgress], None]


class _Retry(Exception):
    """Internal: this attempt failed in a way another attempt may fix."""


def _ignore(progress: DownloadProgress) -> None:
    """Default progress callback."""


class Downloader:
    """Downloads files over an injectable ``httpx.Client``.

    >>> with Downloader() as dl:  # doctest: +SKIP
    ...     dl.fetch("https://host/m/inference.yml", Path("/tmp/inference.yml"))
    """

    def __init__(
        self,
        client: httpx.Client | None = None,
        *,
        attempts: int = 4,
        backoff: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
        timeout: float = 60.0,
    ) -> None:
        if client is None:
            import httpx

            client = httpx.Client(
                follow_redirects=True, timeout=httpx.Timeout(timeout, connect=15.0)
            )
            self._owns_client = True
        else:
            self._owns_client = False
        self.client = client
        self.attempts = max(1, attempts)
        self.backoff = backoff
        self.sleep = sleep

    def __enter__(self) -> Downloader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP client if this downloader created it."""
        if self._owns_client:
            self.client.close()

    def fetch(
        self,
        url: str,
        dest: Path,
        *,
        size: int | None = None,
        sha256: str | None = None,
        missing_ok: bool = False,
        on_progress: ProgressCallback = _ignore,
    ) -> DownloadResult | None:
        """Download ``url`` to ``dest``; None on 404/410 when ``missing_ok``.

        Raises :class:`ModelIntegrityError` when the size or hash differs (the bad bytes are
        deleted) and :class:`ModelFetchError` when every attempt failed (the partial file stays
        for the next run to resume).
        """
        part = dest.with_name(dest.name + ".part")
        dest.parent.mkdir(parents=True, exist_ok=True)
        restarted = False
        last = "no attempt made"
        attempt = 0
        while attempt < self.attempts:
            attempt += 1
            start = part.stat().st_size if part.exists() else 0
            try:
                got = self._attempt(url, part, start, size, missing_ok, on_progress)
            except _Retry as exc:
                last = str(exc)
                if attempt < self.attempts:
                    self.sleep(self.backoff * 2 ** (attempt - 1))
                continue
            if got is None:
                return None
            actual_size = part.stat().st_size
            actual_sha = got
            if size is not None and actual_size != size:
                part.unlink(missing_ok=True)
                raise ModelIntegrityError(
                    f"{url}: got {actual_size} bytes, the manifest pins {size}; file refused"
                )
            if sha256 is not None and actual_sha != sha256:
                part.unlink(missing_ok=True)
                if start > 0 and not restarted:
                    # The old partial bytes may be what is wrong: one clean retry.
                    restarted = True
                    attempt -= 1
                    continue
                raise ModelIntegrityError(
                    f"{url}: sha256 {actual_sha} differs from the manifest's {sha256}; file refused"
                )
            os.replace(part, dest)
            return DownloadResult(url, dest, actual_size, actual_sha, start)
        raise ModelFetchError(f"{url}: download failed after {self.attempts} attempts: {last}")

    def _attempt(
        self,
        url: str,
        part: Path,
        start: int,
        size: int | None,
        missing_ok: bool,
        on_progress: ProgressCallback,
    ) -> str | None:
        """One GET; returns the sha256 of the whole part file, None for an allowed 404."""
        import httpx

        if size is not None and start > size:
            part.unlink()
            start = 0
        if size is not None and start == size and size > 0:
            return _hash_prefix(part, start).hexdigest()
        headers = {"Range": f"bytes={start}-", "Accept-Encoding": "identity"} if start else {}
        try:
            with self.client.stream("GET", url, headers=headers) as resp:
                status = resp.status_code
                if status in (404, 410):
                    if missing_ok:
                        return None
                    raise ModelFetchError(f"{url}: HTTP {status} (not on this source)")
                if status == 416 and start:
                    part.unlink()
                    raise _Retry(f"HTTP 416 for a resume at byte {start}; restarting")
                if status >= 500 or status == 429:
                    raise _Retry(f"HTTP {status}")
                if status not in (200, 206):
                    raise ModelFetchError(f"{url}: HTTP {status}")
                if status == 206:
                    m = _CONTENT_RANGE.match(resp.headers.get("content-range", ""))
                    if m is None or int(m.group(1)) != start:
                        part.unlink(missing_ok=True)
                        raise _Retry(f"bad Content-Range {resp.headers.get('content-range')!r}")
                    offset = start
                else:
                    offset = 0
                length = resp.headers.get("content-length")
                total = offset + int(length) if length and length.isdigit() else None
                if size is not None and total is not None and total != size:
                    raise ModelIntegrityError(
                        f"{url}: server offers {total} bytes, the manifest pins {size}; refused"
                    )
                hasher = _hash_prefix(part, offset) if offset else hashlib.sha256()
                done = offset
                on_progress(DownloadProgress(url, str(part), done, total, offset))
                with open(part, "ab" if offset else "wb") as fh:
                    # No chunk size: httpx would drop a buffered tail when the connection dies.
                    for chunk in resp.iter_bytes():
                        fh.write(chunk)
                        hasher.update(chunk)
                        done += len(chunk)
                        on_progress(DownloadProgress(url, str(part), done, total, offset))
                if total is not None and done < total:
                    raise _Retry(f"connection closed at byte {done} of {total}")
                return hasher.hexdigest()
        except httpx.HTTPError as exc:
            raise _Retry(f"{type(exc).__name__}: {exc}") from exc


def _hash_prefix(path: Path, length: int) -> hashlib._Hash:
    """sha256 state after the first ``length`` bytes of an existing partial file."""
    h = hashlib.sha256()
    remaining = length
    with open(path, "rb") as fh:
        while remaining > 0:
            chunk = fh.read(min(1 << 20, remaining))
            if not chunk:
                break
            h.update(chunk)
            remaining -= len(chunk)
    return h

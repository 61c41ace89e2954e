"""The service's own settings: one frozen record, and the one place ``docparse serve`` reads
its ``DOCPARSE_SERVE_*`` environment (parse options keep theirs in :mod:`docparse.options`).

Precedence as everywhere in docparse: flag > ``DOCPARSE_SERVE_<NAME>`` > default. API keys come
from every source at once (flags, ``--api-key-file``, ``DOCPARSE_SERVE_API_KEYS``): a rotation
adds a key in one place without removing it from another first.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from docparse.errors import ConfigurationError
from docparse.options import docparse_environment

_MIB = 1024 * 1024


@dataclass(frozen=True, kw_only=True)
class ServeSettings:
    """How the service listens, protects itself and keeps jobs. Immutable."""

    host: str = "127.0.0.1"
    port: int = 8000
    #: Keys clients send as ``Authorization: Bearer KEY``; empty: no key needed.
    api_keys: tuple[str, ...] = ()
    #: Jobs (inputs, states, result zips) live here and survive a restart.
    work_dir: Path = Path("docparse_serve")
    max_upload_bytes: int = 50 * _MIB
    max_pages: int = 500
    #: Documents parsed at once; the rest wait in a queue of ``queue_size``.
    max_documents: int = 2
    queue_size: int = 64
    #: Jobs waiting for a slot (submissions beyond it get 429).
    max_queued_jobs: int = 256
    #: Seconds a synchronous request may take, from arrival to answer (queue wait included).
    request_deadline: float = 600.0
    #: Seconds a finished job's result is kept.
    job_ttl: float = 24 * 3600.0
    #: URL inputs: off entirely, or fetched from these hosts (``host``, ``host:port``,
    #: ``*.domain``); empty allows any public host. Private, loopback, link-local and
    #: metadata addresses are refused unless their host is named here exactly.
    url_inputs: bool = True
    url_allow: tuple[str, ...] = ()
    url_connect_timeout: float = 5.0
    url_timeout: float = 60.0
    url_max_redirects: int = 5
    #: CORS: off unless origins are given.
    cors_origins: tuple[str, ...] = ()
    #: Seconds SIGTERM waits for running work before recording it failed.
    shutdown_grace: float = 30.0
    #: Parser instances kept for distinct per-request recognition settings.
    backend_cache: int = 4

    @property
    def jobs_dir(self) -> Path:
        return self.work_dir / "jobs"

    @property
    def max_body_bytes(self) -> int:
        """A request body may carry the upload base64-encoded (4/3) plus its JSON around it."""
        return self.max_upload_bytes * 4 // 3 + 64 * 1024


#: Settings with a ``DOCPARSE_SERVE_<NAME>`` twin (``api_keys`` is comma-separated).
ENV_SETTINGS: tuple[str, ...] = tuple(f.name for f in fields(ServeSettings))


def serve_env_name(name: str) -> str:
    return "DOCPARSE_SERVE_" + name.upper()


def _coerce(name: str, default: Any, raw: Any) -> Any:
    try:
        if isinstance(default, bool):
            if isinstance(raw, bool):
                return raw
            s = str(raw).strip().lower()
            if s in ("1", "true", "yes", "on"):
                return True
            if s in ("0", "false", "no", "off"):
                return False
            raise ValueError(f"expected true/false, got {raw!r}")
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
        if isinstance(default, tuple):
            items = raw.split(",") if isinstance(raw, str) else list(raw)
            return tuple(dict.fromkeys(str(i).strip() for i in items if str(i).strip()))
        if isinstance(default, Path):
            return Path(str(raw)).expanduser()
        return str(raw)
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(f"serve setting {name}: {exc}") from exc


def read_key_file(path: Path) -> tuple[str, ...]:
    """One key per line; blank lines and ``#`` comments are skipped."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(f"--api-key-file {path}: {exc.strerror or exc}") from exc
    keys = tuple(line.strip() for line in text.splitlines()
                 if line.strip() and not line.strip().startswith("#"))
    if not keys:
        raise ConfigurationError(f"--api-key-file {path}: no key in the file")
    return keys


def resolve_serve_settings(
    overrides: Mapping[str, Any] | None = None,
    *,
    key_files: tuple[Path, ...] = (),
    environ: Mapping[str, str] | None = None,
) -> ServeSettings:
    """Flags (``overrides``, None = not given) > ``DOCPARSE_SERVE_*`` > defaults; API keys are
    the union of flags, ``key_files`` and ``DOCPARSE_SERVE_API_KEYS``."""
    env = docparse_environment() if environ is None else environ
    defaults = ServeSettings()
    values: dict[str, Any] = {}
    given = {k: v for k, v in (overrides or {}).items() if v is not None}
    unknown = set(given) - set(ENV_SETTINGS)
    if unknown:
        raise ConfigurationError(f"unknown serve setting(s): {', '.join(sorted(unknown))}")
    for name in ENV_SETTINGS:
        raw = given.get(name)
        if raw is None:
            raw = env.get(serve_env_name(name)) or None
        if raw is not None:
            values[name] = _coerce(name, getattr(defaults, name), raw)
    keys: list[str] = list(_coerce("api_keys", (), given.get("api_keys") or ()))
    keys += _coerce("api_keys", (), env.get(serve_env_name("api_keys")) or ())
    for path in key_files:
        keys += read_key_file(path)
    values["api_keys"] = tuple(dict.fromkeys(keys))
    return validate_settings(dataclasses.replace(defaults, **values))


def validate_settings(s: ServeSettings) -> ServeSettings:
    for name in ("max_upload_bytes", "max_pages", "max_documents", "backend_cache"):
        if getattr(s, name) < 1:
            raise ConfigurationError(f"serve setting {name}: must be at least 1")
    for name in ("queue_size", "max_queued_jobs", "url_max_redirects"):
        if getattr(s, name) < 0:
            raise ConfigurationError(f"serve setting {name}: must be 0 or more")
    for name in ("request_deadline", "job_ttl", "url_connect_timeout", "url_timeout"):
        if getattr(s, name) <= 0:
            raise ConfigurationError(f"serve setting {name}: must be positive")
    if not 0 <= s.port <= 65535:
        raise ConfigurationError(f"serve setting port: {s.port} is not a TCP port")
    if any(len(k) < 8 for k in s.api_keys):
        raise ConfigurationError("API keys must be at least 8 characters long")
    return s

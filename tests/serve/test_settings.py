"""Service settings: flags > DOCPARSE_SERVE_* > defaults; keys from every source at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from docparse.errors import ConfigurationError
from docparse.serve.auth import ANONYMOUS, KeyRing
from docparse.serve.problems import RequestRejected
from docparse.serve.settings import ServeSettings, resolve_serve_settings


def test_defaults_serve_16_one_page_clients() -> None:
    s = resolve_serve_settings({}, environ={})
    assert s == ServeSettings()
    assert s.max_documents + s.queue_size >= 16 and s.api_keys == () and s.cors_origins == ()


def test_precedence_and_key_sources(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    keys.write_text("# comment\n\nfile-key-12345678\n")
    env = {"DOCPARSE_SERVE_API_KEYS": "env-key-12345678, env-key-2-12345678",
           "DOCPARSE_SERVE_MAX_PAGES": "7", "DOCPARSE_SERVE_PORT": "9000",
           "DOCPARSE_SERVE_URL_INPUTS": "off", "DOCPARSE_SERVE_URL_ALLOW": "a.example,b.example:81"}
    s = resolve_serve_settings({"api_keys": ["flag-key-12345678"], "port": 8100},
                               key_files=(keys,), environ=env)
    assert s.api_keys == ("flag-key-12345678", "env-key-12345678", "env-key-2-12345678",
                          "file-key-12345678")
    assert (s.port, s.max_pages, s.url_inputs) == (8100, 7, False)
    assert s.url_allow == ("a.example", "b.example:81")


@pytest.mark.parametrize("overrides", [
    {"max_documents": 0}, {"queue_size": -1}, {"port": 70000}, {"api_keys": ["short"]},
    {"job_ttl": 0}, {"nonsense": 1},
])
def test_bad_settings(overrides: dict[str, object]) -> None:
    with pytest.raises(ConfigurationError):
        resolve_serve_settings(overrides, environ={})


def test_bad_environment_and_key_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="max_pages"):
        resolve_serve_settings({}, environ={"DOCPARSE_SERVE_MAX_PAGES": "many"})
    empty = tmp_path / "empty"
    empty.write_text("# nothing\n")
    with pytest.raises(ConfigurationError, match="no key"):
        resolve_serve_settings({}, key_files=(empty,), environ={})
    with pytest.raises(ConfigurationError):
        resolve_serve_settings({}, key_files=(tmp_path / "missing",), environ={})


def test_keyring() -> None:
    assert KeyRing(()).owner_of(None) == ANONYMOUS
    ring = KeyRing(("alpha-key-123456", "bravo-key-123456"))
    a, b = ring.owner_of("Bearer alpha-key-123456"), ring.owner_of("bearer bravo-key-123456")
    assert a != b and "alpha" not in a and len(a) == 32
    for header in (None, "", "Bearer", "Bearer wrong-key-123456", "Basic alpha-key-123456",
                   "alpha-key-123456"):
        with pytest.raises(RequestRejected) as info:
            ring.owner_of(header)
        assert info.value.status == 401

from __future__ import annotations

from pathlib import Path

import pytest

from docparse.errors import ConfigurationError
from docparse.options import ParseOptions, resolve_options, resolve_output_options


def test_defaults_match_the_official_client() -> None:
    o = ParseOptions()
    assert (o.dpi, o.temperature, o.max_completion_tokens) == (144, 0.0, 4096)
    assert (o.min_pixels, o.max_pixels) == (112_896, 1_003_520)
    assert o.chart_recognition is False and o.merge_layout_blocks is True
    assert "footnote" in o.markdown_ignore_labels and "header" in o.markdown_ignore_labels


def test_precedence_argument_over_environment_over_default() -> None:
    env = {"DOCPARSE_DPI": "200", "DOCPARSE_SERVER_URL": "http://a:8000/v1, http://b:8000/v1",
           "DOCPARSE_KEEP_FURNITURE": "yes", "DOCPARSE_TIMEOUT": "7.5"}
    o = resolve_options({}, environ=env)
    assert o.dpi == 200
    assert o.server_url == ("http://a:8000/v1", "http://b:8000/v1")
    assert o.keep_furniture is True and o.timeout == 7.5
    o2 = resolve_options({"dpi": 300, "keep_furniture": False, "server_url": None}, environ=env)
    assert o2.dpi == 300 and o2.keep_furniture is False
    assert o2.server_url == ("http://a:8000/v1", "http://b:8000/v1")  # None = not given


@pytest.mark.parametrize(
    ("overrides", "needle"),
    [
        ({"dpi": 0}, "dpi"),
        ({"layout": "nope"}, "layout"),
        ({"pages": "3-1"}, "pages"),
        ({"pages": "a"}, "pages"),
        ({"retries": -1}, "retries"),
        ({"recognizer": "vlm"}, "server"),
        ({"no_such_option": 1}, "no_such_option"),
    ],
)
def test_bad_values_name_the_option(overrides: dict[str, object], needle: str) -> None:
    with pytest.raises(ConfigurationError, match=needle):
        resolve_options(overrides, environ={})


def test_bad_environment_value_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="dpi"):
        resolve_options({}, environ={"DOCPARSE_DPI": "many"})
    with pytest.raises(ConfigurationError, match="merge_tables"):
        resolve_options({}, environ={"DOCPARSE_MERGE_TABLES": "perhaps"})


def test_replace_returns_a_validated_copy() -> None:
    o = ParseOptions()
    o2 = o.replace(dpi="96", cache_dir="~/m")
    assert o.dpi == 144 and o2.dpi == 96
    assert o2.cache_dir == Path("~/m").expanduser()
    with pytest.raises(ConfigurationError):
        o.replace(dpi=-5)


def test_output_options() -> None:
    out = resolve_output_options({"format": "json,MD"}, environ={"DOCPARSE_JOBS": "3"})
    assert out.format == ("json", "md") and out.jobs == 3
    with pytest.raises(ConfigurationError, match="format"):
        resolve_output_options({"format": "pdf"}, environ={})


def test_cache_key_ignores_secrets_and_throughput() -> None:
    a = ParseOptions(api_key="s1", max_concurrency=4).cache_key()
    b = ParseOptions(api_key="s2", max_concurrency=64).cache_key()
    assert a == b
    assert ParseOptions(dpi=200).cache_key() != a

from __future__ import annotations

import os
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


def test_every_option_belongs_to_exactly_one_group() -> None:
    from dataclasses import fields

    from docparse.options import OPTION_GROUPS, AssemblyOptions, ParseOptions

    grouped = [f.name for g in OPTION_GROUPS for f in fields(g)]
    assert sorted(grouped) == sorted(f.name for f in fields(ParseOptions))
    assert len(grouped) == len(set(grouped))
    opts = ParseOptions(merge_tables=False)
    assert opts.group(AssemblyOptions).merge_tables is False


def test_explicit_options_are_never_overridden_by_the_environment() -> None:
    from docparse.options import ParseOptions, resolve_options

    env = {"DOCPARSE_DPI": "300", "DOCPARSE_TEXT_LAYER": "off"}
    assert resolve_options({"dpi": 96}, environ=env).dpi == 96
    assert resolve_options({"dpi": 96}, environ=env).text_layer == "off"
    explicit = ParseOptions(dpi=96)
    # Given as a ParseOptions object, options are taken as they are: nothing reads the env.
    os.environ.update(env)
    import docparse

    try:
        with docparse.Parser(explicit) as parser:
            assert parser.options.dpi == 96 and parser.options.text_layer == "auto"
    finally:
        for k in env:
            os.environ.pop(k, None)


def test_backend_choices_come_from_the_registry() -> None:
    from docparse import backends
    from docparse.errors import ConfigurationError
    from docparse.options import ParseOptions

    assert backends.names("layout")[:2] == ("auto", "builtin")
    assert "pp-doclayoutv2" in backends.names("layout")
    assert backends.names("recognizer") == ("auto", "builtin", "vlm")
    with pytest.raises(ConfigurationError, match="not one of auto, builtin"):
        ParseOptions().replace(layout="nonesuch")

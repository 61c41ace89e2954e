"""Output stems are always one safe path component, whatever the input was called."""

from __future__ import annotations

import os

from hypothesis import given, settings
from hypothesis import strategies as st

from docparse.export.naming import MAX_STEM_BYTES, safe_stem


def test_examples() -> None:
    assert [safe_stem(s) for s in ["report", "..", ".", ".hidden", "a/b", "a\\b", "CON", "nul.tar",
                                   "LPT1", "x. ", "", "a\x00b", 'say "hi"']] == [
        "report", "__", "_", "_hidden", "a_b", "a_b", "_CON", "_nul.tar", "_LPT1", "x__",
        "document", "a_b", "say _hi_"]
    assert safe_stem(os.fsdecode(b"caf\xe9")) == "caf_"
    assert safe_stem("été") == "été"


def _is_safe(stem: str) -> bool:
    raw = stem.encode("utf-8")  # no lone surrogates left
    return (bool(stem) and stem not in (".", "..") and not stem.startswith(".")
            and "/" not in stem and "\\" not in stem and "\x00" not in stem
            and len(raw) <= MAX_STEM_BYTES and not stem.endswith((".", " ")))


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), st.binary().map(os.fsdecode),
                 st.text(alphabet="./\\ CONUL", max_size=12), st.text(min_size=150)))
def test_any_name_becomes_one_safe_component_idempotently(name: str) -> None:
    stem = safe_stem(name)
    assert _is_safe(stem), stem
    assert safe_stem(stem) == stem


def test_long_names_stay_apart() -> None:
    a, b = "x" * 300 + "a", "x" * 300 + "b"
    assert safe_stem(a) != safe_stem(b)

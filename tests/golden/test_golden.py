"""Behaviour is pinned: the samples and every development document parse to the JSON (minus
``stats``) and Markdown recorded in ``expected/``, on the built-in path and on the PaddleOCR-VL
path against the test server. A change that alters output regenerates them
(``golden_run.py --write``) in the same commit and says why."""

from __future__ import annotations

import difflib

import pytest
from golden_run import EXPECTED, inputs, run

from docparse.testing.fake_vllm import start_fake_vllm

# The whole set of documents in one test: minutes on a busy 2-core machine.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(2400)]


def _fresh(config: str) -> dict[str, tuple[str, str]]:
    if config == "builtin":
        return run("builtin", None)
    with start_fake_vllm() as server:
        return run("vlm", server.url)


def _diff(expected: str, actual: str, name: str) -> str:
    lines = difflib.unified_diff(expected.splitlines(), actual.splitlines(), "expected", name,
                                 lineterm="", n=2)
    return "\n".join(list(lines)[:60])


@pytest.mark.parametrize("config", ["builtin", "vlm"])
def test_output_equals_golden(config: str) -> None:
    fresh = {config: _fresh(config)}
    names = [name for name, _ in inputs()]
    assert len(names) >= 3  # the samples at least; the development documents when beside us
    problems = []
    for name in names:
        js, md = fresh[config][name]
        want_js = (EXPECTED / config / f"{name}.json").read_text(encoding="utf-8").rstrip("\n")
        want_md = (EXPECTED / config / f"{name}.md").read_text(encoding="utf-8")
        if js != want_js:
            problems.append(_diff(want_js, js, f"{config}/{name}.json"))
        if md != want_md:
            problems.append(_diff(want_md, md, f"{config}/{name}.md"))
    assert not problems, "\n\n".join(problems)

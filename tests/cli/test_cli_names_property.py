"""Property: whatever the input files are called (dots, unicode, bytes that are not UTF-8,
backslashes, Windows device names, names near the length limit), one real ``docparse parse``
run gives every input either its own safe output name inside the output folder or a failure
of its own, one stderr line, and creates nothing outside the output folder."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from docparse.display import display_path

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def _png() -> bytes:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (240, 80), "white")
    ImageDraw.Draw(img).text((10, 30), "Hello", fill="black")
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


PNG = _png()
_SPECIAL = [b"...", b"..", b".", b"", b"CON", b"nul", b"Com1", b"LPT9.x", b"a\\..\\b",
            b"..\\..\\up", b" ", b"a:b", b'q"<>|?*', b"x.", b".hidden", b"a_1", b"a"]
_BASE = st.one_of(
    st.sampled_from(_SPECIAL),
    st.text(st.characters(exclude_categories=("Cs",), exclude_characters="/\x00"),
            max_size=12).map(lambda t: t.encode("utf-8")),
    st.binary(max_size=10),
    st.integers(min_value=150, max_value=251).map(lambda n: "é".encode() * (n // 2)),
)
NAME = st.tuples(_BASE, st.sampled_from([b".png", b".PNG"])).map(lambda t: t[0] + t[1]).filter(
    lambda n: b"/" not in n and b"\x00" not in n and len(n) <= 255)
NAMES = st.lists(NAME, min_size=3, max_size=6, unique=True)


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCPARSE_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def _listing(root: bytes) -> set[bytes]:
    return {os.path.relpath(os.path.join(d, n), root)
            for d, dirs, files in os.walk(root) for n in dirs + files}


# Each example is a whole CLI run: few of them, and no shrinking (minutes per step); a
# failure prints its names as generated.
@settings(max_examples=4, deadline=None, derandomize=True, database=None,
          phases=(Phase.explicit, Phase.generate),
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(NAMES)
@example([b"...png", b"..png", b".png", b"CON.png", b"a\\..\\b.png", b"caf\xe9.png", b"a.png",
          b"a_1.png"])
def test_any_file_names_parse_to_unique_safe_outputs_or_fail_alone(names: list[bytes]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        top = os.fsencode(tmp)
        src = os.path.join(top, b"in")
        os.mkdir(src)
        for name in names:
            with open(os.path.join(src, name), "wb") as fh:
                fh.write(PNG)
        before = _listing(top)
        out = Path(tmp) / "out"
        cmd = [os.fsencode(sys.executable), b"-m", b"docparse", b"parse",
               *(os.path.join(src, n) for n in names), b"-o", os.fsencode(out), b"--quiet",
               b"--layout", b"builtin", b"--jobs", b"2"]
        run = subprocess.run(cmd, env=_env(), capture_output=True, timeout=300)
        # Lines as a terminal shows them: a name holding a line break must not make two.
        text = run.stderr.decode("utf-8", "backslashreplace").rstrip("\n")
        stderr = text.split("\n") if text else []
        assert run.returncode in (0, 1, 3), stderr
        errors = [line for line in stderr if line.startswith("docparse: error: ")]
        others = [line for line in stderr if line not in errors
                  and not line.startswith(f"docparse: {len(names)} input(s): ")]
        assert not others, stderr  # no traceback, no whole-run failure

        # Nothing created or changed outside the output folder; the inputs are untouched.
        assert {p for p in _listing(top) - before if not p.startswith(b"out")} == set()
        for name in names:
            with open(os.path.join(src, name), "rb") as fh:
                assert fh.read() == PNG
        # Every path under the output folder is made of safe components.
        for path in out.rglob("*"):
            rel = path.relative_to(out)
            assert path.resolve().is_relative_to(out.resolve())
            for part in rel.parts:
                assert part not in (".", "..") and "\\" not in part
                assert not part.startswith(".") or part in (
                    ".docparse-work", ".docparse-files", "run.lock", "state.json"), rel
                part.encode("utf-8")  # no bytes that are not UTF-8 in an output name
        # One output per parsed input, named apart; one error line per failed one.
        jsons = sorted(out.glob("*.json"))
        assert len(jsons) + len(errors) == len(names), (sorted(p.name for p in jsons), errors)
        sources = {json.loads(p.read_bytes())["input_path"] for p in jsons}
        assert len(sources) == len(jsons)
        # input_path is the display label: bytes that are not UTF-8 are shown as \xNN.
        assert sources <= {display_path(os.fsdecode(os.path.join(src, n))) for n in names}
        for p in jsons:
            assert p.with_suffix(".md").is_file()

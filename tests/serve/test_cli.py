"""``docparse serve`` on the command line: flags, errors in one line, no import of the web
stack before the command runs."""

from __future__ import annotations

import subprocess
import sys

import pytest

from docparse.cli import main


def test_help_lists_the_service_and_server_keys(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["serve", "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for flag in ("--api-key", "--api-key-file", "--server-api-key", "--max-upload-mb",
                 "--queue-size", "--url-allow", "--cors-origin", "--server", "--layout"):
        assert flag in out


@pytest.mark.parametrize("argv, message", [
    (["serve", "--max-documents", "0"], "max_documents"),
    (["serve", "--api-key", "short"], "at least 8"),
    (["serve", "--recognizer", "vlm"], "needs a server"),
])
def test_bad_settings_exit_2(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_parse_help_does_not_import_fastapi() -> None:
    code = ("import sys; from docparse.cli import build_parser; build_parser(); "
            "assert 'fastapi' not in sys.modules and 'uvicorn' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)

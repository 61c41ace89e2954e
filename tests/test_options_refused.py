"""Values that must be refused before any input is read or any server contacted (CLI exit 2,
one line), and wrong types refused by the Python API with docparse's own errors
(issue 12, item 7)."""

from __future__ import annotations

import io
import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pymupdf
import pytest

import docparse
from docparse.cli import main
from docparse.errors import ConfigurationError, InputError
from docparse.options import ParseOptions


@pytest.fixture
def listener() -> Iterator[tuple[str, list[bytes]]]:
    """A TCP port that records every connection made to it (a server must not be contacted)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    sock.settimeout(0.2)
    seen: list[bytes] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(1)
                try:
                    seen.append(conn.recv(1024))
                except OSError:
                    seen.append(b"")

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{sock.getsockname()[1]}/v1", seen
    stop.set()
    t.join()
    sock.close()


def _pdf(path: Path) -> Path:
    doc = pymupdf.open()
    doc.new_page(width=200, height=100).insert_text((20, 50), "Hello", fontsize=12)
    doc.save(path)
    return path


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--timeout", "nan"], "option timeout: must be a finite number, got nan"),
        (["--timeout", "inf"], "option timeout: must be a finite number, got inf"),
        (["--deadline", "nan"], "option deadline: must be a finite number, got nan"),
        (["--deadline", "inf"], "option deadline: must be a finite number, got inf"),
        (["--temperature", "nan"], "option temperature: must be a finite number, got nan"),
        (["--temperature", "-0.5"], "option temperature: must be 0 or more, got -0.5"),
        (["--layout-threshold", "nan"], "option layout_threshold: must be a finite number"),
        (["--layout-threshold", "1.5"], "option layout_threshold: must be between 0 and 1"),
        (["--max-completion-tokens", "0"], "option max_completion_tokens: must be at least 1"),
        (["--max-completion-tokens", "-5"], "option max_completion_tokens: must be at least 1"),
        (["--max-completion-tokens", "10000000"], "is above 131072"),
    ],
)
def test_bad_numbers_are_refused_before_anything_runs(
    flags: list[str],
    message: str,
    tmp_path: Path,
    listener: tuple[str, list[bytes]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, seen = listener
    pdf = _pdf(tmp_path / "a.pdf")
    out = tmp_path / "out"
    code = main(["parse", str(pdf), "-o", str(out), "--server", url, *flags])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and err[0].startswith("docparse: error: ") and message in err[0]
    assert seen == [] and not out.exists()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://127.0.0.1:99999/v1", "Port out of range"),
        ("http://127.0.0.1:80a/v1", "Port could not be cast"),
        ("http://[::1/v1", "Invalid IPv6 URL"),
        ("http://::1]:8000/v1", "Invalid IPv6 URL"),
        ("ftp://host/v1", "expected http(s)://host"),
        ("http://user:hunter2@[::1/v1", "Invalid IPv6 URL"),
    ],
)
def test_bad_server_urls_are_refused_in_one_line(
    url: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pdf = _pdf(tmp_path / "a.pdf")
    code = main(["parse", str(pdf), "-o", str(tmp_path / "out"), "--server", url])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and message in err[0], err
    assert "hunter2" not in err[0]
    assert not (tmp_path / "out").exists()


def test_unknown_log_level_is_refused_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DOCPARSE_LOG", "verbose")
    code = main(["parse", str(_pdf(tmp_path / "a.pdf")), "-o", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert err == [
        "docparse: error: DOCPARSE_LOG='verbose' is not one of debug, info, warning, error, "
        "critical"
    ]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"timeout": float("nan")}, "option timeout: must be a finite number"),
        ({"temperature": -1.0}, "option temperature: must be 0 or more"),
        ({"pages": 5}, "option pages: expected a string like '1-3,7', got int 5"),
        ({"dpi": "200"}, "option dpi: expected an integer, got str '200'"),
        ({"keep_furniture": "no"}, "option keep_furniture: expected true or false"),
        ({"server_url": ("http://h:70000/v1",)}, "Port out of range"),
    ],
)
def test_parse_options_validate_themselves(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        ParseOptions(**kwargs)  # type: ignore[arg-type]


def test_parse_options_accept_strings_for_paths_and_lists_for_urls() -> None:
    o = ParseOptions(layout_model_dir="models/x", server_url=["http://a:1/v1"])  # type: ignore[arg-type]
    assert o.layout_model_dir == Path("models/x") and o.server_url == ("http://a:1/v1",)


def test_api_refuses_wrong_types_with_docparse_errors(tmp_path: Path) -> None:
    pdf = _pdf(tmp_path / "a.pdf")
    local = {"layout": "builtin", "recognizer": "builtin"}
    with pytest.raises(ConfigurationError, match="option pages: expected a string"):
        docparse.parse(pdf, pages=5, **local)  # type: ignore[arg-type]
    with open(pdf, encoding="utf-8", errors="strict") as text_mode, pytest.raises(
        InputError, match="file object is in text mode; open it with 'rb'"
    ):
        docparse.parse(text_mode, **local)  # type: ignore[arg-type]
    closed = open(pdf, "rb")
    closed.close()
    with pytest.raises(InputError, match="file object is closed"):
        docparse.parse(closed, **local)
    with pytest.raises(ConfigurationError, match=r"options: expected a docparse\.ParseOptions"):
        docparse.parse(pdf, options={"dpi": 100})  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="recognizer: expected a docparse Recognizer"):
        docparse.parse(pdf, layout="builtin", recognizer=object())  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="layout: expected a docparse LayoutBackend"):
        docparse.parse(pdf, layout=io.BytesIO(), recognizer="builtin")  # type: ignore[arg-type]


def test_load_refuses_binary_files_and_unknown_schema_versions(tmp_path: Path) -> None:
    pdf = _pdf(tmp_path / "a.pdf")
    with pytest.raises(InputError, match=r"not a docparse document JSON: .*starts with b'%PDF-"):
        docparse.load(pdf)
    png = tmp_path / "a.png"
    pymupdf.open(pdf)[0].get_pixmap().save(png)
    with pytest.raises(InputError, match=r"not UTF-8 text \(a binary file\?\)"):
        docparse.load(png)
    doc = docparse.parse(pdf, layout="builtin", recognizer="builtin")
    good = tmp_path / "a.json"
    doc.save_to_json(good)
    assert docparse.load(good) == doc
    data = json.loads(good.read_text("utf-8"))
    data["version"] = "2.0"
    future = tmp_path / "future.json"
    future.write_text(json.dumps(data), "utf-8")
    with pytest.raises(InputError, match=r"schema version '2\.0' is not supported"):
        docparse.load(future)
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"hello": 1}), "utf-8")
    with pytest.raises(InputError, match="not a docparse document JSON"):
        docparse.load(other)

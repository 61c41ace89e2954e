"""``docparse parse --server ...`` end to end against fake vLLM servers: exit codes, the
summary lines, the model name and the API key (built-in layout, in-process CLI)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from docparse.cli import EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, main
from docparse.testing import FakeVLLM, FakeVLLMConfig, start_fake_vllm


@pytest.fixture(scope="module")
def server() -> Iterator[FakeVLLM]:
    with start_fake_vllm(FakeVLLMConfig()) as srv:
        yield srv


@pytest.fixture()
def fake(server: FakeVLLM) -> FakeVLLM:
    server.configure(models=["PaddleOCR-VL-0.9B"], rules=[])
    server.reset()
    return server


def run(samples: Path, out: Path, *args: str) -> int:
    argv = ["parse", str(samples / "report.pdf"), "-o", str(out), "--layout", "builtin",
            "--text-layer", "off", *args]  # fmt: skip
    return main(argv)


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("docparse: error:")]


def test_a_clean_run_exits_0_and_sends_the_api_key(
    fake: FakeVLLM, samples_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run(samples_dir, tmp_path, "--server", fake.url, "--api-key", "sk-cli-7")
    err = capsys.readouterr().err
    assert code == EXIT_OK, err
    records = fake.requests()
    assert records and {r["authorization"] for r in records} == {"Bearer sk-cli-7"}
    doc = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert doc["status"] == "success"
    assert doc["stats"]["recognition_requests"] == len(records)
    assert "1 parsed, 0 partial, 0 failed" in err


def test_failed_blocks_exit_1_and_the_summary_says_what_failed(
    fake: FakeVLLM, samples_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.configure(rules=[{"prompt": "Table Recognition:", "fault": "error", "status": 400}])
    code = run(samples_dir, tmp_path, "--server", fake.url)
    err = capsys.readouterr().err
    assert code == EXIT_PARTIAL, err
    tables = [r for r in fake.requests() if r["prompt"] == "Table Recognition:"]
    assert tables, "the built-in layout found no table on report.pdf"
    n = len(tables)
    warning = [line for line in err.splitlines() if line.startswith("docparse: warning:")]
    assert warning == [
        f"docparse: warning: {samples_dir / 'report.pdf'}: partial: {n} block(s) or page(s) "
        f"failed ({n} http_400; from {fake.url})"
    ]
    assert "1 input(s): 0 parsed, 1 partial, 0 failed" in err
    doc = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    failed = [b for p in doc["pages"] for b in p["parsing_res_list"] if b["status"] == "failed"]
    assert [b["block_label"] for b in failed] == ["table"] * n
    assert all(b["error"]["endpoint"] == fake.url for b in failed)


def test_every_server_down_exits_2_quickly_with_one_line_naming_them(
    samples_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dead = []
    for _ in range(2):
        server = start_fake_vllm()
        dead.append(server.url)
        server.close()
    t0 = time.monotonic()
    code = run(samples_dir, tmp_path, "--server", dead[0], "--server", dead[1],
               "--timeout", "30", "--retries", "5")  # fmt: skip
    elapsed = time.monotonic() - t0
    err = capsys.readouterr().err
    assert code == EXIT_USAGE, err
    assert elapsed < 10.0
    lines = error_lines(err)
    assert len(lines) == 1, err
    assert "no VLM endpoint answers" in lines[0]
    assert dead[0] in lines[0] and dead[1] in lines[0]
    assert not (tmp_path / "report.json").exists()


def test_a_wrong_model_exits_2_naming_what_the_server_serves(
    fake: FakeVLLM, samples_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.configure(models=["PaddlePaddle/PaddleOCR-VL"])
    code = run(samples_dir, tmp_path, "--server", fake.url, "--model", "PaddleOCR-VL-0.9B")
    err = capsys.readouterr().err
    assert code == EXIT_USAGE, err
    lines = error_lines(err)
    assert len(lines) == 1, err
    assert fake.url in lines[0]
    assert "no model 'PaddleOCR-VL-0.9B'" in lines[0]
    assert "it serves: PaddlePaddle/PaddleOCR-VL" in lines[0]


def test_without_model_the_served_name_is_discovered(
    fake: FakeVLLM, samples_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.configure(models=["PaddlePaddle/PaddleOCR-VL"])
    code = run(samples_dir, tmp_path, "--server", fake.url)
    assert code == EXIT_OK, capsys.readouterr().err
    assert {r["body"]["model"] for r in fake.requests()} == {"PaddlePaddle/PaddleOCR-VL"}

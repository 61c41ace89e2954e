"""``docparse batch --engine ray`` on a local Ray instance (2 CPUs, started here) against the
fake vLLM server: the same files as the local engine, worker deaths survived, poison
documents failed, object-store inputs and outputs through moto's S3 server on loopback."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

if importlib.util.find_spec("ray") is None:  # not imported here: docparse sets up its env first
    pytest.skip("the ray extra is not installed", allow_module_level=True)

from docparse.cli import EXIT_OK, EXIT_USAGE, main
from docparse.events import Event, PageDone
from docparse.options import OutputOptions, resolve_options
from docparse.scale import RayBatch, RayOptions, start_local_ray
from docparse.testing import FakeVLLM, FakeVLLMConfig, start_fake_vllm
from docparse.testing.faulty_layout import CrashOnPageSize

pytestmark = pytest.mark.slow

BUCKET = "docparse-test"


@pytest.fixture(scope="module")
def s3() -> Iterator[str]:
    """moto's S3 on 127.0.0.1; its endpoint and dummy keys in the environment before Ray
    starts, so the workers' s3fs finds it too."""
    pytest.importorskip("s3fs")
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    saved = {k: os.environ.get(k) for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                                            "AWS_DEFAULT_REGION", "FSSPEC_S3_ENDPOINT_URL")}
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                      AWS_DEFAULT_REGION="us-east-1", FSSPEC_S3_ENDPOINT_URL=endpoint)
    import fsspec.config

    fsspec.config.set_conf_env(fsspec.config.conf)
    try:
        yield endpoint
    finally:
        server.stop()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        fsspec.config.conf.pop("s3", None)


@pytest.fixture(scope="module")
def ray_instance(s3: str) -> Iterator[Any]:
    ray = start_local_ray(num_cpus=2)
    # Private instance: reachable on the loopback interface only.
    assert ray.get_runtime_context().gcs_address.startswith("127.0.0.1:")
    try:
        yield ray
    finally:
        ray.shutdown()


@pytest.fixture(scope="module")
def server() -> Iterator[FakeVLLM]:
    # A little latency, so requests of both workers overlap and the cap has work to do.
    with start_fake_vllm(FakeVLLMConfig(latency=0.05)) as srv:
        yield srv


@pytest.fixture(scope="module")
def inputs(samples_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The samples, one in a sub-folder (mirrored under the output)."""
    folder = tmp_path_factory.mktemp("in")
    (folder / "scans").mkdir()
    for name in ("report.pdf", "invoice.pdf", "scans/scan.png"):
        shutil.copy(samples_dir / Path(name).name, folder / name)
    # The invoice carries its own XML, as e-invoices do: the scheduler reads it (the ranges'
    # workers never do), and it must reach the JSON as the local engine writes it.
    import pymupdf

    with pymupdf.open(folder / "invoice.pdf") as pdf:
        pdf.embfile_add("factur-x.xml", EINVOICE_XML.encode(), filename="factur-x.xml")
        pdf.save(folder / "invoice.pdf", incremental=True, encryption=0)
    return folder


EINVOICE_XML = ('<?xml version="1.0" encoding="UTF-8"?><rsm:CrossIndustryInvoice '
                'xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100">'
                "<ram:ID>2024-0042</ram:ID></rsm:CrossIndustryInvoice>")


COMMON = ["--layout", "builtin", "--quiet", "--max-concurrency", "2"]


@pytest.fixture(scope="module")
def local_out(server: FakeVLLM, inputs: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What the local engine writes for ``inputs``: the reference for every comparison."""
    out = tmp_path_factory.mktemp("local")
    assert main(["batch", str(inputs), "-o", str(out), "--engine", "local",
                 "--server", server.url, *COMMON]) == EXIT_OK
    return out


def _copy(inputs: Path, names: tuple[str, ...], folder: Path) -> Path:
    folder.mkdir()
    for name in names:
        shutil.copy(inputs / name, folder / Path(name).name)
    return folder


def _options(server: FakeVLLM, **extra: Any) -> Any:
    return resolve_options({"server_url": [server.url], "layout": "builtin", **extra})


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".docparse-work" not in p.parts}


def _without_stats(data: bytes) -> dict[str, Any]:
    doc = json.loads(data)
    doc.pop("stats")
    return dict(doc)


def assert_same_outputs(a: Path, b: Path) -> None:
    fa, fb = _files(a), _files(b)
    assert sorted(fa) == sorted(fb)
    assert any(name.startswith("imgs/") for name in fa)  # pictures are compared too
    for name in fa:
        if name.endswith(".json"):
            assert _without_stats(fa[name]) == _without_stats(fb[name]), name
        else:
            assert fa[name] == fb[name], name


def test_ray_engine_writes_the_local_engines_files_and_resumes(
    ray_instance: Any, server: FakeVLLM, inputs: Path, local_out: Path, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    server.reset()
    # One page per range: the two-page report is split across workers and stitched again.
    assert main(["batch", str(inputs), "-o", str(tmp_path / "ray"), "--engine", "ray",
                 "--server", server.url, "--pages-per-task", "1", *COMMON]
                ) == EXIT_OK, capsys.readouterr().err
    assert_same_outputs(local_out, tmp_path / "ray")
    invoice = json.loads((tmp_path / "ray" / "invoice.json").read_text(encoding="utf-8"))
    assert [(a["name"], a["format"], a["text"]) for a in invoice["attachments"]] == [
        ("factur-x.xml", "cii-invoice", EINVOICE_XML)]
    report = json.loads((tmp_path / "ray" / "report.json").read_text(encoding="utf-8"))
    assert report["page_count"] == 2 and [p["page_index"] for p in report["pages"]] == [0, 1]
    # The cap is the servers' capacity across the cluster, not per worker (2 workers here,
    # each of whose recognizers alone would allow 2).
    assert 1 <= server.stats().max_in_flight <= 2

    # --resume: every document finished, nothing is parsed again.
    server.reset()
    capsys.readouterr()
    assert main(["batch", str(inputs), "-o", str(tmp_path / "ray"), "--engine", "ray",
                 "--server", server.url, "--layout", "builtin", "--resume"]) == EXIT_OK
    assert "3 input(s) already done (--resume)" in capsys.readouterr().err
    assert server.stats().received == 0


def test_a_killed_worker_loses_no_document(
    ray_instance: Any, server: FakeVLLM, inputs: Path, tmp_path: Path
) -> None:
    killed: list[int] = []
    batch: RayBatch

    def on_event(event: Event) -> None:
        # Mid-job: at the first finished page, every worker busy with a range dies without
        # warning. (Killing one alone raced: the worker that sent the page may have finished
        # its one-page range by then, and a worker with nothing to lose restarts nothing.)
        # Requests take 0.4 s here, so another range is in flight at that moment.
        if isinstance(event, PageDone) and not killed:
            for pid in batch.busy_worker_pids():
                killed.append(pid)
                os.kill(pid, signal.SIGKILL)

    folder = _copy(inputs, ("report.pdf", "invoice.pdf"), tmp_path / "in")
    batch = RayBatch([str(folder)], _options(server), OutputOptions(format=("md", "json")),
                     output=str(tmp_path / "out"),
                     ray_options=RayOptions(pages_per_task=1), on_event=on_event)
    latency = server.config.latency
    server.configure(latency=0.4)
    try:
        report = batch.run()
    finally:
        server.configure(latency=latency)
    assert killed and report.worker_restarts >= 1
    assert report.statuses == {str(folder / n): "success" for n in ("invoice.pdf", "report.pdf")}
    for stem in ("invoice", "report"):
        doc = json.loads((tmp_path / "out" / f"{stem}.json").read_text(encoding="utf-8"))
        assert doc["status"] == "success" and doc["pages"]


def test_a_poison_document_fails_and_the_others_complete(
    ray_instance: Any, server: FakeVLLM, inputs: Path, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from PIL import Image

    folder = _copy(inputs, ("invoice.pdf",), tmp_path / "in")
    Image.new("RGB", (333, 222), (250, 0, 250)).save(folder / "poison.png")
    events: list[Event] = []
    batch = RayBatch([str(folder)], _options(server, orientation="off"), OutputOptions(format=("md", "json")),
                     output=str(tmp_path / "out"), on_event=events.append,
                     ray_options=RayOptions(max_attempts=2, layout_factory=CrashOnPageSize(333, 222)))
    report = batch.run()
    # Progress as for local batches: documents started, pages done, documents done or failed.
    invoice, poison = str(folder / "invoice.pdf"), str(folder / "poison.png")
    assert {(type(e).__name__, getattr(e, "input_path", None)) for e in events
            if not isinstance(e, PageDone)} >= {("DocumentStarted", invoice),
                                                ("DocumentStarted", poison),
                                                ("DocumentDone", invoice),
                                                ("DocumentFailed", poison)}
    assert [e.input_path for e in events if isinstance(e, PageDone)] == [invoice]
    assert report.statuses == {str(folder / "poison.png"): "failed",
                               str(folder / "invoice.pdf"): "success"}
    assert report.failed == 1 and report.parsed == 1
    assert report.worker_restarts == 2  # one per attempt, then given up
    assert "worker died or hung 2 times" in capsys.readouterr().err
    assert not (tmp_path / "out" / "poison.json").exists()
    assert {p.name for p in (tmp_path / "out").glob("*.json")} == {"invoice.json"}


def test_object_store_inputs_and_outputs(
    ray_instance: Any, server: FakeVLLM, s3: str, inputs: Path, local_out: Path, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import fsspec

    fs = fsspec.filesystem("s3")
    fs.mkdir(BUCKET)
    fs.put(f"{inputs}/", f"{BUCKET}/in/", recursive=True)
    code = main(["batch", f"s3://{BUCKET}/in/", "-o", f"s3://{BUCKET}/out", "--engine", "ray",
                 "--server", server.url, *COMMON])
    assert code == EXIT_OK, capsys.readouterr().err
    fs.get(f"{BUCKET}/out/", str(tmp_path / "from-s3"), recursive=True)
    # The local engine's files, sub-folders mirrored; only the input paths name the bucket.
    got, want = _files(tmp_path / "from-s3"), _files(local_out)
    assert sorted(got) == sorted(want)
    for name in want:
        if name.endswith(".json"):
            a, b = _without_stats(got[name]), _without_stats(want[name])
            assert a["input_path"] == f"s3://{BUCKET}/in/{Path(b['input_path']).relative_to(inputs)}"
            for doc in (a, b):
                doc.pop("input_path")
                for page in doc["pages"]:
                    page.pop("input_path")
            assert a == b, name
        else:
            assert got[name] == want[name], name
    # Finished documents leave only their state in the work folder.
    assert fs.glob(f"{BUCKET}/out/.docparse-work/**/state.json")
    assert not fs.glob(f"{BUCKET}/out/.docparse-work/**/pages/*")


def test_a_wrong_model_stops_the_run_with_the_local_engines_message(
    ray_instance: Any, server: FakeVLLM, inputs: Path, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["batch", str(inputs / "invoice.pdf"), "-o", str(tmp_path), "--engine", "ray",
                 "--server", server.url, "--model", "nope", "--layout", "builtin", "--quiet"])
    err = capsys.readouterr().err
    assert code == EXIT_USAGE
    (line,) = [x for x in err.splitlines() if x.startswith("docparse: error:")]
    assert "the server has no model 'nope'; it serves: PaddleOCR-VL-0.9B" in line


def test_without_ray_the_command_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, samples_dir: Path, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    code = main(["batch", str(samples_dir / "scan.png"), "-o", str(tmp_path), "--engine", "ray",
                 "--layout", "builtin", "--quiet"])
    assert code == EXIT_USAGE
    assert "pip install 'docparse[ray]'" in capsys.readouterr().err

"""Pipeline versions end to end against the fake vLLM server (no paddle needed).

``auto`` picks the version from ``/v1/models`` (name or ``root``) and records it on every page;
unknown models fall back to v1 with a notice; several unknown models and pools mixing versions
are refused; a forced mismatch warns. With seal recognition on, a v1.6 parse sends exactly one
``Seal Recognition:`` request per seal (and keeps the picture); v1 never sends it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw

import docparse
from docparse.errors import ConfigurationError
from docparse.events import Event, Notice
from docparse.layout import Region
from docparse.layout.fixed import FixedLayout
from docparse.testing import FakeVLLM, FakeVLLMConfig, start_fake_vllm
from docparse.versions import VERSIONS, get_version, version_of_served

REGIONS = [
    Region("doc_title", (0.1, 0.05, 0.9, 0.12), 0.9),
    Region("text", (0.1, 0.15, 0.9, 0.4), 0.9),
    Region("seal", (0.55, 0.5, 0.9, 0.75), 0.8),
    Region("table", (0.1, 0.8, 0.9, 0.95), 0.9),
]


@pytest.fixture(scope="module")
def server() -> Iterator[FakeVLLM]:
    with start_fake_vllm(FakeVLLMConfig(strict=True)) as s:
        yield s


@pytest.fixture(scope="module")
def other_server() -> Iterator[FakeVLLM]:
    with start_fake_vllm(FakeVLLMConfig(strict=True)) as s:
        yield s


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("versions") / "page.png"
    image = Image.new("RGB", (600, 800), "white")
    draw = ImageDraw.Draw(image)
    draw.text((70, 50), "Title", fill="black")
    draw.text((70, 140), "Some body text here", fill="black")
    draw.ellipse((340, 410, 530, 590), outline=(200, 0, 0), width=4)
    draw.text((400, 490), "SEAL", fill=(200, 0, 0))
    draw.rectangle((70, 650, 530, 750), outline="black")
    image.save(path)
    return path


def _parse(page: Path, servers: list[FakeVLLM], **overrides: Any) -> tuple[docparse.Document, list[str]]:
    notices: list[str] = []

    def on_event(event: Event) -> None:
        if isinstance(event, Notice):
            notices.append(event.message)

    with docparse.Parser(layout=FixedLayout(REGIONS), server_url=[s.url for s in servers],
                         text_layer="off", orientation="off", on_event=on_event,
                         **overrides) as parser:  # fmt: skip
        doc = parser.parse(page)
    return doc, notices


@pytest.mark.parametrize(
    ("served", "root", "expected"),
    [
        ("PaddleOCR-VL-0.9B", None, "v1"),
        ("PaddlePaddle/PaddleOCR-VL", None, "v1"),
        ("PaddleOCR-VL-1.5-0.9B", None, "v1.5"),
        ("PaddlePaddle/PaddleOCR-VL-1.5", None, "v1.5"),
        ("PaddleOCR-VL-1.6-0.9B", None, "v1.6"),
        # A custom --served-model-name: recognised by the weights vLLM loaded (root).
        ("ocr", "PaddlePaddle/PaddleOCR-VL-1.6", "v1.6"),
        ("doc-reader", "/models/PaddleOCR-VL-1.5/", "v1.5"),
    ],
)
def test_auto_picks_the_version_the_server_serves(
    server: FakeVLLM, page: Path, served: str, root: str | None, expected: str
) -> None:
    server.configure(models=[served], roots={served: root} if root else {})
    start = len(server.requests())
    doc, notices = _parse(page, [server])
    assert [p.model_settings["pipeline_version"] for p in doc.pages] == [expected]
    (notice,) = [n for n in notices if n.startswith("pipeline version")]
    assert notice.startswith(f"pipeline version {expected}: the server serves {served}")
    requests = server.requests()[start:]
    assert requests and {r["body"]["model"] for r in requests} == {served}
    # Seal recognition is off by default: the seal is a picture only, on every version.
    assert "Seal Recognition:" not in {r["prompt"] for r in requests}
    (seal,) = [b for b in doc.pages[0].blocks if b.block_label == "seal"]
    assert seal.image is not None and seal.block_content == ""


def test_v16_with_seal_recognition_sends_exactly_one_seal_request(server: FakeVLLM, page: Path) -> None:
    server.configure(models=["PaddleOCR-VL-1.6-0.9B"], roots={},
                     answers={**FakeVLLMConfig().answers, "Seal Recognition:": "ACME Seal Co."})
    start = len(server.requests())
    doc, _ = _parse(page, [server], seal_recognition=True)
    prompts = [r["prompt"] for r in server.requests()[start:]]
    assert prompts.count("Seal Recognition:") == 1
    assert sorted(prompts) == sorted(["OCR:", "OCR:", "Seal Recognition:", "Table Recognition:"])
    (page_out,) = doc.pages
    assert page_out.model_settings["use_seal_recognition"] is True
    assert page_out.model_settings["pipeline_version"] == "v1.6"
    (seal,) = [b for b in page_out.blocks if b.block_label == "seal"]
    assert (seal.block_content, seal.source, seal.status) == ("ACME Seal Co.", "vlm", "ok")
    # Still saved as a picture, and the Markdown shows both, as upstream.
    assert seal.image is not None and seal.image in doc.images
    markdown = doc.to_markdown()
    assert isinstance(markdown, str) and "ACME Seal Co." in markdown and seal.image in markdown
    server.assert_no_invalid_requests()


def test_v1_never_sends_seal_recognition_even_when_asked(server: FakeVLLM, page: Path) -> None:
    server.configure(models=["PaddleOCR-VL-0.9B"], roots={})
    start = len(server.requests())
    doc, _ = _parse(page, [server], seal_recognition=True)
    assert "Seal Recognition:" not in [r["prompt"] for r in server.requests()[start:]]
    assert doc.pages[0].model_settings["use_seal_recognition"] is False


def test_the_fake_server_refuses_new_prompts_for_v1_models(server: FakeVLLM, page: Path) -> None:
    """The test server validates prompts per model: "Seal Recognition:" only for 1.5/1.6."""
    server.configure(models=["PaddleOCR-VL-0.9B"], roots={})
    start = len(server.requests())
    # Forced v1.6 against a v1 server: allowed with a one-line warning; its seal request is
    # then rejected by the server as PaddleOCR-VL-0.9B does not know the prompt.
    doc, notices = _parse(page, [server], pipeline_version="v1.6", seal_recognition=True)
    (warning,) = [n for n in notices if n.startswith("warning:")]
    assert "\n" not in warning and "--pipeline-version v1.6" in warning and "(v1)" in warning
    (seal,) = [b for b in doc.pages[0].blocks if b.block_label == "seal"]
    assert seal.status == "failed"
    invalid = [r for r in server.requests()[start:] if not r["valid"]]
    assert [r["body"]["messages"][0]["content"][1]["text"] for r in invalid] == ["Seal Recognition:"]
    server.reset()


def test_unknown_model_falls_back_to_v1_with_a_notice(server: FakeVLLM, page: Path) -> None:
    server.configure(models=["my-finetune"], roots={})
    doc, notices = _parse(page, [server])
    assert doc.pages[0].model_settings["pipeline_version"] == "v1"
    (notice,) = [n for n in notices if n.startswith("pipeline version")]
    assert "my-finetune" in notice and "--pipeline-version" in notice and "\n" not in notice


def test_several_models_one_known_picks_it(server: FakeVLLM, page: Path) -> None:
    server.configure(models=["llama-3", "PaddleOCR-VL-1.5-0.9B"], roots={})
    doc, _ = _parse(page, [server])
    assert doc.pages[0].model_settings["pipeline_version"] == "v1.5"


def test_several_unknown_models_are_refused_clearly(
    server: FakeVLLM, page: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server.configure(models=["llama-3", "qwen-vl"], roots={})
    with pytest.raises(ConfigurationError, match="several models docparse does not recognise"):
        _parse(page, [server])
    from docparse.cli import main

    code = main(["parse", str(page), "--server", server.url, "--layout", "builtin",
                 "-o", str(tmp_path / "o"), "--quiet"])  # fmt: skip
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.count("\n") == 0
    assert "llama-3, qwen-vl" in err and "--model NAME" in err


def test_pool_serving_different_versions_exits_2_in_one_line(
    server: FakeVLLM, other_server: FakeVLLM, page: Path, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    server.configure(models=["PaddleOCR-VL-1.5-0.9B"], roots={})
    other_server.configure(models=["PaddleOCR-VL-1.6-0.9B"], roots={})
    from docparse.cli import main

    code = main(["parse", str(page), "--server", server.url, "--server", other_server.url,
                 "--layout", "builtin", "-o", str(tmp_path / "o"), "--quiet"])  # fmt: skip
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.count("\n") == 0
    assert "different PaddleOCR-VL versions" in err and "v1.5" in err and "v1.6" in err
    # The same pool serving one version is fine.
    other_server.configure(models=["PaddleOCR-VL-1.5-0.9B"])
    doc, _ = _parse(page, [server, other_server])
    assert doc.pages[0].model_settings["pipeline_version"] == "v1.5"


def test_forced_version_is_recorded_and_unreachable_server_means_v1(page: Path) -> None:
    from docparse.options import ParseOptions
    from docparse.pipeline.version_choice import choose_version

    dead = "http://127.0.0.1:9/v1"
    choice = choose_version(ParseOptions(server_url=(dead,)))
    assert choice.version.name == "v1" and choice.notice is not None
    assert "--pipeline-version" in choice.notice
    assert choose_version(ParseOptions(server_url=(dead,), pipeline_version="v1.6")).version.name == "v1.6"
    # No server (built-in recognition): v1, nothing asked, nothing said.
    assert choose_version(ParseOptions()) == choose_version(ParseOptions(recognizer="builtin"))
    assert choose_version(ParseOptions()).version.name == "v1"


def test_version_option_env_and_flag(monkeypatch: pytest.MonkeyPatch) -> None:
    from docparse.cli import build_parser
    from docparse.options import resolve_options

    monkeypatch.setenv("DOCPARSE_PIPELINE_VERSION", "v1.5")
    assert resolve_options().pipeline_version == "v1.5"
    assert resolve_options({"pipeline_version": "v1.6"}).pipeline_version == "v1.6"
    monkeypatch.setenv("DOCPARSE_PIPELINE_VERSION", "v2")
    with pytest.raises(ConfigurationError, match="pipeline_version"):
        resolve_options()
    args = build_parser().parse_args(["parse", "x.pdf", "--pipeline-version", "v1.6",
                                      "--seal-recognition"])  # fmt: skip
    assert (args.pipeline_version, args.seal_recognition) == ("v1.6", True)


def test_version_records_name_layout_prompts_and_served_names() -> None:
    assert list(VERSIONS) == ["v1", "v1.5", "v1.6"]
    v1, v15, v16 = (get_version(n) for n in VERSIONS)
    assert (v1.layout.model, v15.layout.model, v16.layout.model) == (
        "PP-DocLayoutV2", "PP-DocLayoutV3", "PP-DocLayoutV3")  # fmt: skip
    assert not v1.seal_recognition and v15.seal_recognition and v16.spotting
    assert v16.prompt("seal") == "Seal Recognition:" and v16.prompt("spotting") == "Spotting:"
    with pytest.raises(ConfigurationError, match="no 'seal' prompt"):
        v1.prompt("seal")
    assert version_of_served(["PaddleOCR-VL-1.8-0.9B"]) is None  # a newer, unknown version
    assert version_of_served(["x", "PaddlePaddle/PaddleOCR-VL-1.6"]) is v16


def test_versions_match_the_paddlex_pipeline_yamls() -> None:
    yaml = pytest.importorskip("yaml")
    paddlex = pytest.importorskip("paddlex")
    configs = Path(paddlex.__file__).parent / "configs" / "pipelines"
    for version in VERSIONS.values():
        cfg = yaml.safe_load((configs / f"{version.paddlex_pipeline}.yaml").read_text())
        assert cfg["pipeline_name"] == version.paddlex_pipeline
        layout = cfg["SubModules"]["LayoutDetection"]
        assert layout["model_name"] == version.layout.model
        threshold = version.layout.threshold
        assert (dict(threshold) if not isinstance(threshold, float) else threshold) == layout["threshold"]
        assert dict(version.layout.merge_modes) == layout["layout_merge_bboxes_mode"]
        assert cfg["SubModules"]["VLRecognition"]["model_name"] == version.recognizer_model
        assert version.matches(version.recognizer_model)
        assert cfg.get("use_seal_recognition", False) is False

"""The PaddleOCR-VL path end to end: a synthetic page with known boxes (``FixedLayout``) goes
through the whole pipeline to a fake vLLM server in its own process; the tests check every
request against the official captured request (reference §1.3) and every answer against where
the reference says it lands in JSON and Markdown (§3.4, §3.5, §4.2)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from vlm_fixtures import (
    Pixels,
    Spec,
    chat_records,
    crop,
    crop_sha,
    draw_page,
    jpeg_bytes,
    layout_of,
    official_body,
    sha256,
    write_png,
)

import docparse
from docparse.document import Block, Document
from docparse.errors import ConfigurationError
from docparse.recognize.vlm.postprocess import chart_to_html
from docparse.testing import FakeVLLM, FakeVLLMConfig, start_fake_vllm

W, H = 1000, 1400

SPECS = [
    Spec("header", (100, 20, 700, 60), "Journal of Tests 2024"),
    Spec("header_image", (750, 15, 900, 75)),
    Spec("doc_title", (100, 90, 900, 150), "A Study of Fake Servers"),
    Spec("paragraph_title", (100, 170, 600, 210), "1 Introduction"),
    Spec("text", (100, 230, 900, 330), "Body text of the page"),
    Spec("aside_text", (20, 350, 80, 650), "a"),
    Spec("table", (100, 350, 900, 550), "Region"),
    Spec("figure_title", (100, 560, 900, 600), "Figure 1. A caption"),
    Spec("image", (100, 620, 480, 880)),
    Spec("chart", (520, 620, 900, 880)),
    Spec("display_formula", (300, 900, 700, 970)),
    Spec("seal", (100, 990, 260, 1150)),
    Spec("footnote", (100, 1250, 900, 1290), "1 A footnote"),
    Spec("footer", (300, 1340, 700, 1380), "Company confidential"),
    Spec("number", (880, 1340, 940, 1380), "7"),
]
BY_LABEL = {s.label: s for s in SPECS}

#: reference §1.1: the prompt per label with the official defaults.
PROMPTS = {
    "doc_title": "OCR:",
    "paragraph_title": "OCR:",
    "text": "OCR:",
    "aside_text": "OCR:",
    "table": "Table Recognition:",
    "figure_title": "OCR:",
    "display_formula": "Formula Recognition:",
    "footnote": "OCR:",
}
FURNITURE = {"header": "OCR:", "footer": "OCR:", "number": "OCR:"}
PICTURES = ("header_image", "image", "chart", "seal")

OTSL = "<fcel>Region<fcel>Q1<lcel><nl><ucel><fcel>Jan<fcel>Feb<nl><fcel>North<fcel>1<fcel>2<nl>"
OTSL_HTML = (
    '<table><tr><td rowspan="2">Region</td><td colspan="2">Q1</td></tr>'
    "<tr><td>Jan</td><td>Feb</td></tr><tr><td>North</td><td>1</td><td>2</td></tr></table>"
)
CHART = "Year | Sales\n2023 | 10\n2024 | 12"


@pytest.fixture(scope="module")
def server() -> Iterator[FakeVLLM]:
    with start_fake_vllm(FakeVLLMConfig()) as srv:
        yield srv


@pytest.fixture()
def fake(server: FakeVLLM) -> FakeVLLM:
    """The module's server with its default config and no recorded requests."""
    server.configure(**_defaults())
    server.reset()
    return server


def _defaults() -> dict[str, Any]:
    config = FakeVLLMConfig()
    return {"models": list(config.models), "answers": config.answers, "rules": []}


@pytest.fixture(scope="module")
def page() -> Pixels:
    return draw_page(W, H, SPECS)


@pytest.fixture()
def page_png(tmp_path: Path, page: Pixels) -> Path:
    return write_png(tmp_path / "page.png", page)


def answer_rules(page: Pixels, answers: dict[str, str]) -> list[dict[str, str]]:
    """One scripted answer per labelled box, matched by the sha256 of its official crop."""
    return [
        {"sha256": crop_sha(page, BY_LABEL[label]), "answer": text}
        for label, text in answers.items()
    ]


def labelled_answers() -> dict[str, str]:
    """A distinct answer per box, so each block's content proves which request it came from."""
    return {s.label: f"answer for {s.label}" for s in SPECS}


def parse(path: Path, server: FakeVLLM, specs: Sequence[Spec] = SPECS, **options: Any) -> Document:
    options.setdefault("text_layer", "off")
    with docparse.Parser(layout=layout_of(specs), server_url=[server.url], **options) as parser:
        return parser.parse(path)


def block(doc: Document, label: str) -> Block:
    found = [b for b in doc.blocks if b.block_label == label]
    assert len(found) == 1, [b.block_label for b in doc.blocks]
    return found[0]


# ───────────────────────────────────────────────────────────── 1. wire format and routing


def test_each_request_equals_the_official_request_for_its_label(
    fake: FakeVLLM, page: Pixels, page_png: Path
) -> None:
    fake.configure(rules=answer_rules(page, labelled_answers()))
    doc = parse(page_png, fake)

    records = fake.requests()
    by_sha = chat_records(records)
    assert len(records) == len(PROMPTS)
    for label, prompt in PROMPTS.items():
        sha = crop_sha(page, BY_LABEL[label])
        assert sha in by_sha, f"no request carried the official {label} crop"
        assert by_sha[sha]["body"] == official_body("PaddleOCR-VL-0.9B", sha, prompt), label
        assert by_sha[sha]["authorization"] == "Bearer null"
        assert block(doc, label).block_content == f"answer for {label}"
        assert block(doc, label).source == "vlm"
    # The formula crop is margin-trimmed to the strokes: 200 x 38 px out of a 400 x 70 box.
    formula = by_sha[crop_sha(page, BY_LABEL["display_formula"])]["image"]
    assert (formula["width"], formula["height"]) == (200, 38)
    fake.assert_no_invalid_requests()


def test_furniture_is_skipped_and_pictures_are_saved_not_sent(
    fake: FakeVLLM, page: Pixels, page_png: Path, tmp_path: Path
) -> None:
    fake.configure(rules=answer_rules(page, labelled_answers()))
    doc = parse(page_png, fake)

    sent = set(chat_records(fake.requests()))
    for label in (*FURNITURE, *PICTURES):
        assert crop_sha(page, BY_LABEL[label]) not in sent, label
    for label in FURNITURE:
        b = block(doc, label)
        assert (b.status, b.source, b.block_content) == ("skipped", "none", "")
    assert doc.stats.requests_saved["furniture"] == 3
    assert doc.stats.recognition_requests == len(PROMPTS)
    # The official client would also send header, footer and number (reference §3.4).
    assert doc.stats.official_requests == len(PROMPTS) + 3
    assert doc.status == "success"

    out = tmp_path / "out"
    md_path = doc.save_to_markdown(out)
    markdown = md_path.read_text(encoding="utf-8")
    for label in PICTURES:
        b = block(doc, label)
        x1, y1, x2, y2 = b.block_bbox
        name = f"img_in_{label}_box_{x1}_{y1}_{x2}_{y2}.jpg"
        assert (b.source, b.status, b.image) == ("image", "ok", name)
        saved = out / "imgs" / "page" / name
        picture = np.asarray(Image.open(saved).convert("RGB"), dtype=np.int16)
        # The box's pixels, up to JPEG loss (the encoder is the output writer's choice).
        assert picture.shape == (y2 - y1, x2 - x1, 3)
        assert np.abs(picture - crop(page, b.block_bbox)).mean() < 8
        tag = f'<img src="imgs/page/{name}" alt="Image" width="{int((x2 - x1) / W * 100)}%" />'
        # header_image is page furniture: saved, kept in JSON, left out of Markdown.
        assert (tag in markdown) == (label != "header_image"), label
    # Footnotes and aside text are recognised and kept in JSON, but Markdown drops them.
    assert block(doc, "footnote").block_content == "answer for footnote"
    assert block(doc, "aside_text").block_content == "answer for aside_text"
    for label in ("footnote", "aside_text", "header", "footer", "number"):
        assert f"answer for {label}" not in markdown
    assert "# answer for doc_title" in markdown
    assert "answer for text" in markdown


def test_keep_furniture_sends_headers_footers_and_numbers(
    fake: FakeVLLM, page: Pixels, page_png: Path
) -> None:
    fake.configure(rules=answer_rules(page, labelled_answers()))
    doc = parse(page_png, fake, keep_furniture=True)

    by_sha = chat_records(fake.requests())
    assert len(by_sha) == len(PROMPTS) + len(FURNITURE)
    for label, prompt in FURNITURE.items():
        sha = crop_sha(page, BY_LABEL[label])
        assert by_sha[sha]["body"] == official_body("PaddleOCR-VL-0.9B", sha, prompt)
        b = block(doc, label)
        assert (b.status, b.block_content) == ("ok", f"answer for {label}")
    assert "furniture" not in doc.stats.requests_saved
    assert doc.stats.recognition_requests == doc.stats.official_requests == 11
    assert "answer for header" not in doc.to_markdown()


def test_chart_recognition_sends_the_chart_prompt_and_renders_an_html_table(
    fake: FakeVLLM, page: Pixels, page_png: Path, tmp_path: Path
) -> None:
    fake.configure(rules=answer_rules(page, {"chart": CHART}))
    doc = parse(page_png, fake, chart_recognition=True)

    sha = crop_sha(page, BY_LABEL["chart"])
    record = chat_records(fake.requests())[sha]
    assert record["body"] == official_body("PaddleOCR-VL-0.9B", sha, "Chart Recognition:")
    chart = block(doc, "chart")
    # JSON keeps the raw pipe table; Markdown converts it (reference §3.5 item 6, §4.2).
    assert (chart.source, chart.block_content, chart.image) == ("vlm", CHART, None)
    markdown = doc.save_to_markdown(tmp_path / "out").read_text(encoding="utf-8")
    html = chart_to_html(CHART)
    assert html in markdown
    assert "<th style='text-align: center;'>Year</th>" in html
    assert (
        "<td style='text-align: center;'>2024</td><td style='text-align: center;'>12</td>" in html
    )
    assert not (
        tmp_path / "out" / "imgs" / "page" / "img_in_chart_box_520_620_900_880.jpg"
    ).exists()


# ───────────────────────────────────────────────────────────── 2. answers land as specified


def test_table_formula_and_inline_math_answers_land_in_json_and_markdown(
    fake: FakeVLLM, page: Pixels, page_png: Path
) -> None:
    answers = {
        "table": OTSL,
        "display_formula": "\\[E=mc^2\\]",
        "text": "The value \\(x\\) is positive.\nSecond line",
    }
    fake.configure(rules=answer_rules(page, answers))
    doc = parse(page_png, fake)

    assert block(doc, "table").block_content == OTSL_HTML
    assert block(doc, "display_formula").block_content == " $$ E=mc^2 $$ "
    assert block(doc, "text").block_content == "The value  $ x $ is positive.\nSecond line"
    markdown = doc.to_markdown()
    assert isinstance(markdown, str)
    styled = OTSL_HTML.replace(
        "<table>", "<table border=1 style='margin: auto; word-wrap: break-word;'>"
    ).replace("<td>", "<td style='text-align: center; word-wrap: break-word;'>")
    assert "\n" + styled in markdown
    assert " $$ E=mc^2 $$ " in markdown
    # Every VLM line break becomes a paragraph break (reference §4.2).
    assert "The value  $ x $ is positive.\n\nSecond line" in markdown


def test_a_looping_answer_is_retried_with_a_penalty_then_truncated_and_flagged(
    fake: FakeVLLM, page: Pixels, page_png: Path
) -> None:
    sha = crop_sha(page, BY_LABEL["text"])
    fake.configure(rules=[{"sha256": sha, "fault": "loop"}])
    doc = parse(page_png, fake)

    tries = [r for r in fake.requests() if r["image"]["sha256"] == sha]
    assert [r["outcome"] for r in tries] == ["loop", "loop"]
    first, second = (r["body"] for r in tries)
    assert "repetition_penalty" not in first
    assert second["repetition_penalty"] == 1.05
    assert {k: v for k, v in second.items() if k != "repetition_penalty"} == first
    text = block(doc, "text")
    assert text.status == "ok"
    assert text.error is not None and text.error.reason == "truncated"
    assert 0 < len(text.block_content) < 100
    assert text.block_content.strip() in "the same words again " * 3
    assert doc.stats.model_dump().get("truncated_blocks") == 1
    assert doc.status == "success"


def test_merged_text_groups_are_one_request_with_a_stacked_crop(
    fake: FakeVLLM, tmp_path: Path
) -> None:
    specs = [
        # side by side on one row ("cross"), equal widths: stacked centred = plain vstack
        Spec("text", (100, 100, 480, 200), "left column"),
        Spec("text", (520, 100, 900, 200), "right column"),
        # left-aligned pair whose union touches the image ("up-down")
        Spec("text", (100, 400, 500, 460), "upper part"),
        Spec("text", (100, 470, 460, 530), "lower part"),
        Spec("image", (490, 400, 900, 700)),
    ]
    page = draw_page(W, H, specs)
    path = write_png(tmp_path / "groups.png", page)
    cross = np.vstack([crop(page, specs[0].bbox), crop(page, specs[1].bbox)])
    updown = np.full((120, 400, 3), 255, dtype=np.uint8)
    updown[:60, :400] = crop(page, specs[2].bbox)
    updown[60:, :360] = crop(page, specs[3].bbox)
    cross_sha, updown_sha = sha256(jpeg_bytes(cross)), sha256(jpeg_bytes(updown))
    fake.configure(rules=[
        {"sha256": cross_sha, "answer": "left column\nright column"},
        {"sha256": updown_sha, "answer": "upper part\nlower part"},
    ])  # fmt: skip
    doc = parse(path, fake, specs)

    by_sha = chat_records(fake.requests())
    assert set(by_sha) == {cross_sha, updown_sha}
    assert by_sha[cross_sha]["body"] == official_body("PaddleOCR-VL-0.9B", cross_sha, "OCR:")
    blocks = doc.pages[0].parsing_res_list
    assert [b.block_label for b in blocks] == ["text", "text", "text", "text", "image"]
    lead1, member1, lead2, member2 = blocks[:4]
    assert (lead1.block_content, lead1.status, lead1.group_id) == (
        "left column\nright column",
        "ok",
        lead1.block_id,
    )
    assert (member1.block_content, member1.status, member1.group_id) == (
        "",
        "merged",
        lead1.block_id,
    )
    assert (lead2.block_content, lead2.group_id) == ("upper part\nlower part", lead2.block_id)
    assert (member2.status, member2.group_id) == ("merged", lead2.block_id)
    assert doc.stats.recognition_requests == doc.stats.official_requests == 2


# ───────────────────────────────────────────────────────────── model name and API key


def test_the_api_key_arrives_as_a_bearer_token(fake: FakeVLLM, page_png: Path) -> None:
    parse(page_png, fake, api_key="sk-test-123")
    auth = {r["authorization"] for r in fake.requests()}
    assert auth == {"Bearer sk-test-123"}


def test_the_model_name_is_discovered_from_the_server(
    fake: FakeVLLM, page: Pixels, page_png: Path
) -> None:
    fake.configure(models=["PaddlePaddle/PaddleOCR-VL"])
    doc = parse(page_png, fake)
    records = fake.requests()
    assert {r["model"] for r in records} == {"PaddlePaddle/PaddleOCR-VL"}
    sha = crop_sha(page, BY_LABEL["text"])
    assert chat_records(records)[sha]["body"] == official_body(
        "PaddlePaddle/PaddleOCR-VL", sha, "OCR:"
    )
    assert doc.status == "success"


def test_a_wrong_model_name_is_one_clear_error_naming_the_served_model(
    fake: FakeVLLM, page_png: Path
) -> None:
    fake.configure(models=["PaddlePaddle/PaddleOCR-VL"])
    with pytest.raises(ConfigurationError) as info:
        parse(page_png, fake, model="PaddleOCR-VL-0.9B")
    message = str(info.value)
    assert fake.url in message
    assert "'PaddleOCR-VL-0.9B'" in message
    assert "PaddlePaddle/PaddleOCR-VL" in message


# ───────────────────────────────────────────────────────────── 4. requests per page


@pytest.mark.slow
@pytest.mark.parametrize("name", ["report.pdf", "invoice.pdf"])
def test_requests_per_page_against_the_official_routing(
    fake: FakeVLLM, samples_dir: Path, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """docparse's requests vs what the official client would send for the same boxes."""
    path = samples_dir / name
    options = docparse.ParseOptions(layout="builtin", server_url=(fake.url,), text_layer="off")
    with docparse.Parser(options) as parser:
        doc = parser.parse(path)
    rows = []
    for number in range(1, doc.page_count + 1):
        before = len(fake.requests())
        with docparse.Parser(options.replace(pages=str(number))) as parser:
            one = parser.parse(path)
        stats = one.stats
        sent = len(fake.requests()) - before
        assert stats.recognition_requests == sent
        # Only furniture is saved with the text layer off; merged groups count once on both sides.
        furniture = stats.requests_saved.get("furniture", 0)
        assert stats.recognition_requests == stats.official_requests - furniture
        rows.append((number, stats.recognition_requests, stats.official_requests, furniture))
    assert sum(r[1] for r in rows) == doc.stats.recognition_requests
    assert sum(r[2] for r in rows) == doc.stats.official_requests
    assert doc.stats.recognition_requests > 0
    assert doc.status == "success"
    with capsys.disabled():
        for number, sent, official, furniture in rows:
            print(
                f"\n{name} page {number}: {sent} requests, official {official}, "
                f"furniture saved {furniture}",
                end="",
            )
        print()

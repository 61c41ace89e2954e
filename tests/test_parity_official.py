"""Parity with the official client: ``paddleocr.PaddleOCRVL(pipeline_version="v1")`` and docparse
(API and CLI) parse the same page image with the same layout model and the same vLLM server.

Both use the tiny PP-DocLayoutV2 stand-in (every layout post-processing and clean-up rule, an
up-down and a cross merge, a table, a formula, a picture, furniture) and the fake vLLM server,
which builds every answer from the crop's own hash and size, so a crop that differs by one byte
gives different content. Compared block for block: label, bbox, ``block_id`` (list order),
``block_order``, ``group_id``, content; then ``layout_det_res``, the page fields, every request
body and the Markdown. Each difference that remains is one of docparse's deliberate differences
(docs/layout-pp-doclayoutv2.md), asserted here explicitly:

* crops with a side under 28 px are centred on white before sending (figure title, page number);
* merged group members have ``status: "merged"``; docparse adds ``order``, ``source``, ...;
* titles are re-levelled on the document (``1. Title`` is ``##``, upstream ``###``);
* Markdown leaves no blank piece for blocks without content (upstream adds ``"\\n\\n"`` each);
* pictures live in ``imgs/<stem>/`` in the CLI output (upstream ``imgs/``);
* ``model_settings.return_layout_polygon_points`` is false and docparse adds its own keys;
  ``layout_det_res`` scores are rounded to 6 decimals;
* without ``keep_furniture``: header, footer and page number are not sent (``skipped``, "").

Skipped unless the official client is installed (``bash scripts/install paddle,test``).
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import json
import os
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from official_client import OfficialPage, official_client_dir, run_official
from PIL import Image, ImageDraw, ImageFont

pytestmark = [
    pytest.mark.paddle,
    pytest.mark.slow,
    pytest.mark.skipif(
        official_client_dir() is None or importlib.util.find_spec("paddlex") is None,
        reason="needs paddlex and the official client: bash scripts/install paddle,test",
    ),
]

#: Letter size at 144 dpi, what docparse renders a PDF page to by default.
PAGE_W, PAGE_H = 1224, 1584
MIN_SIDE = 28
OCR_ANSWER = "1. Text {sha8} of {width}x{height}\nsecond line {sha8}"
TABLE_ANSWER = "<fcel>Head {sha8}<lcel><nl><fcel>{width}<fcel>{height}<nl>"
FORMULA_ANSWER = "\\[x_{sha8}=\\frac{{width}}{{height}}\\]"
FURNITURE = {"header", "footer", "number"}
MARKDOWN_HANDLED_TEXT = {
    "text",
    "paragraph_title",
    "doc_title",
    "figure_title",
    "reference_content",
}


def draw_page(path: Path) -> Path:
    """A white page with dark lines of text inside every scripted layout box."""
    from docparse.testing.tiny_layout_model import DEFAULT_SCRIPT

    image = Image.new("RGB", (PAGE_W, PAGE_H), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(14)
    for i, box in enumerate(DEFAULT_SCRIPT):
        x1, y1, x2, y2 = (
            box.box[0] * PAGE_W,
            box.box[1] * PAGE_H,
            box.box[2] * PAGE_W,
            box.box[3] * PAGE_H,
        )
        if box.label == "image":
            if box.box != (0.0, 0.0, 1.0, 1.0):
                draw.ellipse((x1 + 20, y1 + 20, x2 - 20, y2 - 20), outline=(40, 80, 160), width=5)
            continue
        lines = max(1, int((y2 - y1 - 4) // 18))
        for n in range(lines):
            # Text starts a few pixels in, so the formula crop has a margin to trim.
            draw.text(
                (x1 + 6, y1 + 4 + 18 * n),
                f"{box.label} {i} line {n} lorem",
                fill=(20, 20, 20),
                font=font,
            )
    image.save(path)
    return path


def jpeg_sha(pixels: np.ndarray[Any, Any]) -> str:
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="JPEG")
    return hashlib.sha256(buf.getvalue()).hexdigest()


def centred_on_white(pixels: np.ndarray[Any, Any], height: int, width: int) -> np.ndarray[Any, Any]:
    canvas = np.full((height, width, 3), 255, dtype=np.uint8)
    top, left = (height - pixels.shape[0]) // 2, (width - pixels.shape[1]) // 2
    canvas[top : top + pixels.shape[0], left : left + pixels.shape[1]] = pixels
    return canvas


def request_key(request: dict[str, Any]) -> tuple[str, int, int, str]:
    image = request["image"]
    return (request["prompt"], image["width"], image["height"], image["sha256"])


def body_without_image(request: dict[str, Any]) -> str:
    body = json.loads(json.dumps(request["body"]))
    for part in body["messages"][0]["content"]:
        if part["type"] == "image_url":
            part["image_url"]["url"] = "<image>"
    return json.dumps(body, sort_keys=True)


@dataclass
class Run:
    document: dict[str, Any]
    markdown: str
    requests: list[dict[str, Any]]
    images: dict[str, bytes]


@dataclass
class Parity:
    page_png: Path
    official: OfficialPage
    official_requests: list[dict[str, Any]]
    api: Run
    cli: Run
    api_default: Run
    cli_default: Run

    @property
    def page_rgb(self) -> np.ndarray[Any, Any]:
        return np.asarray(Image.open(self.page_png).convert("RGB"))


def _api_run(server: Any, page: Path, model_dir: Path, **overrides: Any) -> Run:
    import docparse

    start = len(server.requests())
    doc = docparse.parse(
        page, layout_model_dir=model_dir, server_url=[server.url], text_layer="off", **overrides
    )
    markdown = doc.to_markdown(per_page=True, image_dir="imgs")  # the official folder
    assert isinstance(markdown, list)
    return Run(
        doc.to_dict(volatile=False), markdown[0], server.requests()[start:], dict(doc.images)
    )


def _cli_run(server: Any, page: Path, model_dir: Path, out: Path, *flags: str) -> Run:
    from docparse.cli import main

    start = len(server.requests())
    args = ["parse", str(page), "--layout-model-dir", str(model_dir), "--server", server.url]
    assert main([*args, *flags, "-o", str(out), "--quiet"]) == 0
    document = json.loads((out / "page.json").read_text(encoding="utf-8"))
    document.pop("stats")
    images = {p.relative_to(out).as_posix(): p.read_bytes() for p in (out / "imgs").rglob("*.jpg")}
    markdown = (out / "page.md").read_text(encoding="utf-8")
    return Run(document, markdown, server.requests()[start:], images)


@pytest.fixture(scope="module")
def parity(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Parity]:
    from docparse.testing import AnswerRule, FakeVLLMConfig, start_fake_vllm
    from docparse.testing.tiny_layout_model import build_tiny_layout_model

    tmp = tmp_path_factory.mktemp("parity")
    page = draw_page(tmp / "page.png")
    model_dir = build_tiny_layout_model(tmp / "PP-DocLayoutV2")
    rules = (
        AnswerRule(prompt="OCR:", answer=OCR_ANSWER),
        AnswerRule(prompt="Table Recognition:", answer=TABLE_ANSWER),
        AnswerRule(prompt="Formula Recognition:", answer=FORMULA_ANSWER),
    )
    with pytest.MonkeyPatch.context() as mp:
        for key in list(os.environ):
            if key.startswith("DOCPARSE_"):
                mp.delenv(key)
        with start_fake_vllm(FakeVLLMConfig(rules=rules, strict=True)) as server:
            official = run_official(
                page, model_dir=model_dir, server_url=server.url, out_dir=tmp / "official"
            )
            official_requests = server.requests()
            yield Parity(
                page_png=page,
                official=official,
                official_requests=official_requests,
                api=_api_run(server, page, model_dir, keep_furniture=True),
                cli=_cli_run(server, page, model_dir, tmp / "cli", "--keep-furniture"),
                api_default=_api_run(server, page, model_dir),
                cli_default=_cli_run(server, page, model_dir, tmp / "cli-default"),
            )


def _official_blocks(parity: Parity) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = parity.official.result["parsing_res_list"]
    return blocks


def _blocks(run: Run) -> list[dict[str, Any]]:
    (page,) = run.document["pages"]
    blocks: list[dict[str, Any]] = page["parsing_res_list"]
    return blocks


def _padded(parity: Parity) -> dict[tuple[str, int, int, str], tuple[str, int, int, str]]:
    """The official request of each crop docparse pads -> the request docparse sends instead."""
    rgb = parity.page_rgb
    out = {}
    for block in _official_blocks(parity):
        x1, y1, x2, y2 = block["block_bbox"]
        crop = rgb[y1:y2, x1:x2]
        h, w = crop.shape[:2]
        if block["block_content"] == "" or min(h, w) >= MIN_SIDE:
            continue
        assert block["block_label"] not in ("table", "display_formula")
        padded = centred_on_white(crop, max(h, MIN_SIDE), max(w, MIN_SIDE))
        official = ("OCR:", w, h, jpeg_sha(crop))
        out[official] = ("OCR:", padded.shape[1], padded.shape[0], jpeg_sha(padded))
    return out


def _content_after_padding(
    content: str, padded: dict[tuple[str, int, int, str], tuple[str, int, int, str]]
) -> str:
    """Official content (a block's, or Markdown) with each answer to a crop docparse pads
    replaced by the answer to the padded crop (the fake server's answers name sha and size)."""
    for (_, w, h, sha), (_, pw, ph, psha) in padded.items():
        if sha[:8] in content:
            content = content.replace(sha[:8], psha[:8]).replace(f"{w}x{h}", f"{pw}x{ph}")
    return content


def test_the_page_exercises_merging_padding_formula_table_and_furniture(parity: Parity) -> None:
    labels = [b["block_label"] for b in _official_blocks(parity)]
    assert labels == [
        "header", "doc_title", "paragraph_title", "text", "text", "image", "figure_title",
        "display_formula", "text", "text", "table", "text", "reference_content", "number", "footer",
    ]  # fmt: skip
    groups = Counter(b["group_id"] for b in _official_blocks(parity))
    assert sorted(n for n in groups.values() if n > 1) == [2, 2]  # up-down and cross merge
    # The figure title (428x24) and the page number (6x25) are the crops docparse pads.
    assert sorted((k[1], k[2]) for k in _padded(parity)) == [(6, 25), (428, 24)]
    assert len(parity.official_requests) == 12


def test_requests_are_the_official_ones_except_padded_crops(parity: Parity) -> None:
    padded = _padded(parity)
    official = Counter(padded.get(k, k) for k in map(request_key, parity.official_requests))
    for run in (parity.api, parity.cli):
        assert Counter(map(request_key, run.requests)) == official
        # Every other field of every request body is the official one.
        assert sorted(map(body_without_image, run.requests)) == sorted(
            map(body_without_image, parity.official_requests)
        )
    # The formula crop (734x79 box) was trimmed by crop_margin, on both sides the same bytes.
    ((_, width, height, _),) = [k for k in official if k[0] == "Formula Recognition:"]
    assert width < 734 - 100 and height < 79


def test_blocks_match_the_official_blocks_one_for_one(parity: Parity) -> None:
    padded = _padded(parity)
    official = _official_blocks(parity)
    for run in (parity.api, parity.cli):
        ours = _blocks(run)
        assert len(ours) == len(official)
        for mine, theirs in zip(ours, official, strict=True):
            for key in ("block_label", "block_bbox", "block_id", "block_order", "group_id"):
                assert mine[key] == theirs[key], (key, mine, theirs)
            assert mine["block_content"] == _content_after_padding(theirs["block_content"], padded)
            assert mine["order"] == mine["block_id"]
            member = mine["group_id"] != mine["block_id"]
            assert mine["status"] == ("merged" if member else "ok")
            assert mine["source"] == ("image" if mine["block_label"] == "image" else "vlm")
    # Content is exactly the server's answer: LaTeX rewritten, OTSL as HTML, as upstream.
    by_label = {b["block_label"]: b["block_content"] for b in _blocks(parity.api)}
    assert re.fullmatch(
        r" \$\$ x_[0-9a-f]{8}=\\frac\{\d+\}\{\d+\} \$\$ ", by_label["display_formula"]
    )
    assert re.fullmatch(
        r'<table><tr><td colspan="2">Head [0-9a-f]{8}</td></tr><tr><td>1028</td><td>317</td></tr></table>',
        by_label["table"],
    )


def test_layout_result_and_page_fields_match(parity: Parity) -> None:
    official = parity.official.result
    for run in (parity.api, parity.cli):
        (page,) = run.document["pages"]
        for key in ("input_path", "page_index", "page_count", "width", "height"):
            assert page[key] == official[key]
        boxes = page["layout_det_res"]["boxes"]
        assert len(boxes) == len(official["layout_det_res"]["boxes"]) == 18
        for mine, theirs in zip(boxes, official["layout_det_res"]["boxes"], strict=True):
            assert {k: mine[k] for k in ("cls_id", "label", "coordinate", "order")} == {
                k: theirs[k] for k in ("cls_id", "label", "coordinate", "order")
            }
            # docparse rounds scores to 6 decimals; upstream prints float32 values.
            assert mine["score"] == pytest.approx(theirs["score"], abs=1e-6)
        settings = page["model_settings"]
        expected = dict(official["model_settings"], return_layout_polygon_points=False)
        assert {k: settings[k] for k in expected} == expected
        assert official["model_settings"]["return_layout_polygon_points"] is True
        assert settings["pipeline_version"] == "v1"  # auto: the server serves PaddleOCR-VL-0.9B
        assert set(settings) - set(expected) == {
            "pipeline_version",
            "layout",
            "recognizer",
            "text_layer",
            "keep_furniture",
        }


def _collapse_blank_lines(markdown: str) -> str:
    return re.sub(r"\n{3,}", "\n\n", markdown)


def test_markdown_matches_the_official_save_to_markdown(parity: Parity) -> None:
    padded = _padded(parity)
    official = _content_after_padding(parity.official.markdown, padded)
    # docparse re-levels titles over the document; upstream counts the dots of "1. Text".
    (title,) = [b for b in _blocks(parity.api) if b["block_label"] == "paragraph_title"]
    assert title["title_level"] == 1
    heading = " ".join(title["block_content"].split("\n"))
    assert f"\n### {heading}\n" in official
    official = official.replace(f"\n### {heading}\n", f"\n## {heading}\n")
    # Upstream appends "\n\n" + "" for every block with a Markdown handler and no content
    # (the merged members); docparse leaves nothing. Only the blank-line runs differ.
    empty = [
        b for b in _official_blocks(parity)
        if b["block_content"] == "" and b["block_label"] in MARKDOWN_HANDLED_TEXT
    ]  # fmt: skip
    assert len(empty) == 2
    ours = parity.api.markdown
    assert _collapse_blank_lines(ours) == _collapse_blank_lines(official)
    assert len(official) - len(ours) == len("\n\n") * len(empty)
    (doc_title,) = [b for b in _blocks(parity.api) if b["block_label"] == "doc_title"]
    assert ours.startswith("# " + doc_title["block_content"].replace("\n", " ") + "\n\n## 1. Text ")
    # The CLI writes the same Markdown, its pictures under imgs/<stem>/.
    assert parity.cli.markdown.replace("imgs/page/", "imgs/") == ours
    (picture,) = parity.official.images
    assert picture == "imgs/img_in_image_box_514_238_1126_602.jpg"
    assert f'<img src="{picture}" alt="Image" width="50%" />' in ours
    name = picture.removeprefix("imgs/")
    assert parity.api.images[name] == parity.official.images[picture]
    assert parity.cli.images[f"imgs/page/{name}"] == parity.official.images[picture]


def _request_of(block: dict[str, Any], requests: list[dict[str, Any]]) -> tuple[str, int, int, str]:
    """The request whose answer is ``block``'s content (answers name their crop's sha256)."""
    (found,) = [r for r in requests if r["image"]["sha256"][:8] in block["block_content"]]
    return request_key(found)


def test_without_keep_furniture_only_furniture_differs(parity: Parity) -> None:
    for default, kept in ((parity.api_default, parity.api), (parity.cli_default, parity.cli)):
        furniture = [b for b in _blocks(kept) if b["block_label"] in FURNITURE]
        assert len(furniture) == 3 and all(b["status"] == "ok" for b in furniture)
        for mine, full in zip(_blocks(default), _blocks(kept), strict=True):
            if mine["block_label"] in FURNITURE:
                assert (mine["block_content"], mine["status"], mine["source"]) == (
                    "",
                    "skipped",
                    "none",
                )
                mine = dict(mine, block_content=full["block_content"], status="ok", source="vlm")
            assert mine == full
        assert default.markdown == kept.markdown
        # Exactly the furniture crops are not sent; every other request is the same.
        missing = Counter(map(request_key, kept.requests)) - Counter(
            map(request_key, default.requests)
        )
        assert missing == Counter(_request_of(b, kept.requests) for b in furniture)
        assert len(default.requests) == len(kept.requests) - 3
        assert default.document["pages"][0]["model_settings"]["keep_furniture"] is False

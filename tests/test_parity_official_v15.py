"""Parity with the official client for PaddleOCR-VL 1.5 and 1.6 (PP-DocLayoutV3).

``paddleocr.PaddleOCRVL(pipeline_version="v1.5"|"v1.6", use_seal_recognition=True)`` and
docparse (API and CLI, ``--seal-recognition``, pipeline version left on ``auto``) parse the same
page with the tiny PP-DocLayoutV3 stand-in against a fake vLLM server serving
``PaddleOCR-VL-1.5-0.9B`` / ``PaddleOCR-VL-1.6-0.9B``. docparse must pick the version from the
served name; then request bodies, crops (a tilted picture and a tilted text line whose polygons
whiten the crop sent to the server), blocks (labels, boxes, ``block_polygon_points``, order, groups, content),
``layout_det_res`` (with ``polygon_points``), the saved pictures (polygon picture and the seal)
and the Markdown are compared. The deliberate differences are v1's (tests/test_parity_official.py,
docs/layout-pp-doclayoutv2.md): crops under 28 px padded, title levels, blank-line runs,
docparse's extra keys.

Skipped unless the official client is installed (``bash scripts/install paddle,test``).
"""

from __future__ import annotations

import importlib.util
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
from test_parity_official import (
    MIN_SIDE,
    Run,
    _api_run,
    _cli_run,
    _collapse_blank_lines,
    body_without_image,
    centred_on_white,
    jpeg_sha,
    request_key,
)

pytestmark = [
    pytest.mark.paddle,
    pytest.mark.slow,
    pytest.mark.skipif(
        official_client_dir() is None or importlib.util.find_spec("paddlex") is None,
        reason="needs paddlex and the official client: bash scripts/install paddle,test",
    ),
]

PAGE_W, PAGE_H = 1224, 1584
OCR_ANSWER = "1. Text {sha8} of {width}x{height}\nsecond line {sha8}"
TABLE_ANSWER = "<fcel>Head {sha8}<lcel><nl><fcel>{width}<fcel>{height}<nl>"
FORMULA_ANSWER = "\\[x_{sha8}=\\frac{{width}}{{height}}\\]"
SEAL_ANSWER = "Seal {sha8} Co. Ltd."


def draw_page(path: Path) -> Path:
    """A white page with text in every scripted box, a picture and a red stamp."""
    from docparse.testing.tiny_layout_model import DEFAULT_V3_SCRIPT

    image = Image.new("RGB", (PAGE_W, PAGE_H), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(14)
    for i, box in enumerate(DEFAULT_V3_SCRIPT):
        x1, y1 = box.box[0] * PAGE_W, box.box[1] * PAGE_H
        x2, y2 = box.box[2] * PAGE_W, box.box[3] * PAGE_H
        if box.label == "image":
            if box.box != (0.0, 0.0, 1.0, 1.0):
                # Reaches the box corners, so the polygon whitens part of it.
                draw.rectangle((x1 + 2, y1 + 2, x2 - 2, y2 - 2), outline=(40, 80, 160), width=6)
                draw.ellipse((x1 + 20, y1 + 20, x2 - 20, y2 - 20), outline=(40, 80, 160), width=5)
            continue
        if box.label == "seal":
            draw.ellipse((x1 + 4, y1 + 2, x2 - 4, y2 - 2), outline=(200, 30, 30), width=3)
            draw.text((x1 + 40, y1 + 24), "SEAL CO. LTD", fill=(200, 30, 30), font=font)
            continue
        lines = max(1, int((y2 - y1 - 4) // 18))
        for n in range(lines):
            draw.text(
                (x1 + 6, y1 + 4 + 18 * n),
                f"{box.label} {i} line {n} lorem ipsum dolor sit amet consectetur",
                fill=(20, 20, 20),
                font=font,
            )
    image.save(path)
    return path


@dataclass
class Parity:
    version: str
    page_png: Path
    official: OfficialPage
    official_requests: list[dict[str, Any]]
    api: Run
    cli: Run

    @property
    def page_rgb(self) -> np.ndarray[Any, Any]:
        return np.asarray(Image.open(self.page_png).convert("RGB"))


@pytest.fixture(scope="module", params=["v1.5", "v1.6"])
def parity(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Parity]:
    from docparse.testing import AnswerRule, FakeVLLMConfig, start_fake_vllm
    from docparse.testing.tiny_layout_model import build_tiny_layout_v3_model

    version: str = request.param
    tmp = tmp_path_factory.mktemp(f"parity-{version}")
    page = draw_page(tmp / "page.png")
    model_dir = build_tiny_layout_v3_model(tmp / "PP-DocLayoutV3")
    rules = (
        AnswerRule(prompt="OCR:", answer=OCR_ANSWER),
        AnswerRule(prompt="Table Recognition:", answer=TABLE_ANSWER),
        AnswerRule(prompt="Formula Recognition:", answer=FORMULA_ANSWER),
        AnswerRule(prompt="Seal Recognition:", answer=SEAL_ANSWER),
    )
    served = f"PaddleOCR-VL-{version[1:]}-0.9B"
    with pytest.MonkeyPatch.context() as mp:
        for key in list(os.environ):
            if key.startswith("DOCPARSE_"):
                mp.delenv(key)
        config = FakeVLLMConfig(models=(served,), rules=rules, strict=True)
        with start_fake_vllm(config) as server:
            official = run_official(
                page, model_dir=model_dir, server_url=server.url, out_dir=tmp / "official",
                pipeline_version=version, seal_recognition=True,
            )  # fmt: skip
            official_requests = server.requests()
            yield Parity(
                version=version,
                page_png=page,
                official=official,
                official_requests=official_requests,
                api=_api_run(
                    server, page, model_dir, keep_furniture=True, seal_recognition=True
                ),
                cli=_cli_run(
                    server, page, model_dir, tmp / "cli", "--keep-furniture", "--seal-recognition"
                ),
            )


def _official_blocks(parity: Parity) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = parity.official.result["parsing_res_list"]
    return blocks


def _blocks(run: Run) -> list[dict[str, Any]]:
    (page,) = run.document["pages"]
    blocks: list[dict[str, Any]] = page["parsing_res_list"]
    return blocks


def _official_crop(rgb: np.ndarray[Any, Any], block: dict[str, Any]) -> np.ndarray[Any, Any]:
    """The crop upstream ``CropByBoxes`` makes: the box, white outside the polygon."""
    import cv2

    x1, y1, x2, y2 = block["block_bbox"]
    crop = rgb[y1:y2, x1:x2].copy()
    points = np.array(block["block_polygon_points"], dtype=np.int32).reshape((-1, 1, 2))
    mask = np.zeros(crop.shape[:2], dtype=np.int32)
    cv2.fillPoly(mask, [points - np.array([x1, y1])], 1)
    crop[~mask.astype(bool)] = 255
    return crop


def _padded(parity: Parity) -> dict[tuple[str, int, int, str], tuple[str, int, int, str]]:
    """The official request of each crop docparse pads -> the request docparse sends instead."""
    rgb = parity.page_rgb
    out = {}
    for block in _official_blocks(parity):
        crop = _official_crop(rgb, block)
        h, w = crop.shape[:2]
        if block["block_content"] == "" or min(h, w) >= MIN_SIDE:
            continue
        padded = centred_on_white(crop, max(h, MIN_SIDE), max(w, MIN_SIDE))
        official = ("OCR:", w, h, jpeg_sha(crop))
        out[official] = ("OCR:", padded.shape[1], padded.shape[0], jpeg_sha(padded))
    return out


def _after_padding(content: str, padded: dict[tuple[str, int, int, str], tuple[str, int, int, str]]) -> str:
    for (_, w, h, sha), (_, pw, ph, psha) in padded.items():
        if sha[:8] in content:
            content = content.replace(sha[:8], psha[:8]).replace(f"{w}x{h}", f"{pw}x{ph}")
    return content


def test_docparse_picks_the_version_from_the_served_model(parity: Parity) -> None:
    for run in (parity.api, parity.cli):
        (page,) = run.document["pages"]
        assert page["model_settings"]["pipeline_version"] == parity.version
        assert page["model_settings"]["layout"] == "pp-doclayoutv3"
    served = {r["body"]["model"] for r in parity.official_requests}
    assert served == {f"PaddleOCR-VL-{parity.version[1:]}-0.9B"}


def test_the_page_exercises_polygons_seal_merges_and_threshold(parity: Parity) -> None:
    blocks = _official_blocks(parity)
    labels = [b["block_label"] for b in blocks]
    assert labels == [
        "header", "doc_title", "paragraph_title", "text", "text", "image", "figure_title",
        "display_formula", "text", "text", "seal", "table", "text", "reference_content",
        "number", "footer",
    ]  # fmt: skip
    # The flat 0.3 threshold keeps the 0.32 formula; two tilted masks give non-rectangles.
    tilted = [b["block_label"] for b in blocks if len(b["block_polygon_points"]) != 4
              or b["block_polygon_points"][0] != [b["block_bbox"][0], b["block_bbox"][1]]]
    assert tilted == ["image", "text"]
    groups = Counter(b["group_id"] for b in blocks)
    assert sorted(n for n in groups.values() if n > 1) == [2, 2]
    prompts = Counter(r["prompt"] for r in parity.official_requests)
    assert prompts["Seal Recognition:"] == 1


def test_requests_are_the_official_ones_except_padded_crops(parity: Parity) -> None:
    padded = _padded(parity)
    assert sorted((k[1], k[2]) for k in padded) == [(6, 25), (428, 24)]
    official = Counter(padded.get(k, k) for k in map(request_key, parity.official_requests))
    for run in (parity.api, parity.cli):
        assert Counter(map(request_key, run.requests)) == official
        assert sorted(map(body_without_image, run.requests)) == sorted(
            map(body_without_image, parity.official_requests)
        )
        # The tilted text line went out white outside its polygon, as upstream sends it.
        (line,) = [b for b in _official_blocks(parity) if b["block_label"] == "text"
                   and len(b["block_polygon_points"]) != 4]
        x1, y1, x2, y2 = line["block_bbox"]
        whitened = _official_crop(parity.page_rgb, line)
        assert jpeg_sha(whitened) != jpeg_sha(parity.page_rgb[y1:y2, x1:x2])
        assert ("OCR:", x2 - x1, y2 - y1, jpeg_sha(whitened)) in Counter(map(request_key, run.requests))
        # Exactly one "Seal Recognition:" request, for the one seal.
        assert [r["prompt"] for r in run.requests].count("Seal Recognition:") == 1


def test_blocks_and_polygons_match_the_official_blocks(parity: Parity) -> None:
    padded = _padded(parity)
    official = _official_blocks(parity)
    for run in (parity.api, parity.cli):
        ours = _blocks(run)
        assert len(ours) == len(official)
        for mine, theirs in zip(ours, official, strict=True):
            for key in ("block_label", "block_bbox", "block_id", "block_order", "group_id"):
                assert mine[key] == theirs[key], (key, mine, theirs)
            assert mine["block_polygon_points"] == theirs["block_polygon_points"]
            assert mine["block_content"] == _after_padding(theirs["block_content"], padded)
    (seal,) = [b for b in _blocks(parity.api) if b["block_label"] == "seal"]
    assert re.fullmatch(r"Seal [0-9a-f]{8} Co\. Ltd\.", seal["block_content"])
    assert seal["image"] is not None and seal["source"] == "vlm"


def test_layout_result_and_model_settings_match(parity: Parity) -> None:
    official = parity.official.result
    for run in (parity.api, parity.cli):
        (page,) = run.document["pages"]
        boxes = page["layout_det_res"]["boxes"]
        assert len(boxes) == len(official["layout_det_res"]["boxes"])
        keys = ("cls_id", "label", "coordinate", "order", "polygon_points")
        for mine, theirs in zip(boxes, official["layout_det_res"]["boxes"], strict=True):
            assert {k: mine[k] for k in keys} == {k: theirs[k] for k in keys}
            assert mine["score"] == pytest.approx(theirs["score"], abs=1e-6)
        settings = page["model_settings"]
        expected = official["model_settings"]
        assert expected["use_seal_recognition"] is True
        assert expected["return_layout_polygon_points"] is True
        assert {k: settings[k] for k in expected} == expected


def test_markdown_and_pictures_match(parity: Parity) -> None:
    padded = _padded(parity)
    official = _after_padding(parity.official.markdown, padded)
    (title,) = [b for b in _blocks(parity.api) if b["block_label"] == "paragraph_title"]
    heading = " ".join(title["block_content"].split("\n"))
    # docparse re-levels titles over the document (reference: v1 parity test).
    official = official.replace(f"\n### {heading}\n", f"\n## {heading}\n")
    ours = parity.api.markdown
    assert _collapse_blank_lines(ours) == _collapse_blank_lines(official)
    assert parity.cli.markdown.replace("imgs/page/", "imgs/") == ours
    assert sorted(parity.official.images) == [
        "imgs/img_in_image_box_514_238_1126_602.jpg",
        "imgs/img_in_seal_box_808_879_1053_946.jpg",
    ]
    for path, data in parity.official.images.items():
        name = path.removeprefix("imgs/")
        assert parity.api.images[name] == data
        assert parity.cli.images[f"imgs/page/{name}"] == data
    # The saved picture is the whole box (upstream saves its plain figure crops), though the
    # polygon is not a rectangle: the frame drawn in the box corners is still there.
    import io

    picture = np.asarray(Image.open(io.BytesIO(parity.official.images[
        "imgs/img_in_image_box_514_238_1126_602.jpg"])).convert("L"))
    assert picture[4, 4] < 200 and picture[-5, -5] < 200

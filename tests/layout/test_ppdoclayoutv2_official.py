"""The official client and docparse's layout + clean-up + merge + stack send the same crops.

Runs ``paddleocr.PaddleOCRVL(pipeline_version="v1")`` with the tiny layout model against the
fake vLLM server, then builds the crops docparse's own stages would send and compares the
JPEG bytes (sha256) request by request. Formula crops are left out: ``crop_margin`` belongs
to the recognizer, not to these stages. The official client runs in a subprocess from the
folder ``scripts/install`` puts it in (``tests/official_client.py``), as the parity test does.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from docparse.blocks.merge import group_text_blocks
from docparse.blocks.overlap import filter_overlap_boxes
from docparse.blocks.routing import official_sends
from docparse.blocks.stack import stack_group_image
from docparse.layout.ppdoclayoutv2 import PPDocLayoutV2
from docparse.testing.tiny_layout_model import build_tiny_layout_model

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from official_client import official_client_dir, run_official

pytestmark = [
    pytest.mark.paddle,
    pytest.mark.slow,
    pytest.mark.skipif(
        official_client_dir() is None or importlib.util.find_spec("paddlex") is None,
        reason="needs the official client (bash scripts/install paddle,test)",
    ),
]


def _jpeg_sha(rgb: np.ndarray[Any, Any]) -> str:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="JPEG")  # PIL's default quality 75, as upstream
    return hashlib.sha256(buf.getvalue()).hexdigest()


def _docparse_crops(rgb: np.ndarray[Any, Any], model_dir: Path) -> list[tuple[int, int, str]]:
    kept = filter_overlap_boxes(PPDocLayoutV2(model_dir).detect([rgb])[0])
    out = []
    for group in group_text_blocks(kept, rgb.shape[1], rgb.shape[0]):
        lead = kept[group.indices[0]]
        if not official_sends(lead.label, chart_recognition=False) or "formula" in lead.label:
            continue
        crops = []
        for i in group.indices:
            x1, y1, x2, y2 = (int(v) for v in kept[i].bbox)
            crops.append(rgb[y1:y2, x1:x2])
        image = stack_group_image(crops, group.step_alignments)
        out.append((image.shape[1], image.shape[0], _jpeg_sha(image)))
    return sorted(out)


def test_same_crops_as_paddleocr_vl_v1(tmp_path: Path) -> None:
    from docparse.testing import FakeVLLMConfig, start_fake_vllm

    model_dir = build_tiny_layout_model(tmp_path / "PP-DocLayoutV2")
    rgb = np.random.default_rng(0).integers(0, 255, (1100, 850, 3), dtype=np.uint8)
    Image.fromarray(rgb).save(tmp_path / "page.png")
    with start_fake_vllm(FakeVLLMConfig()) as server:
        official_page = run_official(tmp_path / "page.png", model_dir=model_dir,
                                     server_url=server.url, out_dir=tmp_path / "official")
        requests = server.requests()
    official = sorted(
        (r["image"]["width"], r["image"]["height"], r["image"]["sha256"])
        for r in requests
        if r["prompt"] != "Formula Recognition:"
    )
    assert len(official) == 10
    assert (314, 264) in [o[:2] for o in official]  # the up-down merged pair
    assert _docparse_crops(rgb, model_dir) == official
    labels = [b["block_label"] for b in official_page.result["parsing_res_list"]]
    assert "reference" not in labels and labels.count("text") == 5

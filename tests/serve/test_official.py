"""``/layout-parsing`` and ``/restructure-pages`` against the official request and response
models that ship in paddlex (``inference/serving/schemas/paddleocr_vl.py``)."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import official_models
import pytest
from conftest import KEY_A
from serve_fixtures import ServeProcess

pytest.importorskip("paddlex")
schemas, infra = official_models.load()

OFFICIAL_CLIENT = Path(__file__).resolve().parents[2] / ".venv" / "official-client"


def b64(path: Path) -> str:
    return base64.b64encode(path.read_bytes()).decode("ascii")


def official_request(**fields: Any) -> dict[str, Any]:
    """A body as the official request model serialises it (validated by it first)."""
    return schemas.InferRequest(**fields).model_dump(mode="json", exclude_none=True)


def parse_official(body: dict[str, Any]) -> Any:
    return infra.AIStudioResultResponse[schemas.InferResult].model_validate(body)


def test_pdf_matches_the_official_response_model(service: ServeProcess, samples_dir: Path) -> None:
    with service.client(KEY_A) as c:
        r = c.post("/layout-parsing", json=official_request(file=b64(samples_dir / "report.pdf"),
                                                           fileType=0, logId="log-pdf-1"))
    assert r.status_code == 200, r.text
    resp = parse_official(r.json())
    assert resp.logId == "log-pdf-1" and resp.errorCode == 0
    result = resp.result
    assert result.dataInfo.type == "pdf" and result.dataInfo.numPages == 2
    pages = result.layoutParsingResults
    assert len(pages) == 2
    text = "\n".join(p.markdown.text for p in pages)
    assert "Quarterly Water Quality Report" in pages[0].markdown.text
    assert "Dissolved oxygen stayed above the legal minimum" in text
    for page in pages:
        pruned = json.dumps(page.prunedResult)
        # What the official prune_result drops is gone at every depth.
        assert '"input_path"' not in pruned and '"page_index"' not in pruned
        assert {"width", "height", "parsing_res_list", "model_settings"} <= set(page.prunedResult)
        for key, image in (page.markdown.images or {}).items():
            assert key.startswith("imgs/") and key in page.markdown.text
            assert base64.b64decode(image)[:3] == b"\xff\xd8\xff"  # JPEG
    assert r.headers["x-request-id"]


def test_image_through_the_vlm_has_the_pages_words(service: ServeProcess, samples_dir: Path,
                                                   reading_fake: Any) -> None:
    before = reading_fake.stats().received
    with service.client(KEY_A) as c:
        r = c.post("/layout-parsing", json=official_request(file=b64(samples_dir / "scan.png"),
                                                           fileType=1))
    assert r.status_code == 200, r.text
    result = parse_official(r.json()).result
    assert result.dataInfo.type == "image"
    assert (result.dataInfo.width, result.dataInfo.height) == (1240, 1755)
    (page,) = result.layoutParsingResults
    text = page.markdown.text
    # Read from the crops by the recognition server behind the service.
    assert "Industrial zone" in text and "Estuary" in text
    assert reading_fake.stats().received > before
    sources = {b["source"] for b in page.prunedResult["parsing_res_list"]}
    assert "vlm" in sources


def test_return_markdown_images_false(service: ServeProcess, samples_dir: Path) -> None:
    with service.client(KEY_A) as c:
        r = c.post("/layout-parsing", json=official_request(
            file=b64(samples_dir / "report.pdf"), fileType=0, returnMarkdownImages=False))
    pages = parse_official(r.json()).result.layoutParsingResults
    assert all(p.markdown.images is None for p in pages)


def test_official_errors_have_the_official_shape(service: ServeProcess, samples_dir: Path) -> None:
    with service.client(KEY_A) as c:
        bad = c.post("/layout-parsing", json={"file": b64(samples_dir / "report.pdf"), "topP": 2})
        missing = c.post("/layout-parsing", json={"fileType": 0})
        wrong_type = c.post("/layout-parsing", json={"file": b64(samples_dir / "scan.png"),
                                                     "fileType": 0})
        garbage = c.post("/layout-parsing", json={"file": base64.b64encode(b"not a document").decode()})
    for r in (bad, missing, wrong_type, garbage):
        assert r.status_code in (415, 422), r.text
        body = infra.AIStudioNoResultResponse.model_validate(r.json())
        assert body.errorCode == r.status_code and body.errorMsg
        assert "Traceback" not in r.text
    assert "topP" in bad.json()["errorMsg"]
    assert (garbage.status_code, garbage.json()["code"]) == (415, "unsupported_input")
    assert all(r.status_code == 422 for r in (bad, missing, wrong_type))


def test_restructure_pages_merges_across_pages(service: ServeProcess, samples_dir: Path) -> None:
    with service.client(KEY_A) as c:
        parsed = parse_official(c.post("/layout-parsing", json=official_request(
            file=b64(samples_dir / "report.pdf"), fileType=0)).json()).result
        pages = [{"prunedResult": p.prunedResult, "markdownImages": p.markdown.images}
                 for p in parsed.layoutParsingResults]
        body = schemas.RestructurePagesRequest(pages=pages, mergeTables=True, relevelTitles=True)
        r = c.post("/restructure-pages", json=body.model_dump(mode="json", exclude_none=True))
        assert r.status_code == 200, r.text
        out = infra.AIStudioResultResponse[schemas.RestructurePagesResult].model_validate(r.json())
        concat = c.post("/restructure-pages", json={"pages": pages, "concatenatePages": True})
    results = out.result.layoutParsingResults
    assert len(results) == 2
    assert "Quarterly Water Quality Report" in results[0].markdown.text
    # Titles are re-levelled across the document: section titles get their level.
    levels = [b.get("title_level") for p in results for b in p.prunedResult["parsing_res_list"]
              if b["block_label"] == "paragraph_title"]
    assert levels and all(isinstance(x, int) for x in levels)
    assert concat.status_code == 200
    (one,) = concat.json()["result"]["layoutParsingResults"]
    assert "Quarterly Water Quality Report" in one["markdown"]["text"]
    assert "Dissolved oxygen" in one["markdown"]["text"]


def test_restructure_pages_accepts_official_pages_without_docparse_keys(service: ServeProcess) -> None:
    page = {"width": 800, "height": 1000, "page_count": 1, "model_settings": {},
            "parsing_res_list": [
                {"block_label": "doc_title", "block_content": "Annual Report",
                 "block_bbox": [100, 50, 700, 100], "block_id": 0, "block_order": 1, "group_id": 0},
                {"block_label": "text", "block_content": "Revenue grew strongly.",
                 "block_bbox": [100, 150, 700, 200], "block_id": 1, "block_order": 2, "group_id": 1},
            ]}
    with service.client(KEY_A) as c:
        r = c.post("/restructure-pages", json={"pages": [{"prunedResult": page}]})
        bad = c.post("/restructure-pages", json={"pages": [{"prunedResult": {"width": "wide"}}]})
    assert r.status_code == 200, r.text
    text = r.json()["result"]["layoutParsingResults"][0]["markdown"]["text"]
    assert "# Annual Report" in text and "Revenue grew strongly." in text
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_request"


CLIENT_SCRIPT = r'''
import base64, json, sys
import requests
from paddleocr._api_client.models import PaddleOCRVLOptions
from paddleocr._api_client._poller import parse_doc_parsing_result

url, key, path = sys.argv[1:4]
payload = PaddleOCRVLOptions(use_chart_recognition=False, merge_tables=True,
                             restructure_pages=True, return_markdown_images=True).to_payload()
with open(path, "rb") as f:
    body = {"file": base64.b64encode(f.read()).decode("ascii"), "fileType": 0, **payload}
resp = requests.post(url + "/layout-parsing", json=body,
                     headers={"Authorization": "Bearer " + key}, timeout=300)
resp.raise_for_status()
result = parse_doc_parsing_result("job", [resp.json()])
print(json.dumps({"pages": len(result.pages), "data_info": result.data_info,
                  "text": "\n".join(p.markdown_text for p in result.pages)}))
'''


def test_official_client_request_and_parser(service: ServeProcess, samples_dir: Path,
                                            tmp_path: Path) -> None:
    """paddleocr's own client code builds the options payload and parses the result."""
    if not (OFFICIAL_CLIENT / "paddleocr").is_dir():
        pytest.skip("the official client is installed by `bash scripts/install test`")
    script = tmp_path / "client.py"
    script.write_text(CLIENT_SCRIPT)
    env = dict(os.environ, PYTHONPATH=str(OFFICIAL_CLIENT))
    out = subprocess.run([sys.executable, str(script), service.url, KEY_A,
                          str(samples_dir / "report.pdf")], capture_output=True, text=True,
                         env=env, timeout=300, check=False)
    assert out.returncode == 0, out.stderr[-3000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["pages"] == 2 and got["data_info"]["numPages"] == 2
    assert "Quarterly Water Quality Report" in got["text"]

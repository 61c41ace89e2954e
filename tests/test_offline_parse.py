"""A whole parse with networking unavailable: a new network namespace holding only loopback.

Inside it run the fake vLLM server (the only network peer docparse may use) and
``docparse parse`` with PP-DocLayoutV2 through paddlex (the tiny model in the real on-disk
format), then a second server serving PaddleOCR-VL-1.6 and a v1.6 parse (pipeline version
picked from the served model, PP-DocLayoutV3 tiny model, seal recognition on). Any attempt to
reach a model hub would fail there; both parses must succeed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.paddle]

SCRIPT = r"""
set -e
ip link set lo up
"$PY" -m docparse.testing.fake_vllm --port 0 > "$OUT/server.txt" 2>&1 &
SERVER=$!
for i in $(seq 1 100); do grep -q READY "$OUT/server.txt" 2>/dev/null && break; sleep 0.1; done
PORT=$(awk '/READY/ {print $2}' "$OUT/server.txt")
set +e
"$DOCPARSE" parse "$PAGE" -o "$OUT/result" --layout-model-dir "$MODEL" \
    --server "http://127.0.0.1:$PORT/v1" --quiet --cache-dir "$OUT/empty-cache"
CODE=$?
kill $SERVER
[ $CODE -eq 0 ] || exit $CODE
"$PY" -m docparse.testing.fake_vllm --port 0 --config "$CONFIG16" > "$OUT/server16.txt" 2>&1 &
SERVER=$!
for i in $(seq 1 100); do grep -q READY "$OUT/server16.txt" 2>/dev/null && break; sleep 0.1; done
PORT=$(awk '/READY/ {print $2}' "$OUT/server16.txt")
"$DOCPARSE" parse "$PAGE" -o "$OUT/result16" --layout-model-dir "$MODEL16" --seal-recognition \
    --server "http://127.0.0.1:$PORT/v1" --quiet --cache-dir "$OUT/empty-cache"
CODE=$?
kill $SERVER
exit $CODE
"""


def _netns_available() -> bool:
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return False
    probe = subprocess.run(["unshare", "-n", "ip", "link", "set", "lo", "up"], capture_output=True)
    return probe.returncode == 0


def test_parse_succeeds_with_no_network_but_the_vlm_server(tmp_path: Path, samples_dir: Path) -> None:
    pytest.importorskip("paddlex")
    if not _netns_available():
        pytest.skip("cannot create a network namespace here (needs root or user namespaces)")
    from docparse.testing import FakeVLLMConfig
    from docparse.testing.tiny_layout_model import (
        build_tiny_layout_model,
        build_tiny_layout_v3_model,
    )

    model = build_tiny_layout_model(tmp_path / "PP-DocLayoutV2")
    model16 = build_tiny_layout_v3_model(tmp_path / "PP-DocLayoutV3")
    page = tmp_path / "page.png"
    shutil.copy(samples_dir / "scan.png", page)
    bindir = Path(sys.executable).parent
    env = {
        "PATH": f"{bindir}:/usr/sbin:/usr/bin:/bin",
        "PY": sys.executable,
        "DOCPARSE": str(bindir / "docparse"),
        "PAGE": str(page),
        "MODEL": str(model),
        "MODEL16": str(model16),
        "CONFIG16": FakeVLLMConfig(models=("PaddleOCR-VL-1.6-0.9B",), strict=True).to_json(),
        "OUT": str(tmp_path),
        "HOME": str(tmp_path / "home"),
        # The code under test (a worktree) when it is not the installed checkout.
        "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
    }
    proc = subprocess.run(["unshare", "-n", "bash", "-c", SCRIPT], env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    doc = json.loads((tmp_path / "result" / "page.json").read_text())
    assert doc["status"] == "success"
    assert doc["stats"]["layout_backend"] == "pp-doclayoutv2"
    assert doc["stats"]["recognition_requests"] > 0
    blocks = doc["pages"][0]["parsing_res_list"]
    assert any(b["source"] == "vlm" and b["block_content"] for b in blocks)
    doc16 = json.loads((tmp_path / "result16" / "page.json").read_text())
    assert doc16["status"] == "success"
    assert doc16["stats"]["layout_backend"] == "pp-doclayoutv3"
    (page16,) = doc16["pages"]
    assert page16["model_settings"]["pipeline_version"] == "v1.6"
    assert page16["model_settings"]["use_seal_recognition"] is True
    blocks16 = page16["parsing_res_list"]
    assert all(b["block_polygon_points"] for b in blocks16)
    assert any(b["source"] == "vlm" and b["block_content"] for b in blocks16)
    (seal,) = [b for b in blocks16 if b["block_label"] == "seal"]
    assert seal["block_content"] and seal["image"]
    # Nothing was downloaded or cached by paddlex in the (fresh) home directory.
    assert not list((tmp_path / "home").rglob("official_models"))

"""PP-DocLayoutV2 loads and runs with no network at all (a fresh network namespace)."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from docparse.testing.tiny_layout_model import build_tiny_layout_model

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.paddle,
    pytest.mark.slow,
    pytest.mark.skipif(
        any(importlib.util.find_spec(m) is None for m in ("paddle", "paddlex", "pypdfium2")),
        reason="paddlex's predictor needs paddlepaddle, paddlex and pypdfium2",
    ),
]

CHILD = r"""
import json, socket, sys
from pathlib import Path
import numpy as np

# Prove the namespace really has no network before trusting the result.
try:
    socket.create_connection(("93.184.215.14", 443), timeout=2)
    reachable = True
except OSError:
    reachable = False

from docparse.layout.ppdoclayoutv2 import PPDocLayoutV2

regions = PPDocLayoutV2(Path(sys.argv[1])).detect([np.full((1100, 850, 3), 255, np.uint8)])[0]
print(json.dumps({"reachable": reachable, "labels": [r.label for r in regions]}))
"""


def _unshare_works() -> bool:
    if shutil.which("unshare") is None:
        return False
    return subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0


def test_detect_in_a_network_namespace_without_interfaces(tmp_path: Path) -> None:
    if not _unshare_works():
        pytest.skip("unshare -n needs root (or user namespaces) on this machine")
    model_dir = build_tiny_layout_model(tmp_path / "PP-DocLayoutV2")
    cache = tmp_path / "paddlex-cache"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        # A fresh cache: afterwards it must hold no downloaded model.
        "PADDLE_PDX_CACHE_HOME": str(cache),
    }
    env.pop("PADDLE_PDX_DISABLE_MODEL_SOURCE_CHECK", None)
    proc = subprocess.run(
        ["unshare", "-n", sys.executable, "-c", CHILD, str(model_dir)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["reachable"] is False
    assert result["labels"][:3] == ["header", "doc_title", "paragraph_title"]
    assert len(result["labels"]) == 18
    assert not (cache / "official_models").exists()

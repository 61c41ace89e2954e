"""Run the official client, ``paddleocr.PaddleOCRVL(pipeline_version=...)``, in a subprocess.

``paddleocr`` is not installed in the venv: installing it there would downgrade
opencv-contrib and add aiohttp and more. ``bash scripts/install test`` puts ``paddleocr`` and
the few packages it imports (aiohttp and its dependencies) into :data:`OFFICIAL_CLIENT_DIR`,
without their own dependencies; paddlex, paddle, openai, numpy and the rest come from the venv.
A subprocess keeps that folder off the test process's ``sys.path``, and keeps paddlex's
global state (its flags, its asyncio thread) out of it too.

As a script (what :func:`run_official` starts)::

    python tests/official_client.py IMAGE --model-dir DIR --server URL --out DIR \
        [--pipeline-version v1.5] [--seal-recognition]

writes ``DIR/result.json`` (the official ``res.json["res"]``) and, through the official
``save_to_markdown``, ``DIR/md/<stem>.md`` and the pictures under ``DIR/md/imgs/``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
#: Where ``scripts/install`` puts the official client (``pip install --target``).
OFFICIAL_CLIENT_DIR = ROOT / ".venv" / "official-client"
#: The official client the parity test is written against.
PADDLEOCR_VERSION = "3.7.0"


@dataclass(frozen=True)
class OfficialPage:
    """What the official client produced for one page image."""

    #: ``res.json["res"]``: ``parsing_res_list``, ``layout_det_res``, ``model_settings``, ...
    result: dict[str, Any]
    #: The Markdown text ``save_to_markdown`` wrote.
    markdown: str
    #: Picture files it wrote next to the Markdown, by path relative to the Markdown.
    images: dict[str, bytes]


def official_client_dir(path: Path = OFFICIAL_CLIENT_DIR) -> Path | None:
    """``path`` if it holds paddleocr :data:`PADDLEOCR_VERSION` (else None)."""
    if (path / f"paddleocr-{PADDLEOCR_VERSION}.dist-info").is_dir():
        return path
    return None


def run_official(
    image: Path,
    *,
    model_dir: Path,
    server_url: str,
    out_dir: Path,
    client_dir: Path = OFFICIAL_CLIENT_DIR,
    timeout: float = 300.0,
    pipeline_version: str = "v1",
    seal_recognition: bool = False,
) -> OfficialPage:
    """Parse ``image`` with the official client against ``server_url`` in a fresh process.

    paddlex's cache home is ``out_dir/paddlex-home`` so the run writes nothing under ``~``.
    A failing run raises ``AssertionError`` with the child's stderr.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(client_dir), str(ROOT)])
    env["PADDLE_PDX_CACHE_HOME"] = str(out_dir / "paddlex-home")
    # paddlex reads this once, on import: no 1-second HEAD probes to model hosts.
    env["PADDLE_PDX_DISABLE_MODEL_SOURCE_CHECK"] = "True"
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        str(image),
        "--model-dir",
        str(model_dir),
        "--server",
        server_url,
        "--out",
        str(out_dir),
        "--pipeline-version",
        pipeline_version,
        *(["--seal-recognition"] if seal_recognition else []),
    ]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise AssertionError(f"official client failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    result = json.loads((out_dir / "result.json").read_text(encoding="utf-8"))
    md_dir = out_dir / "md"
    (md_file,) = sorted(md_dir.glob("*.md"))
    images = {
        p.relative_to(md_dir).as_posix(): p.read_bytes()
        for p in sorted(md_dir.rglob("*"))
        if p.is_file() and p != md_file
    }
    return OfficialPage(result=result, markdown=md_file.read_text(encoding="utf-8"), images=images)


def _predict(
    image: Path,
    model_dir: Path,
    server_url: str,
    out_dir: Path,
    pipeline_version: str = "v1",
    seal_recognition: bool = False,
) -> None:
    """The child's work: the official pipeline, as a user of paddleocr would run it."""
    import paddlex.utils.deps

    # paddlex checks its whole [ocr] extra (scipy, scikit-learn, lxml, ...) before building
    # the pipeline; the single-page v1 path imports none of them, and none is in the venv.
    paddlex.utils.deps.is_extra_available = lambda *a, **k: True
    from paddleocr import PaddleOCRVL  # type: ignore[import-not-found]

    extra = {"use_seal_recognition": True} if seal_recognition else {}
    pipeline = PaddleOCRVL(
        pipeline_version=pipeline_version,
        vl_rec_backend="vllm-server",
        vl_rec_server_url=server_url,
        layout_detection_model_dir=str(model_dir),
        device="cpu",
        **extra,
    )
    (res,) = list(pipeline.predict(str(image)))
    (out_dir / "result.json").write_text(
        json.dumps(res.json["res"], ensure_ascii=False, default=str), encoding="utf-8"
    )
    res.save_to_markdown(str(out_dir / "md"))
    pipeline.close()


def main(argv: list[str] | None = None) -> int:
    """Command-line entry of the child process."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("image", type=Path)
    parser.add_argument("--model-dir", type=Path, required=True)
    parser.add_argument("--server", required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--pipeline-version", default="v1", choices=["v1", "v1.5", "v1.6"])
    parser.add_argument("--seal-recognition", action="store_true")
    args = parser.parse_args(argv)
    _predict(
        args.image, args.model_dir, args.server, args.out, args.pipeline_version,
        args.seal_recognition,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

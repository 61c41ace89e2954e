"""The golden run: every sample and every development document, parsed on the built-in path and
on the PaddleOCR-VL path (against the test server), as JSON (minus ``stats``) and Markdown.

    .venv/bin/python tests/golden/golden_run.py --write     # regenerate tests/golden/expected/

A change that alters output regenerates the files in the same commit and says why in the
commit message; ``test_golden.py`` compares a fresh run with them.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
EXPECTED = HERE / "expected"
EVAL_DEV = ROOT.parent / "shared" / "eval-dev"
SUFFIXES = {".pdf", ".png", ".jpg", ".jpeg"}
CONFIGS = ("builtin", "vlm")


def inputs() -> Iterator[tuple[str, Path]]:
    """(name, path): the samples, then the development documents when they are beside us."""
    for path in sorted((ROOT / "samples").iterdir()):
        if path.suffix.lower() in SUFFIXES:
            yield f"samples-{path.stem}", path
    if EVAL_DEV.is_dir():
        for folder in sorted(p for p in EVAL_DEV.iterdir() if p.is_dir()):
            docs = sorted(p for p in folder.iterdir() if p.suffix.lower() in SUFFIXES)
            if docs:
                yield folder.name, docs[0]


def normalised(data: dict[str, Any], path: Path) -> str:
    """The JSON without run-specific paths (checkouts live in different folders)."""
    text = json.dumps(data, indent=1, ensure_ascii=False, sort_keys=True)
    return text.replace(json.dumps(str(path))[1:-1], path.name)


def run(config: str, server_url: str | None) -> dict[str, tuple[str, str]]:
    """name -> (JSON text, Markdown) for every input under ``config``."""
    import docparse

    overrides: dict[str, Any] = {"layout": "builtin"}
    if config == "vlm":
        assert server_url is not None
        overrides["server_url"] = [server_url]
    out: dict[str, tuple[str, str]] = {}
    with docparse.Parser(**overrides) as parser:
        for name, path in inputs():
            doc = parser.parse(path)
            md = doc.to_markdown()
            assert isinstance(md, str)
            out[name] = (normalised(doc.to_dict(volatile=False), path), md)
    return out


def run_all() -> dict[str, dict[str, tuple[str, str]]]:
    from docparse.testing.fake_vllm import start_fake_vllm

    results = {"builtin": run("builtin", None)}
    with start_fake_vllm() as server:
        results["vlm"] = run("vlm", server.url)
    return results


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--write", action="store_true", help="regenerate tests/golden/expected/")
    ap.add_argument("--out", type=Path, default=EXPECTED)
    args = ap.parse_args(argv)
    if not args.write:
        ap.error("nothing to do: pass --write")
    for config, docs in run_all().items():
        folder = args.out / config
        folder.mkdir(parents=True, exist_ok=True)
        for name, (js, md) in docs.items():
            (folder / f"{name}.json").write_text(js + "\n", encoding="utf-8")
            (folder / f"{name}.md").write_text(md, encoding="utf-8")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Recognition requests per page: docparse's routing against the official one (reference §3.4).

    .venv/bin/python benchmarks/routing.py

The development documents are parsed with the built-in layout against the fake vLLM server
(answering at once); ``stats.official_requests`` counts what the official routing would send
for the same boxes (every label but pictures, furniture included, one request per merged
group). docparse saves requests by skipping page furniture (header, footer, page number) and,
with the text layer on, by taking trusted PDF text instead of recognising it.
"""

from __future__ import annotations

import asyncio
import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

if TYPE_CHECKING:
    from docparse.options import TextLayerMode

EVAL_DEV = ROOT.parent / "shared" / "eval-dev"


@dataclass(frozen=True)
class RoutingResult:
    document: str
    text_layer: str
    pages: int
    requests_per_page: float
    official_requests_per_page: float


def documents(folder: Path = EVAL_DEV) -> list[Path]:
    """One PDF per development document folder."""
    return sorted(p for d in sorted(folder.glob("[0-9]*")) for p in d.glob("*.pdf"))


async def _parse_all(pdfs: list[Path], url: str, text_layer: TextLayerMode) -> list[RoutingResult]:
    from docparse.options import ParseOptions
    from docparse.pipeline import AsyncParser

    options = ParseOptions(
        server_url=(url,), recognizer="vlm", layout="builtin", text_layer=text_layer
    )
    out: list[RoutingResult] = []
    async with AsyncParser(options) as parser:
        async for result in parser.parse_many(pdfs, concurrency=2):
            if result.document is None:
                raise RuntimeError(f"{result.input}: {result.error}")
            doc = result.document
            pages = len(doc.pages)
            out.append(
                RoutingResult(
                    Path(result.input).parent.name,
                    text_layer,
                    pages,
                    round(doc.stats.recognition_requests / pages, 2),
                    round(doc.stats.official_requests / pages, 2),
                )
            )
    return out


def run(pdfs: list[Path] | None = None) -> list[RoutingResult]:
    """Parse the development documents with the text layer off and on."""
    import logging

    from docparse.testing import FakeVLLMConfig, start_fake_vllm

    # paddlex, once imported in this process, logs every HTTP request at INFO.
    logging.getLogger("httpx2").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    pdfs = documents() if pdfs is None else pdfs
    if not pdfs:
        return []
    with start_fake_vllm(FakeVLLMConfig(slots=16)) as server:
        return [
            r for mode in ("off", "auto") for r in asyncio.run(_parse_all(pdfs, server.url, mode))
        ]


def main() -> int:
    results = run()
    for r in results:
        print(
            f"{r.document} (text layer {r.text_layer}, {r.pages} pages): "
            f"{r.requests_per_page} requests/page, official {r.official_requests_per_page}"
        )
    print(json.dumps([asdict(r) for r in results]))
    return 0


if __name__ == "__main__":
    sys.exit(main())

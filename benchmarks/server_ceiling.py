"""The fake vLLM server's own ceiling: how close to ``requests × latency ÷ slots`` a lean
client gets (pre-encoded requests from plain keep-alive threads), to read docparse's
throughput ratio against.

    .venv/bin/python benchmarks/server_ceiling.py
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from throughput import PROFILES, fixed_layout, make_pdf  # noqa: E402


def server_ceiling(profile: str, work: Path, requests: int = 240) -> float:
    """The fake server's own best: ``requests`` identical pre-encoded requests from
    2 × slots keep-alive threads, as a ratio of the server-bound time (the server does a few
    milliseconds of work per request inside its slot, so this is a little under 1)."""
    import http.client
    import threading

    from docparse.options import ParseOptions
    from docparse.recognize.vlm.crops import prepare_crop
    from docparse.recognize.vlm.prompts import SamplingParams, build_request
    from docparse.sources.opener import open_source
    from docparse.testing import FakeVLLMConfig, start_fake_vllm

    slots, latency = PROFILES[profile]
    src = open_source(work / "bench-1.pdf")
    image = src.render(0, dpi=144, with_text_layer=False).image
    src.close()
    x1, y1, x2, y2 = (int(v) for v in fixed_layout().detect([image])[0][0].bbox)
    request = build_request(
        model="PaddleOCR-VL-0.9B",
        image_url=prepare_crop(image[y1:y2, x1:x2], "ocr"),
        kind="ocr",
        params=SamplingParams.from_options(ParseOptions()),
    )
    request.update(request.pop("extra_body"))
    body = json.dumps(request).encode()
    left = [requests]
    lock = threading.Lock()
    with start_fake_vllm(FakeVLLMConfig(slots=slots, latency=latency)) as server:

        def worker() -> None:
            conn = http.client.HTTPConnection("127.0.0.1", server.port)
            while True:
                with lock:
                    if left[0] == 0:
                        return
                    left[0] -= 1
                conn.request(
                    "POST", "/v1/chat/completions", body, {"Content-Type": "application/json"}
                )
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    raise RuntimeError(f"fake server answered {response.status}")

        threads = [threading.Thread(target=worker) for _ in range(2 * slots)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        seconds = time.perf_counter() - t0
    return round(requests * latency / slots / seconds, 4)


def main() -> int:
    import tempfile

    with tempfile.TemporaryDirectory(prefix="docparse-ceiling-") as tmp:
        make_pdf(Path(tmp) / "bench-1.pdf", 1)
        for name in PROFILES:
            print(f"{name}: {server_ceiling(name, Path(tmp)):.1%} of the server-bound limit")
    return 0


if __name__ == "__main__":
    sys.exit(main())

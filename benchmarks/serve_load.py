"""Load on ``docparse serve``: requests/s and latency percentiles (a benchmark, not a test).

    .venv/bin/python benchmarks/serve_load.py                    # defaults below
    .venv/bin/python benchmarks/serve_load.py --requests 400 --concurrency 32 --vlm-latency 0.1

Starts the fake vLLM (``--vlm-latency`` seconds per recognition request, standing in for a
GPU) and ``docparse serve`` on loopback with the built-in layout, then drives three workloads
with ``--concurrency`` clients each: a one-page born-digital PDF on ``/v1/parse``, a small
scanned page (recognised through the VLM) on ``/layout-parsing``, and ``/health`` (the
service's own overhead). Prints a table and writes ``docs/serve-benchmark.md``.
"""

from __future__ import annotations

import argparse
import base64
import concurrent.futures
import io
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "serve"))

from serve_fixtures import ServeProcess  # noqa: E402

from docparse.testing import FakeVLLMConfig, start_fake_vllm  # noqa: E402


def scanned_page() -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (800, 400), "white")
    draw = ImageDraw.Draw(image)
    draw.text((40, 40), "Benchmark report", fill="black", font_size=44)
    for i in range(4):
        draw.text((40, 140 + 50 * i), f"Line {i + 1} of the body text on this page.",
                  fill="black", font_size=26)
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def drive(url: str, n: int, concurrency: int, send: Callable[[httpx.Client], httpx.Response]) -> dict[str, Any]:
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    local = threading.local()  # one keep-alive connection per client, as real clients do
    clients: list[httpx.Client] = []

    def one(_: int) -> None:
        if not hasattr(local, "client"):
            local.client = httpx.Client(base_url=url, timeout=600, trust_env=False)
            clients.append(local.client)
        t = time.perf_counter()
        r = send(local.client)
        latencies.append(time.perf_counter() - t)
        statuses[r.status_code] += 1

    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, range(n)))
    wall = time.perf_counter() - started
    for c in clients:
        c.close()
    ok = statuses.get(200, 0)
    return {"requests": n, "wall_s": round(wall, 2), "req_per_s": round(n / wall, 2),
            "ok_per_s": round(ok / wall, 2), "p50_ms": round(percentile(latencies, 50) * 1000),
            "p90_ms": round(percentile(latencies, 90) * 1000),
            "p99_ms": round(percentile(latencies, 99) * 1000),
            "mean_ms": round(statistics.fmean(latencies) * 1000), "statuses": dict(statuses)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requests", type=int, default=100)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--max-documents", type=int, default=2)
    ap.add_argument("--vlm-latency", type=float, default=0.05)
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "serve-benchmark.md")
    args = ap.parse_args(argv)

    pdf = (ROOT / "samples" / "invoice.pdf").read_bytes()
    page = base64.b64encode(scanned_page()).decode()
    workloads: dict[str, Callable[[httpx.Client], httpx.Response]] = {
        "GET /health": lambda c: c.get("/health"),
        "POST /v1/parse (1-page PDF, text layer)": lambda c: c.post(
            "/v1/parse", files={"file": ("invoice.pdf", pdf)},
            data={"options": '{"include_images": false}'}),
        "POST /layout-parsing (scanned page, VLM)": lambda c: c.post(
            "/layout-parsing", json={"file": page, "fileType": 1}),
    }
    results: dict[str, dict[str, Any]] = {}
    with start_fake_vllm(FakeVLLMConfig(latency=args.vlm_latency)) as fake, \
            tempfile.TemporaryDirectory() as tmp:
        serve_args = ["--server", fake.url, "--layout", "builtin", "--orientation", "off",
                      "--max-documents", str(args.max_documents)]
        with ServeProcess(serve_args, work=Path(tmp)) as proc:
            for name, send in workloads.items():
                drive(proc.url, min(8, args.requests), min(4, args.concurrency), send)  # warm
                results[name] = drive(proc.url, args.requests, args.concurrency, send)
                r = results[name]
                print(f"{name:44s} {r['req_per_s']:8.2f} req/s  p50 {r['p50_ms']:6d} ms  "
                      f"p90 {r['p90_ms']:6d} ms  p99 {r['p99_ms']:6d} ms  {r['statuses']}")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    lines = [
        "# docparse serve: load benchmark",
        "",
        "Generated by `benchmarks/serve_load.py` (a benchmark, not a test). The service runs as",
        "deployed (`docparse serve`, uvicorn) on loopback with the built-in layout model, in front",
        f"of the fake vLLM answering each recognition request after {args.vlm_latency:g} s (a",
        "stand-in for a GPU). Latency is measured by the clients, from request to full answer.",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()};"
        f" load average {load:.1f} at the end (the machine is shared: figures are lower bounds).",
        f"Settings: {args.requests} requests per workload, {args.concurrency} concurrent clients, "
        f"`--max-documents {args.max_documents}` (default queue of 64).",
        "",
        "| workload | req/s | p50 ms | p90 ms | p99 ms | mean ms | statuses |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for name, r in results.items():
        lines.append(f"| {name} | {r['req_per_s']} | {r['p50_ms']} | {r['p90_ms']} | "
                     f"{r['p99_ms']} | {r['mean_ms']} | {r['statuses']} |")
    lines += ["", "Every request was answered 200: with the default waiting line (64) a burst of "
              f"{args.concurrency} clients waits for one of the {args.max_documents} document slots "
              "instead of being refused."
              if all(set(r["statuses"]) == {200} for r in results.values()) else
              "Some requests were refused (see statuses).", ""]
    args.out.write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

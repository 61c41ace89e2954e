"""The Ray engine's overhead against the local engine, same inputs, same fake server.

    .venv/bin/python benchmarks/scale_overhead.py [--runs 3] [--copies 3]

Inputs: ``copies`` copies of the samples (report.pdf, invoice.pdf, scan.png) in one folder.
Each run is a fresh ``docparse batch`` process against the fake vLLM server (no latency,
built-in layout), so both engines pay their start-up: models for the local engine; Ray
start and stop, worker processes and models once per worker for the Ray one (a private local
instance with this machine's CPUs). "ray, warm" runs in one process with Ray already started
(worker actors and their models still start per batch). Prints medians and the ratio.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))


def _inputs(folder: Path, copies: int) -> int:
    sys.path.insert(0, str(ROOT / "samples"))
    samples = ROOT / "samples"
    if not (samples / "report.pdf").exists():
        import make_samples  # type: ignore[import-not-found]

        make_samples.main(samples)
    pages = 0
    for k in range(copies):
        for name, n in (("report.pdf", 2), ("invoice.pdf", 1), ("scan.png", 1)):
            shutil.copy(samples / name, folder / f"c{k}_{name}")
            pages += n
    return pages


def _cli(args: list[str]) -> float:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "docparse", *args], env=env,
                          capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if done.returncode != 0:
        raise SystemExit(f"docparse {' '.join(args)} failed:\n{done.stderr}")
    return seconds


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--copies", type=int, default=3)
    a = ap.parse_args()
    from docparse.options import OutputOptions, resolve_options
    from docparse.scale import RayBatch, start_local_ray
    from docparse.testing import start_fake_vllm

    with tempfile.TemporaryDirectory() as tmp, start_fake_vllm() as server:
        root = Path(tmp)
        (root / "in").mkdir()
        pages = _inputs(root / "in", a.copies)
        common = [str(root / "in"), "--server", server.url, "--layout", "builtin", "--quiet"]
        times: dict[str, list[float]] = {"local": [], "ray": [], "ray, warm": []}
        for run in range(a.runs):
            times["local"].append(_cli(["batch", *common, "-o", str(root / f"l{run}"),
                                        "--engine", "local"]))
            times["ray"].append(_cli(["batch", *common, "-o", str(root / f"r{run}"),
                                      "--engine", "ray"]))
        ray = start_local_ray(os.cpu_count() or 1)
        try:
            options = resolve_options({"server_url": [server.url], "layout": "builtin"})
            for run in range(a.runs):
                t0 = time.perf_counter()
                RayBatch([str(root / "in")], options, OutputOptions(quiet=True),
                         output=str(root / f"w{run}")).run()
                times["ray, warm"].append(time.perf_counter() - t0)
        finally:
            ray.shutdown()
    local = statistics.median(times["local"])
    print(f"{3 * a.copies} documents, {pages} pages, {a.runs} runs each, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    print("| engine | median s | runs (s) | pages/s | × local |")
    print("|---|---|---|---|---|")
    for name, values in times.items():
        med = statistics.median(values)
        print(f"| {name} | {med:.1f} | {', '.join(f'{v:.1f}' for v in values)} | "
              f"{pages / med:.2f} | {med / local:.2f} |")


if __name__ == "__main__":
    main()

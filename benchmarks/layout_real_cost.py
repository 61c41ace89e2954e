"""CPU cost per page of the real PP-DocLayoutV2 / V3 networks, with RANDOM weights.

    .venv/bin/python benchmarks/layout_real_cost.py --json layout_cost.json

The real weights cannot be had here, but a network's CPU time depends on its architecture
and input size, not on its weight values. paddlex ships both networks' code
(``paddlex/inference/models/object_detection/modeling/pp_doclayout_v2.py``, ``_v3.py``) and
their real configurations (``paddlex/modules/base/utils/pdparams2safetensors/model_config.py``,
used to convert the released checkpoints). Each network is built from that configuration
with random initial weights and timed on a page-sized input at the model's fixed 800 × 800
input (batch 1), detector forward pass (backbone, encoder, decoder; the small
reading-order head and post-processing are left out), in eval mode; then exported to Paddle's inference
format (``paddle.jit.save``: ``inference.json`` + ``inference.pdiparams``) and timed again
through Paddle Inference, the engine paddlex's predictor runs. Timings are of random weights:
the detection post-processing then sees an arbitrary number of boxes above threshold, so
only the network time is meaningful; it is what a real checkpoint costs to within noise.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

SIDE = 800
REPEATS = 3


def _config(name: str) -> Any:
    from paddlex.modules.base.utils.pdparams2safetensors.model_config import MODEL_CONFIGS

    raw = dict(MODEL_CONFIGS[name])
    if name == "PP-DocLayoutV2":
        from paddlex.inference.models.object_detection.modeling._config_pp_doclayout_v2 import (
            PPDocLayoutV2Config,
        )

        return PPDocLayoutV2Config(**raw)
    from paddlex.inference.models.object_detection.modeling._config_pp_doclayout_v3 import (
        PPDocLayoutV3Config,
    )

    return PPDocLayoutV3Config(**raw)


def build(name: str) -> Any:
    import paddle

    paddle.seed(0)
    from paddlex.inference.models.object_detection.modeling import PPDocLayoutV2, PPDocLayoutV3

    cls = PPDocLayoutV2 if name == "PP-DocLayoutV2" else PPDocLayoutV3
    model = cls(_config(name))
    model.eval()
    return model


def _inputs() -> list[Any]:
    import numpy as np

    rng = np.random.default_rng(0)
    image = rng.random((1, 3, SIDE, SIDE), dtype=np.float32)
    return [np.array([[SIDE, SIDE]], dtype=np.float32), image,
            np.array([[1.0, 1.0]], dtype=np.float32)]


def _time(fn: Any) -> dict[str, float]:
    fn()  # warm-up
    walls, cpus = [], []
    for _ in range(REPEATS):
        c0, t0 = time.process_time(), time.perf_counter()
        fn()
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    return {"wall_ms": round(statistics.median(walls) * 1000, 1),
            "cpu_ms": round(statistics.median(cpus) * 1000, 1)}


def dygraph(name: str) -> dict[str, Any]:
    import paddle

    model = build(name)
    params = sum(int(p.numel()) for p in model.parameters())
    inputs = _inputs()

    def run() -> None:
        with paddle.no_grad():
            model.model(paddle.to_tensor(inputs[1]))  # backbone + encoder + decoder

    out: dict[str, Any] = {"parameters_millions": round(params / 1e6, 1)}
    out["dygraph_detector"] = _time(run)

    print(name, "dygraph", json.dumps(out), flush=True)
    return out


def static(name: str, work: Path) -> dict[str, Any]:
    """Export to Paddle's inference format and time it through Paddle Inference."""
    import numpy as np
    import paddle
    from paddle.static import InputSpec

    model = build(name)
    target = work / name
    try:
        spec = [InputSpec([None, 3, SIDE, SIDE], "float32", "pixel_values")]

        class Detector(paddle.nn.Layer):
            def __init__(self, inner: Any) -> None:
                super().__init__()
                self.inner = inner

            def forward(self, pixel_values: Any) -> Any:
                out = self.inner.model(pixel_values)
                return out["intermediate_logits"][:, -1], out["intermediate_reference_points"][:, -1]

        det = Detector(model)
        det.eval()
        static_model = paddle.jit.to_static(det, input_spec=spec, full_graph=True)
        paddle.jit.save(static_model, str(target / "inference"))
    except Exception as exc:  # reported, not hidden
        return {"static_error": f"{type(exc).__name__}: {str(exc)[:400]}"}
    from paddle import inference

    files = sorted(p.name for p in target.iterdir())
    model_file = target / ("inference.json" if (target / "inference.json").exists()
                           else "inference.pdmodel")
    config = inference.Config(str(model_file), str(target / "inference.pdiparams"))
    config.disable_gpu()
    config.set_cpu_math_library_num_threads(os.cpu_count() or 1)
    config.disable_glog_info()
    # oneDNN cannot run this exported graph (an attribute type it does not convert);
    # Paddle's plain CPU kernels can.
    config.disable_mkldnn()
    predictor = inference.create_predictor(config)
    handle = predictor.get_input_handle(predictor.get_input_names()[0])
    image = _inputs()[1]

    def run() -> None:
        handle.copy_from_cpu(image)
        predictor.run()
        predictor.get_output_handle(predictor.get_output_names()[0]).copy_to_cpu()

    out: dict[str, Any] = {"files": files}
    try:
        out["paddle_inference_detector"] = _time(run)
    except Exception as exc:  # reported, not hidden
        out["paddle_inference_error"] = f"{type(exc).__name__}: {str(exc)[:300]}"
    out["onnx"] = _onnx(target, image)
    _ = np  # numpy used via _inputs
    return out


def _onnx(target: Path, image: Any) -> dict[str, Any]:
    try:
        import paddle2onnx  # type: ignore[import-not-found]  # noqa: F401
    except ImportError:
        return {"error": "paddle2onnx not installed (bench-only; see docs/benchmarks.md)"}
    import subprocess

    onnx_path = target / "model.onnx"
    model_file = "inference.json" if (target / "inference.json").exists() else "inference.pdmodel"
    done = subprocess.run(
        [sys.executable, "-m", "paddle2onnx.command", "--model_dir", str(target),
         "--model_filename", model_file, "--params_filename", "inference.pdiparams",
         "--save_file", str(onnx_path)], capture_output=True, text=True, check=False)
    if done.returncode != 0 or not onnx_path.exists():
        return {"error": (done.stderr or done.stdout)[-400:]}
    import onnxruntime as ort

    sess = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    return _time(lambda: sess.run(None, {name: image}))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", type=Path)
    ap.add_argument("--model", action="append", choices=["PP-DocLayoutV2", "PP-DocLayoutV3"])
    args = ap.parse_args(argv)
    results: dict[str, Any] = {"random_weights": True, "input": f"1x3x{SIDE}x{SIDE}",
                               "cores": os.cpu_count(), "load_start": os.getloadavg()}
    with tempfile.TemporaryDirectory(prefix="layout-cost-") as tmp:
        for name in args.model or ["PP-DocLayoutV2", "PP-DocLayoutV3"]:
            res = dygraph(name)
            try:
                res.update(static(name, Path(tmp)))
            except Exception as exc:  # reported, not hidden
                res["static_error"] = f"{type(exc).__name__}: {str(exc)[:300]}"
            results[name] = res
            print(name, json.dumps(res), flush=True)
    results["load_end"] = os.getloadavg()
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

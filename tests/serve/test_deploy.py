"""The deployment files under deploy/: Docker cannot run here, so their syntax is checked,
the Kubernetes objects against the API schema (kubernetes-validate, offline), and every
``docparse serve`` argument and environment name they use against the real CLI."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from docparse.cli import build_parser
from docparse.options import ENV_OPTIONS, env_name
from docparse.serve.settings import ENV_SETTINGS, serve_env_name

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
KNOWN_ENV = ({env_name(o) for o in ENV_OPTIONS} | {serve_env_name(s) for s in ENV_SETTINGS}
             | {"DOCPARSE_MODELS_DIR", "DOCPARSE_MANIFEST", "DOCPARSE_LOG"})


def k8s_objects() -> list[dict[str, Any]]:
    out = []
    for path in sorted((DEPLOY / "k8s").glob("*.yaml")):
        out += [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
    return out


def test_kubernetes_objects_match_the_api_schema() -> None:
    kv = pytest.importorskip("kubernetes_validate")
    objects = k8s_objects()
    assert {o["kind"] for o in objects} >= {"Deployment", "Service", "PersistentVolumeClaim"}
    for obj in objects:
        kv.validate(obj, "1.37.0", strict=True)  # raises on any schema error


def serve_container() -> dict[str, Any]:
    (dep,) = [o for o in k8s_objects() if o["kind"] == "Deployment"
              and o["metadata"]["name"] == "docparse-serve"]
    (container,) = dep["spec"]["template"]["spec"]["containers"]
    return container


def test_deployment_probes_resources_and_model_volume() -> None:
    c = serve_container()
    assert c["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert c["livenessProbe"]["httpGet"]["path"] == "/health"
    assert c["resources"]["requests"] and c["resources"]["limits"]
    mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
    env = {e["name"]: e["value"] for e in c["env"]}
    assert mounts[env["DOCPARSE_MODELS_DIR"]]["readOnly"] is True
    assert env["DOCPARSE_SERVE_WORK_DIR"] in mounts
    port = int(env["DOCPARSE_SERVE_PORT"])
    assert [p["containerPort"] for p in c["ports"]] == [port]
    services = {o["metadata"]["name"]: o for o in k8s_objects() if o["kind"] == "Service"}
    server = next(a for a in c["args"] if a.startswith("http://"))
    host, svc_port = re.match(r"http://([^:/]+):(\d+)", server).groups()  # type: ignore[union-attr]
    assert services[host]["spec"]["ports"][0]["port"] == int(svc_port)


def test_compose_file() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    app, vllm = compose["services"]["docparse"], compose["services"]["vllm"]
    assert app["build"]["dockerfile"] == "deploy/Dockerfile"
    assert "http://vllm:8000/v1" in app["command"]
    assert "/ready" in " ".join(app["healthcheck"]["test"])
    assert app["depends_on"]["vllm"]["condition"] == "service_healthy"
    assert {v.split(":")[0] for v in app["volumes"]} <= set(compose["volumes"])
    assert "--served-model-name" in vllm["command"]


def test_every_serve_argument_and_variable_is_real() -> None:
    parser = build_parser()
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    for args in (serve_container()["args"], compose["services"]["docparse"]["command"]):
        ns = parser.parse_args(["serve", *args])  # exits (fails) on an unknown flag
        assert ns.command == "serve"
    names = set(compose["services"]["docparse"]["environment"])
    names |= {e["name"] for e in serve_container()["env"]}
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    names |= set(re.findall(r"\b(DOCPARSE_[A-Z_]+)=", dockerfile))
    assert names and names <= KNOWN_ENV, names - KNOWN_ENV


def test_dockerfile() -> None:
    text = (DEPLOY / "Dockerfile").read_text()
    assert re.search(r'^ENTRYPOINT \["docparse", "serve"\]$', text, re.M)
    assert '".[serve,paddle]"' in text and "-c constraints.txt" in text
    port = re.search(r"DOCPARSE_SERVE_PORT=(\d+)", text).group(1)  # type: ignore[union-attr]
    assert f"EXPOSE {port}" in text and f"127.0.0.1:{port}/health" in text
    assert re.search(r"^USER \d+$", text, re.M)  # not root

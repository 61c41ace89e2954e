"""The Kubernetes manifests under deploy/kuberay are what docs/scale-out.md tells people to
apply: each object parses, carries the fields its API requires, and the pieces fit together
(selectors, service names and ports, the Ray version, the docparse command line)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy" / "kuberay"

#: DNS-1123 subdomain (object names) and label (container, port names).
NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")
LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
#: Kubernetes resource quantities ("4", "500m", "16Gi", "1.5").
QUANTITY = re.compile(r"^[0-9]+(\.[0-9]+)?(m|k|M|G|T|Ki|Mi|Gi|Ti)?$")

#: Core kinds used here and their API group/version.
CORE = {"StatefulSet": "apps/v1", "Deployment": "apps/v1", "Service": "v1", "Secret": "v1"}

#: From KubeRay's CRDs (ray.io_rayclusters.yaml / ray.io_rayjobs.yaml, version v1): the
#: properties of ``spec`` and what each object requires.
RAYCLUSTER_SPEC = {"authOptions", "autoscalerOptions", "enableInTreeAutoscaling",
                   "gcsFaultToleranceOptions", "headGroupSpec", "headServiceAnnotations",
                   "historyServerOptions", "managedBy", "networkPolicy", "rayVersion", "suspend",
                   "tlsOptions", "upgradeStrategy", "workerGroupSpecs"}
HEAD_GROUP = {"enableIngress", "headService", "ingressOptions", "labels", "rayStartParams",
              "resources", "serviceType", "template"}
WORKER_GROUP = {"groupName", "idleTimeoutSeconds", "labels", "maxReplicas", "minReplicas",
                "numOfHosts", "priority", "rayStartParams", "replicas", "resources",
                "scaleStrategy", "suspend", "template"}
WORKER_REQUIRED = {"groupName", "maxReplicas", "minReplicas", "template"}
RAYJOB_SPEC = {"activeDeadlineSeconds", "backoffLimit", "clusterSelector", "deletionStrategy",
               "entrypoint", "entrypointNumCpus", "entrypointNumGpus", "entrypointResources",
               "jobId", "managedBy", "metadata", "preRunningDeadlineSeconds", "rayClusterSpec",
               "runtimeEnvYAML", "shutdownAfterJobFinishes", "submissionMode",
               "submitterConfig", "submitterPodTemplate", "suspend", "ttlSecondsAfterFinished"}


def _objects() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for path in sorted(DEPLOY.glob("*.yaml")):
        out.extend(d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d)
    return out


OBJECTS = _objects()


def _by_kind(kind: str) -> list[dict[str, Any]]:
    return [o for o in OBJECTS if o["kind"] == kind]


def _ray_pin() -> str:
    for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith("ray=="):
            return line.split("==", 1)[1].strip()
    raise AssertionError("ray is not pinned in constraints.txt")


def check_pod_spec(pod: dict[str, Any], where: str) -> None:
    containers = pod.get("containers")
    assert isinstance(containers, list) and containers, f"{where}: no containers"
    for c in containers:
        assert LABEL.match(c["name"]), f"{where}: container name {c.get('name')!r}"
        assert isinstance(c.get("image"), str) and c["image"], f"{where}: image"
        for port in c.get("ports", []):
            assert isinstance(port["containerPort"], int) and 0 < port["containerPort"] < 65536
        for part in ("requests", "limits"):
            for key, value in c.get("resources", {}).get(part, {}).items():
                assert isinstance(value, str) and QUANTITY.match(value), f"{where}: {key}={value!r}"
        for env in c.get("env", []):
            assert set(env) <= {"name", "value", "valueFrom"} and isinstance(env.get("value", ""), str)
    claimed = {v["name"] for v in pod.get("volumes", [])}
    for c in containers:
        for mount in c.get("volumeMounts", []):
            assert mount["name"] in claimed, f"{where}: mounts undeclared volume {mount['name']}"


def test_every_object_has_an_api_version_kind_and_name() -> None:
    kinds = {o["kind"] for o in OBJECTS}
    assert {"StatefulSet", "Service", "RayCluster", "RayJob", "Secret"} <= kinds
    for o in OBJECTS:
        expected = CORE.get(o["kind"], "ray.io/v1")
        assert o["apiVersion"] == expected, o["kind"]
        assert NAME.match(o["metadata"]["name"]), o["metadata"]["name"]


def test_core_workloads_and_services_fit_together() -> None:
    for sts in _by_kind("StatefulSet"):
        spec = sts["spec"]
        labels = spec["template"]["metadata"]["labels"]
        assert spec["selector"]["matchLabels"].items() <= labels.items()
        assert isinstance(spec["replicas"], int) and spec["replicas"] >= 1
        check_pod_spec(spec["template"]["spec"], sts["metadata"]["name"])
        # The headless Service that gives its pods their stable names.
        svc = next(s for s in _by_kind("Service") if s["metadata"]["name"] == spec["serviceName"])
        assert svc["spec"]["clusterIP"] == "None"
        assert svc["spec"]["selector"].items() <= labels.items()
        ports = {p["containerPort"] for c in spec["template"]["spec"]["containers"]
                 for p in c.get("ports", [])}
        for port in svc["spec"]["ports"]:
            assert isinstance(port["port"], int) and port.get("targetPort", port["port"]) in ports
    for secret in _by_kind("Secret"):
        assert all(isinstance(v, str) for v in secret.get("stringData", {}).values())


def test_raycluster_matches_kuberays_crd() -> None:
    (cluster,) = _by_kind("RayCluster")
    spec = cluster["spec"]
    assert set(spec) <= RAYCLUSTER_SPEC and "headGroupSpec" in spec
    assert spec["rayVersion"] == _ray_pin()  # the image's Ray must be the one docparse pins
    head = spec["headGroupSpec"]
    assert set(head) <= HEAD_GROUP and "template" in head
    groups = spec["workerGroupSpecs"]
    assert groups
    for group in [head, *groups]:
        # rayStartParams is a map of strings in the CRD: numbers must be quoted.
        assert all(isinstance(v, str) for v in group.get("rayStartParams", {}).values())
        check_pod_spec(group["template"]["spec"], "RayCluster")
    assert head["rayStartParams"].get("num-cpus") == "0"  # the head runs no parse workers
    for group in groups:
        assert set(group) <= WORKER_GROUP and WORKER_REQUIRED <= set(group)
        assert 0 <= group["minReplicas"] <= group.get("replicas", group["minReplicas"]) <= group["maxReplicas"]
    images = {c["image"] for g in [head, *groups] for c in g["template"]["spec"]["containers"]}
    assert len(images) == 1  # driver and workers must run the same docparse
    secrets = {s["metadata"]["name"] for s in _by_kind("Secret")}
    for g in [head, *groups]:
        for c in g["template"]["spec"]["containers"]:
            assert all(e["secretRef"]["name"] in secrets for e in c.get("envFrom", []))


def test_rayjob_runs_a_valid_docparse_batch_against_the_vllm_replicas() -> None:
    (job,) = _by_kind("RayJob")
    spec = job["spec"]
    assert set(spec) <= RAYJOB_SPEC
    (cluster,) = _by_kind("RayCluster")
    assert spec["clusterSelector"] == {"ray.io/cluster": cluster["metadata"]["name"]}
    argv = shlex.split(spec["entrypoint"])
    assert argv[:2] == ["docparse", "batch"]
    from docparse.cli import build_parser

    args = build_parser().parse_args(argv[1:])  # exits (SystemExit) on a bad flag
    assert args.engine == "ray" and args.address == "auto"
    assert args.output.startswith("s3://") and all(i.startswith("s3://") for i in args.inputs)
    # Every --server is a replica of the vLLM StatefulSet: <name>-<i>.<service>:<port>.
    (sts,) = _by_kind("StatefulSet")
    port = sts["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"]
    hosts = set()
    for url in args.server_url:
        m = re.fullmatch(r"http://([a-z0-9-]+)-(\d+)\.([a-z0-9-]+):(\d+)/v1", url)
        assert m, url
        assert m.group(1) == sts["metadata"]["name"] and m.group(3) == sts["spec"]["serviceName"]
        assert int(m.group(2)) < sts["spec"]["replicas"] and int(m.group(4)) == port
        hosts.add(m.group(2))
    assert len(hosts) == sts["spec"]["replicas"]  # every replica is used


def test_the_node_image_installs_the_pinned_ray() -> None:
    dockerfile = (ROOT / "deploy" / "Dockerfile.ray").read_text(encoding="utf-8")
    base = re.search(r"^FROM rayproject/ray:(\S+)-py(\d)(\d+)", dockerfile, re.M)
    assert base and base.group(1) == _ray_pin()
    assert "[ray,s3]" in dockerfile and "constraints.txt" in dockerfile

"""The Kubernetes manifests under deploy/kubernetes: kinds, names, ports and the KAITO wiring."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from helpers.settings import PROJECT_ROOT

DEPLOY = PROJECT_ROOT / "deploy" / "kubernetes"
WORKSPACE = "workspace-phi-4-mini-toolcall"


def _docs() -> list[dict[str, Any]]:
    """Every YAML document under deploy/kubernetes, in file order."""
    files = sorted(DEPLOY.glob("*.yaml")) + sorted(DEPLOY.glob("*.yml"))
    assert files, f"no manifests in {DEPLOY}"
    return [doc for f in files for doc in yaml.safe_load_all(f.read_text(encoding="utf-8")) if doc]


def _one(kind: str, name: str | None = None) -> dict[str, Any]:
    """The single document of that kind (and name)."""
    found = [d for d in _docs() if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)]
    assert len(found) == 1, f"expected one {kind} {name or ''}, found {len(found)}"
    return found[0]


def _container_ports(deployment: dict[str, Any]) -> dict[str, int]:
    """Map port names (and numbers as strings) to container port numbers."""
    ports: dict[str, int] = {}
    for container in deployment["spec"]["template"]["spec"]["containers"]:
        for port in container.get("ports", []):
            ports[str(port["containerPort"])] = port["containerPort"]
            if "name" in port:
                ports[port["name"]] = port["containerPort"]
    return ports


def test_kinds_and_api_versions() -> None:
    kinds = {(d["apiVersion"], d["kind"]) for d in _docs()}
    assert kinds == {
        ("apps/v1", "Deployment"),
        ("v1", "Service"),
        ("v1", "ConfigMap"),
        ("kaito.sh/v1beta1", "Workspace"),
    }


@pytest.mark.parametrize("path", sorted(DEPLOY.glob("*")), ids=lambda p: p.name)
def test_files_are_plain_ascii(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert "\u2011" not in text, f"{path.name} contains a non-breaking hyphen (U+2011)"
    bad = sorted({c for c in text if ord(c) > 127})
    assert not bad, f"{path.name} contains non-ASCII characters {bad}; copy-paste breaks on them"


def test_names_are_dns_labels() -> None:
    for doc in _docs():
        name = doc["metadata"]["name"]
        assert name.isascii() and name == name.lower() and len(name) <= 63, name
        assert all(c.isalnum() or c == "-" for c in name) and name[0].isalnum() and name[-1].isalnum(), name


def test_service_routes_to_the_time_server_pods() -> None:
    deployment = _one("Deployment", "time-mcp-server")
    service = _one("Service", "time-mcp-server")
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    assert service["spec"]["selector"].items() <= pod_labels.items()

    (port,) = service["spec"]["ports"]
    assert port["port"] == 80
    container_ports = _container_ports(deployment)
    assert container_ports.get(str(port["targetPort"])) is not None, (
        f"Service targetPort {port['targetPort']!r} matches no containerPort {container_ports}"
    )


def test_time_server_container() -> None:
    deployment = _one("Deployment", "time-mcp-server")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    command = " ".join(container.get("command", []) + container.get("args", []))
    for pin in ("mcp-server-time==2026.7.10", "mcp-proxy==0.13.0", "mcp==1.30.0"):
        assert pin in command
    (port,) = container["ports"]
    assert f"--port {port['containerPort']}" in command and "--host 0.0.0.0" in command
    assert container["readinessProbe"]["tcpSocket"]["port"] in (port["containerPort"], port.get("name"))
    assert {"requests", "limits"} <= container["resources"].keys()


def test_workspace_uses_the_tool_calling_configmap() -> None:
    workspace = _one("Workspace", WORKSPACE)
    assert workspace["inference"]["preset"]["name"] == "phi-4-mini-instruct"
    assert workspace["resource"]["instanceType"]
    assert workspace["resource"]["labelSelector"]["matchLabels"]

    configmap = _one("ConfigMap", workspace["inference"]["config"])
    settings = yaml.safe_load(configmap["data"]["inference_config.yaml"])
    vllm = settings["vllm"]
    assert vllm["tool-call-parser"] == "phi4_mini_json"
    assert vllm["enable-auto-tool-choice"] is True


def test_configmap_comes_before_the_workspace() -> None:
    kinds = [d["kind"] for d in _docs() if d["kind"] in ("ConfigMap", "Workspace")]
    assert kinds == ["ConfigMap", "Workspace"], "apply the ConfigMap before the Workspace that names it"


def test_readme_commands_match_the_manifests() -> None:
    readme = (DEPLOY / "README.md").read_text(encoding="utf-8")
    assert f"kubectl port-forward svc/{WORKSPACE} 8000:80" in readme
    assert "kubectl port-forward svc/time-mcp-server 8001:80" in readme
    for path in sorted(DEPLOY.glob("*.yaml")):
        assert f"kubectl apply -f deploy/kubernetes/{path.name}" in readme

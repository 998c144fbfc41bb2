"""The Kubernetes tools of seed 002: a pod's logs, memory and CPU, from a snapshot or a live cluster.

By default the tools read `data/cluster/snapshot.json`, so notebooks run offline. With the
environment variable `WORKBOOK_CLUSTER=live` they ask the cluster of your kubeconfig instead,
through the official `kubernetes` client (see `helpers.scenarios.cluster_live`). The choice is made on
every call, never at import.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Protocol, TypedDict

from pydantic import Field, WithJsonSchema

from helpers.errors import ConfigError, ToolInputError
from helpers.scenarios.cluster_live import LiveCluster  # loads the kubernetes client only when used
from helpers.scenarios.quantity import format_cpu, format_memory, normalize, total
from helpers.settings import DATA_DIR

SNAPSHOT_PATH = DATA_DIR / "cluster" / "snapshot.json"
LOG_SEPARATOR = "; "  # the seed joins log lines with "; " into one string

# The parameter descriptions are the seed's, word for word (including its "to get logs from"
# on the memory and CPU tools), so the MCP schemas match what the model saw in the recording.
Namespace = Annotated[
    str,
    Field(
        description="The Kubernetes namespace where the pod is located, e.g., '''default''', '''istio-system'''"
    ),
]
PodName = Annotated[str, Field(description="The full name of the pod, e.g., '''my-app-7f5dcf7f9c-2q9k8'''")]
ContainerName = Annotated[
    str | None,
    WithJsonSchema({"type": "string"}),  # the seed shows a plain optional string, not anyOf [string, null]
    Field(description="The specific container within the pod to get logs from. Optional."),
]


class Container(TypedDict):
    """Resources of one container; each dict maps "memory"/"cpu" to a quantity string."""

    usage: dict[str, str]
    requests: dict[str, str]
    limits: dict[str, str]


class ClusterSource(Protocol):
    """Where pod data comes from: the snapshot file or a live cluster."""

    def containers(self, namespace: str, pod_name: str) -> dict[str, Container]: ...

    def logs(self, namespace: str, pod_name: str, container_name: str) -> list[str]: ...


class SnapshotCluster:
    """Pods read from a snapshot file shaped like `data/cluster/snapshot.json`."""

    def __init__(self, path: Path = SNAPSHOT_PATH) -> None:
        self.namespaces: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))["namespaces"]

    def _pod(self, namespace: str, pod_name: str) -> dict[str, Any]:
        if namespace not in self.namespaces:
            raise ToolInputError(
                f"namespace {namespace!r} not found; namespaces: {', '.join(self.namespaces)}"
            )
        pods = self.namespaces[namespace]["pods"]
        if pod_name not in pods:
            raise ToolInputError(
                f"pod {pod_name!r} not found in namespace {namespace!r}; pods there: {', '.join(pods) or 'none'}"
            )
        return pods[pod_name]

    def containers(self, namespace: str, pod_name: str) -> dict[str, Container]:
        """The pod's containers and their resources."""
        return self._pod(namespace, pod_name)["containers"]

    def logs(self, namespace: str, pod_name: str, container_name: str) -> list[str]:
        """The container's log lines."""
        return self._pod(namespace, pod_name)["containers"][container_name]["logs"]


def cluster_source() -> ClusterSource:
    """The source chosen by `WORKBOOK_CLUSTER`: "snapshot" (default) or "live".

    Raises:
        ConfigError: an unknown value, or "live" without a usable kubeconfig.
    """
    mode = os.environ.get("WORKBOOK_CLUSTER", "").strip().lower() or "snapshot"
    if mode == "snapshot":
        return SnapshotCluster()
    if mode == "live":
        return LiveCluster.from_kubeconfig()
    raise ConfigError(
        f"WORKBOOK_CLUSTER={mode!r} is not understood; set it to 'snapshot' (the default) or 'live'"
    )


def _chosen(
    containers: dict[str, Container], namespace: str, pod_name: str, container_name: str | None
) -> list[str]:
    """Names of the containers a call is about: the one asked for, or all of them."""
    if not container_name:  # None, or the "" some models send for "no container"
        return list(containers)
    if container_name not in containers:
        raise ToolInputError(
            f"container {container_name!r} not found in pod {pod_name!r} (namespace {namespace!r}); "
            f"containers: {', '.join(containers)}"
        )
    return [container_name]


def get_kubernetes_pod_logs(
    namespace: Namespace, pod_name: PodName, container_name: ContainerName = None
) -> dict[str, Any]:
    """Retrieves logs from a specific pod in a Kubernetes cluster. Useful for debugging crashes or errors.

    Returns:
        {"logs": lines joined by "; "}; without `container_name`, every container's lines, each
        prefixed "[container] ", and "containers": the names read.

    Raises:
        ToolInputError: the namespace, pod or container does not exist (the message lists what does).
    """
    source = cluster_source()
    containers = source.containers(namespace, pod_name)
    names = _chosen(containers, namespace, pod_name, container_name)
    if container_name:
        return {"logs": LOG_SEPARATOR.join(source.logs(namespace, pod_name, container_name))}
    lines = [f"[{name}] {line}" for name in names for line in source.logs(namespace, pod_name, name)]
    return {"logs": LOG_SEPARATOR.join(lines), "containers": names}


def _resource_data(
    namespace: str, pod_name: str, container_name: str | None, resource: str
) -> dict[str, Any]:
    """Usage, request and limit of one resource for a container, or summed over the pod."""
    containers = cluster_source().containers(namespace, pod_name)
    names = _chosen(containers, namespace, pod_name, container_name)
    fmt = format_cpu if resource == "cpu" else format_memory
    result: dict[str, Any] = {}
    for key, field in (("usage", "usage"), ("request", "requests"), ("limit", "limits")):
        values = [containers[n][field][resource] for n in names if resource in containers[n][field]]
        if container_name:
            result[key] = normalize(values[0], resource) if values else None
        elif key == "limit" and len(values) < len(names):
            result[key] = None  # one unlimited container makes the whole pod unlimited
        else:
            result[key] = fmt(total(values)) if values else None
    if not container_name:
        result["containers"] = names
    return result


def _resource_tool(resource: str, example: str) -> Callable[..., dict[str, Any]]:
    """One seed tool per resource; only the name, the docstring (the model reads it) and the resource differ."""

    def tool(namespace: Namespace, pod_name: PodName, container_name: ContainerName = None) -> dict[str, Any]:
        return _resource_data(namespace, pod_name, container_name, resource)

    tool.__name__ = tool.__qualname__ = f"get_kubernetes_pod_{resource}_data"
    tool.__doc__ = f"""Retrieves the current {resource} usage, request, and limit of a specific pod in a Kubernetes cluster.

    Returns:
        {{"usage", "request", "limit"}} as quantities ("{example}"), None where not set or not measured;
        without `container_name`, the pod's totals and "containers": the names summed.

    Raises:
        ToolInputError: the namespace, pod or container does not exist (the message lists what does).
    """
    return tool


get_kubernetes_pod_memory_data = _resource_tool("memory", "1Gi")
get_kubernetes_pod_cpu_data = _resource_tool("cpu", "104m")

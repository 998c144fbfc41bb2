"""Pod data from a real cluster through the official `kubernetes` client (`WORKBOOK_CLUSTER=live`).

Logs come from `read_namespaced_pod_log`, requests and limits from the pod spec, and usage from
the metrics-server (`metrics.k8s.io/v1beta1` PodMetrics, read with the custom objects API).
"""

from __future__ import annotations

from typing import Any

from helpers.errors import ConfigError, ToolInputError

LOG_TAIL_LINES = 50  # a model needs the last lines, not a day of logs


class LiveCluster:
    """A `ClusterSource` over a CoreV1Api and a CustomObjectsApi (or test doubles of them)."""

    def __init__(self, core: Any, custom: Any) -> None:
        self.core = core
        self.custom = custom

    @classmethod
    def from_kubeconfig(cls) -> LiveCluster:
        """Load the kubeconfig (or the in-cluster service account) and build the API clients.

        Raises:
            ConfigError: neither a kubeconfig nor an in-cluster configuration could be loaded.
        """
        try:
            from kubernetes import client, config
        except ImportError:
            raise ConfigError(
                "WORKBOOK_CLUSTER=live needs the Kubernetes client, which the learner set-up leaves out. "
                "Install it with: bash scripts/install.sh --live"
            ) from None

        try:
            config.load_kube_config()
        except Exception as kube_error:  # missing file, bad context, ... all mean "not this way"
            try:
                config.load_incluster_config()
            except config.ConfigException:
                raise ConfigError(
                    f"WORKBOOK_CLUSTER=live but no kubeconfig could be loaded ({kube_error}); "
                    "set KUBECONFIG to a working kubeconfig, or unset WORKBOOK_CLUSTER to use the snapshot"
                ) from kube_error
        return cls(client.CoreV1Api(), client.CustomObjectsApi())

    def _not_found(self, namespace: str, pod_name: str) -> ToolInputError:
        """Explain a 404 on a pod: name the missing namespace or pod and list what exists."""
        from kubernetes.client.exceptions import ApiException

        try:
            namespaces = [ns.metadata.name for ns in self.core.list_namespace().items]
            if namespace not in namespaces:
                return ToolInputError(
                    f"namespace {namespace!r} not found; namespaces: {', '.join(namespaces)}"
                )
            pods = [p.metadata.name for p in self.core.list_namespaced_pod(namespace).items]
            listing = f"; pods there: {', '.join(pods) or 'none'}"
        except ApiException as error:  # RBAC may allow reading one pod but not listing
            listing = f" (listing what exists was refused: {error.status} {error.reason})"
        return ToolInputError(f"pod {pod_name!r} not found in namespace {namespace!r}{listing}")

    def containers(
        self, namespace: str, pod_name: str
    ) -> dict[str, dict[str, Any]]:  # name -> helpers.scenarios.cluster.Container
        """The pod's containers with spec requests/limits and metrics-server usage."""
        from kubernetes.client.exceptions import ApiException

        try:
            pod = self.core.read_namespaced_pod(name=pod_name, namespace=namespace)
        except ApiException as error:
            if error.status == 404:
                raise self._not_found(namespace, pod_name) from None
            raise
        usage: dict[str, dict[str, str]] = {}
        try:
            metrics = self.custom.get_namespaced_custom_object(
                "metrics.k8s.io", "v1beta1", namespace, "pods", pod_name
            )
            usage = {c["name"]: dict(c.get("usage") or {}) for c in metrics.get("containers", [])}
        except ApiException as error:
            if error.status != 404:  # 404: no metrics-server, or the pod is not running; usage stays unknown
                raise
        return {
            c.name: {
                "usage": usage.get(c.name, {}),
                "requests": dict((c.resources and c.resources.requests) or {}),
                "limits": dict((c.resources and c.resources.limits) or {}),
            }
            for c in pod.spec.containers
        }

    def logs(self, namespace: str, pod_name: str, container_name: str) -> list[str]:
        """The container's last `LOG_TAIL_LINES` log lines."""
        text = self.core.read_namespaced_pod_log(
            name=pod_name, namespace=namespace, container=container_name, tail_lines=LOG_TAIL_LINES
        )
        return text.splitlines()

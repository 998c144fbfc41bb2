"""The Kubernetes tools of seed 002: exact seed contents, totals, clear errors, and the live path."""

from __future__ import annotations

import json
from typing import Any

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from helpers.errors import ConfigError, ToolInputError
from helpers.scenarios import cluster
from helpers.scenarios.cluster import (
    get_kubernetes_pod_cpu_data,
    get_kubernetes_pod_logs,
    get_kubernetes_pod_memory_data,
)
from helpers.scenarios.cluster_live import LOG_TAIL_LINES, LiveCluster

SEED_ARGS = {"namespace": "default", "pod_name": "billing-service-v1-abcdef", "container_name": "istio-proxy"}
# The tool messages of seed 002, byte for byte.
SEED_LOGS = (
    '{"logs": "warn    Envoy may have been out of memory killed. Check memory usage and limits.; '
    'error    Epoch 0 exited with error: signal: killed"}'
)
SEED_MEMORY = '{"usage": "1Gi", "request": "512Mi", "limit": "1Gi"}'
SEED_CPU = '{"usage": "104m", "request": "512m", "limit": "1024m"}'


@pytest.fixture(autouse=True)
def snapshot_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WORKBOOK_CLUSTER", raising=False)


def test_seed_tool_contents_are_reproduced_exactly() -> None:
    assert json.dumps(get_kubernetes_pod_logs(**SEED_ARGS)) == SEED_LOGS
    assert json.dumps(get_kubernetes_pod_memory_data(**SEED_ARGS)) == SEED_MEMORY
    assert json.dumps(get_kubernetes_pod_cpu_data(**SEED_ARGS)) == SEED_CPU


def test_docstrings_are_the_seed_descriptions() -> None:
    first_lines = [
        f.__doc__.splitlines()[0]
        for f in (get_kubernetes_pod_logs, get_kubernetes_pod_memory_data, get_kubernetes_pod_cpu_data)
    ]
    assert first_lines == [
        "Retrieves logs from a specific pod in a Kubernetes cluster. Useful for debugging crashes or errors.",
        "Retrieves the current memory usage, request, and limit of a specific pod in a Kubernetes cluster.",
        "Retrieves the current cpu usage, request, and limit of a specific pod in a Kubernetes cluster.",
    ]


def test_pod_totals_add_quantities_the_kubernetes_way() -> None:
    pod = {"namespace": "default", "pod_name": "billing-service-v1-abcdef"}
    # billing-service 312Mi/384Mi/768Mi + istio-proxy 1Gi/512Mi/1Gi
    assert get_kubernetes_pod_memory_data(**pod) == {
        "usage": "1336Mi",
        "request": "896Mi",
        "limit": "1792Mi",
        "containers": ["billing-service", "istio-proxy"],
    }
    # billing-service 142m/250m/1 + istio-proxy 104m/512m/1024m
    assert get_kubernetes_pod_cpu_data(**pod) == {
        "usage": "246m",
        "request": "762m",
        "limit": "2024m",
        "containers": ["billing-service", "istio-proxy"],
    }


def test_missing_limit_and_missing_usage_are_null() -> None:
    grafana = get_kubernetes_pod_cpu_data("monitoring", "grafana-7d9c8b6f5-rt4wx")
    assert grafana["limit"] is None and grafana["usage"] == "9m"  # no CPU limit: the pod is unbounded
    crashing = get_kubernetes_pod_memory_data("payments", "fraud-check-84b7c6d5f-tq8vn", "fraud-check")
    assert crashing == {"usage": None, "request": "256Mi", "limit": "512Mi"}  # CrashLoopBackOff: not measured


def test_logs_of_all_containers_say_which() -> None:
    result = get_kubernetes_pod_logs("default", "billing-service-v1-abcdef")
    assert result["containers"] == ["billing-service", "istio-proxy"]
    lines = result["logs"].split("; ")
    assert lines[-2:] == [
        "[istio-proxy] warn    Envoy may have been out of memory killed. Check memory usage and limits.",
        "[istio-proxy] error    Epoch 0 exited with error: signal: killed",
    ]
    assert all(line.startswith("[billing-service] ") for line in lines[:-2])
    assert get_kubernetes_pod_logs("default", "billing-service-v1-abcdef", "") == result  # "" means all


def test_other_pods_tell_their_own_story() -> None:
    logs = get_kubernetes_pod_logs("payments", "fraud-check-84b7c6d5f-tq8vn", "fraud-check")["logs"]
    assert "FRAUD_MODEL_URL is not set" in logs
    assert get_kubernetes_pod_memory_data("istio-system", "istiod-6f9c8d7b5-wx4lz", "discovery") == {
        "usage": "211Mi",
        "request": "2Gi",
        "limit": "4Gi",
    }


def test_unknown_namespace_pod_and_container_are_named() -> None:
    with pytest.raises(
        ToolInputError,
        match=r"namespace 'prod' not found; namespaces: default, istio-system, payments, monitoring",
    ):
        get_kubernetes_pod_logs("prod", "billing-service-v1-abcdef")
    with pytest.raises(
        ToolInputError,
        match=r"pod 'billing-service' not found in namespace 'default'; pods there: billing-service-v1-abcdef, frontend-web",
    ):
        get_kubernetes_pod_memory_data("default", "billing-service")
    with pytest.raises(
        ToolInputError,
        match=r"container 'envoy' not found in pod 'billing-service-v1-abcdef' \(namespace 'default'\); containers: billing-service, istio-proxy",
    ):
        get_kubernetes_pod_cpu_data("default", "billing-service-v1-abcdef", "envoy")
    assert issubclass(ToolInputError, ValueError)


def test_cluster_mode_is_read_at_call_time(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    monkeypatch.setenv("WORKBOOK_CLUSTER", "staging")
    with pytest.raises(ConfigError, match="WORKBOOK_CLUSTER='staging'.*'snapshot'.*'live'"):
        get_kubernetes_pod_logs(**SEED_ARGS)
    monkeypatch.setenv("WORKBOOK_CLUSTER", "live")
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "missing-kubeconfig"))
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    with pytest.raises(ConfigError, match="WORKBOOK_CLUSTER=live but no kubeconfig could be loaded"):
        get_kubernetes_pod_memory_data(**SEED_ARGS)
    monkeypatch.setenv("WORKBOOK_CLUSTER", "snapshot")
    assert json.dumps(get_kubernetes_pod_memory_data(**SEED_ARGS)) == SEED_MEMORY


# ---------------------------------------------------------------- live path, against fake API objects


def _container(name: str, requests: dict[str, str], limits: dict[str, str]) -> client.V1Container:
    return client.V1Container(
        name=name, resources=client.V1ResourceRequirements(requests=requests, limits=limits)
    )


class FakeCore:
    """The three CoreV1Api calls the live path makes, answering from fixed kubernetes model objects."""

    def __init__(self) -> None:
        self.log_calls: list[dict[str, Any]] = []
        self.pod = client.V1Pod(
            metadata=client.V1ObjectMeta(name="billing-service-v1-abcdef", namespace="default"),
            spec=client.V1PodSpec(
                containers=[
                    _container(
                        "billing-service", {"memory": "384Mi", "cpu": "250m"}, {"memory": "768Mi", "cpu": "1"}
                    ),
                    _container(
                        "istio-proxy", {"memory": "512Mi", "cpu": "512m"}, {"memory": "1Gi", "cpu": "1024m"}
                    ),
                ]
            ),
        )

    def read_namespaced_pod(self, name: str, namespace: str) -> client.V1Pod:
        if (namespace, name) != ("default", "billing-service-v1-abcdef"):
            raise ApiException(status=404, reason="Not Found")
        return self.pod

    def read_namespaced_pod_log(self, **kwargs: Any) -> str:
        self.log_calls.append(kwargs)
        if kwargs["container"] == "istio-proxy":
            return (
                "warn    Envoy may have been out of memory killed. Check memory usage and limits.\n"
                "error    Epoch 0 exited with error: signal: killed\n"
            )
        return "2025-10-18T15:01:57.204Z INFO  charge ok\n"

    def list_namespace(self) -> client.V1NamespaceList:
        names = ["default", "kube-system"]
        return client.V1NamespaceList(
            items=[client.V1Namespace(metadata=client.V1ObjectMeta(name=n)) for n in names]
        )

    def list_namespaced_pod(self, namespace: str) -> client.V1PodList:
        return client.V1PodList(items=[self.pod] if namespace == "default" else [])


class FakeCustom:
    """metrics.k8s.io as the metrics-server reports it: Ki and nanocores."""

    def __init__(self, available: bool = True) -> None:
        self.available = available

    def get_namespaced_custom_object(
        self, group: str, version: str, namespace: str, plural: str, name: str
    ) -> dict:
        assert (group, version, plural) == ("metrics.k8s.io", "v1beta1", "pods")
        if not self.available:
            raise ApiException(status=404, reason="Not Found")
        return {
            "containers": [
                {"name": "billing-service", "usage": {"cpu": "141870312n", "memory": "319488Ki"}},
                {"name": "istio-proxy", "usage": {"cpu": "103999999n", "memory": "1048576Ki"}},
            ]
        }


@pytest.fixture
def fake_live(monkeypatch: pytest.MonkeyPatch) -> FakeCore:
    core = FakeCore()
    monkeypatch.setenv("WORKBOOK_CLUSTER", "live")
    monkeypatch.setattr(LiveCluster, "from_kubeconfig", classmethod(lambda cls: cls(core, FakeCustom())))
    return core


def test_live_path_gives_the_seed_contents(fake_live: FakeCore) -> None:
    assert json.dumps(get_kubernetes_pod_logs(**SEED_ARGS)) == SEED_LOGS
    assert json.dumps(get_kubernetes_pod_memory_data(**SEED_ARGS)) == SEED_MEMORY
    assert json.dumps(get_kubernetes_pod_cpu_data(**SEED_ARGS)) == SEED_CPU
    assert fake_live.log_calls == [
        {
            "name": "billing-service-v1-abcdef",
            "namespace": "default",
            "container": "istio-proxy",
            "tail_lines": LOG_TAIL_LINES,
        }
    ]


def test_live_path_totals_and_all_logs(fake_live: FakeCore) -> None:
    memory = get_kubernetes_pod_memory_data("default", "billing-service-v1-abcdef")
    assert memory == {
        "usage": "1336Mi",
        "request": "896Mi",
        "limit": "1792Mi",
        "containers": ["billing-service", "istio-proxy"],
    }
    logs = get_kubernetes_pod_logs("default", "billing-service-v1-abcdef")
    assert logs["logs"].startswith(
        "[billing-service] 2025-10-18T15:01:57.204Z INFO  charge ok; [istio-proxy] warn"
    )


def test_live_path_not_found_lists_what_exists(fake_live: FakeCore) -> None:
    with pytest.raises(ToolInputError, match="namespace 'prod' not found; namespaces: default, kube-system"):
        get_kubernetes_pod_logs("prod", "billing-service-v1-abcdef")
    with pytest.raises(
        ToolInputError,
        match="pod 'nope' not found in namespace 'default'; pods there: billing-service-v1-abcdef",
    ):
        get_kubernetes_pod_cpu_data("default", "nope")
    with pytest.raises(ToolInputError, match="container 'envoy' not found"):
        get_kubernetes_pod_cpu_data("default", "billing-service-v1-abcdef", "envoy")


def test_live_path_without_metrics_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKBOOK_CLUSTER", "live")
    monkeypatch.setattr(
        LiveCluster, "from_kubeconfig", classmethod(lambda cls: cls(FakeCore(), FakeCustom(False)))
    )
    assert get_kubernetes_pod_memory_data(**SEED_ARGS) == {"usage": None, "request": "512Mi", "limit": "1Gi"}


def test_snapshot_path_is_independent_of_the_working_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.chdir(tmp_path)
    assert cluster.SNAPSHOT_PATH.is_absolute() and cluster.SNAPSHOT_PATH.exists()
    assert json.dumps(get_kubernetes_pod_cpu_data(**SEED_ARGS)) == SEED_CPU

"""docker-compose.yml and deploy/kubernetes cannot run here (no Docker engine, no cluster), so
they are checked by parsing and schema validation, and against the repo and the topic catalog."""

from __future__ import annotations

import json
import tomllib
from importlib import resources
from pathlib import Path

import jsonschema
import kubernetes_validate
import pytest
import yaml

from pactline_evaluator.settings import EvaluatorSettings
from pactline_events import ALL_TOPICS
from pactline_gateway.settings import GatewaySettings
from pactline_jury.settings import JurySettings
from pactline_registry.settings import RegistrySettings
from pactline_scoring.settings import ScoringSettings
from pactline_service import ServiceSettings
from pactline_settlement.settings import SettlementSettings

ROOT = Path(__file__).resolve().parents[1]
K8S = ROOT / "deploy" / "kubernetes"
DESIGN_SERVICES = {"pact-registry", "evaluator", "jury", "scoring", "settlement", "gateway"}
SETTINGS = {
    "pact-registry": RegistrySettings,
    "evaluator": EvaluatorSettings,
    "jury": JurySettings,
    "scoring": ScoringSettings,
    "settlement": SettlementSettings,
    "gateway": GatewaySettings,
}


def workspace_services() -> dict[str, dict]:
    """Service name -> its pyproject, for every folder under services/."""
    return {p.parent.name: tomllib.loads(p.read_text()) for p in ROOT.glob("services/*/pyproject.toml")}


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def k8s_docs() -> list[dict]:
    docs = []
    for path in sorted(K8S.glob("*.yaml")):
        if path.name != "kustomization.yaml":
            docs.extend(d for d in yaml.safe_load_all(path.read_text()) if d)
    return docs


def test_compose_file_is_valid_against_the_compose_spec():
    schema_text = resources.files("check_jsonschema.builtin_schemas.vendor").joinpath("compose-spec.json").read_text()
    jsonschema.validate(compose(), json.loads(schema_text))


def test_every_compose_service_built_from_the_repo_exists_with_an_entry_point():
    members = workspace_services()
    by_package = {m["project"]["name"]: m for m in members.values()}
    built = {name: svc for name, svc in compose()["services"].items() if "build" in svc}
    assert set(built) >= DESIGN_SERVICES, "docker-compose.yml must run all six services"
    for name, svc in built.items():
        package = f"pactline-{svc['build']['args']['SERVICE']}"
        assert package in by_package, f"compose service {name} builds {package}, which is not in services/"
        assert package in by_package[package]["project"]["scripts"], f"{package} has no `{package}` entry point"
        if name in DESIGN_SERVICES:
            assert name in members, f"compose service {name} has no services/{name} folder"


def test_compose_passes_only_settings_the_services_read():
    for name, svc in compose()["services"].items():
        env = svc.get("environment", {})
        known = {f"PACTLINE_{field.upper()}" for field in SETTINGS.get(name, ServiceSettings).model_fields}
        unknown = {k for k in env if k.startswith("PACTLINE_")} - known
        assert not unknown, f"{name} sets {unknown}, which no setting reads"


def test_compose_images_are_pinned():
    for name, svc in compose()["services"].items():
        if "image" in svc:
            assert ":" in svc["image"], name
            assert not svc["image"].endswith(":latest"), name


def test_kustomization_lists_existing_files():
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    for resource in kustomization["resources"]:
        assert (K8S / resource).is_file(), resource


@pytest.mark.parametrize(
    "doc",
    [d for d in k8s_docs() if "." not in d["apiVersion"].split("/")[0]],
    ids=lambda d: f"{d['kind']}/{d['metadata']['name']}",
)
def test_core_manifests_validate_against_the_kubernetes_schema(doc):
    kubernetes_validate.validate(doc, "1.33.0", strict=True)


def test_deployments_probe_ready_and_health_run_unprivileged_and_take_secrets_from_secrets():
    deployments = {d["metadata"]["name"]: d for d in k8s_docs() if d["kind"] == "Deployment"}
    assert set(deployments) == DESIGN_SERVICES
    for name, dep in deployments.items():
        pod = dep["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        (container,) = pod["containers"]
        assert container["readinessProbe"]["httpGet"]["path"] == "/ready", name
        assert container["livenessProbe"]["httpGet"]["path"] == "/health", name
        env = {e["name"]: e for e in container["env"]}
        assert "secretKeyRef" in env["PACTLINE_DATABASE_URL"]["valueFrom"], (
            f"{name}: database URL must come from a Secret"
        )
        assert all("value" not in e for k, e in env.items() if "KEY" in k or ("URL" in k and "DATABASE" in k)), name


def test_kafka_topics_match_the_catalog():
    declared = {
        d["spec"]["topicName"]: (d["spec"]["partitions"], d["spec"]["config"]["retention.ms"])
        for d in k8s_docs()
        if d["kind"] == "KafkaTopic"
    }
    assert declared == {t.name: (t.partitions, t.retention_ms) for t in ALL_TOPICS}


def test_kafka_is_kraft_without_auto_topic_creation():
    (kafka,) = [d for d in k8s_docs() if d["kind"] == "Kafka"]
    assert kafka["metadata"]["annotations"]["strimzi.io/kraft"] == "enabled"
    assert kafka["spec"]["kafka"]["config"]["auto.create.topics.enable"] is False

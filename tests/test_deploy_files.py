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
from pactline_events import ALL_TOPICS, TrustStore
from pactline_gateway.settings import GatewaySettings
from pactline_jury.settings import JurySettings
from pactline_messaging.broker_acls import ADMIN, PRINCIPALS, compose_script, grants
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
        # Secrets by reference only; a *_FILE names where a Secret is mounted, not a secret.
        secret_like = [k for k in env if ("KEY" in k or "PASSWORD" in k or k == "PACTLINE_DATABASE_URL")]
        assert all("value" not in env[k] for k in secret_like if not k.endswith("_FILE")), name


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


def test_kafka_clients_must_authenticate_and_be_authorized():
    (kafka,) = [d for d in k8s_docs() if d["kind"] == "Kafka"]
    listeners = kafka["spec"]["kafka"]["listeners"]
    assert listeners
    for listener in listeners:
        assert listener["authentication"]["type"] == "scram-sha-512", listener["name"]
        assert listener["tls"] is True, listener["name"]
    assert kafka["spec"]["kafka"]["authorization"] == {"type": "simple", "superUsers": [ADMIN]}
    assert "userOperator" in kafka["spec"]["entityOperator"]


def test_kafka_users_carry_exactly_the_grants_of_the_acl_table():
    users = {d["metadata"]["name"]: d for d in k8s_docs() if d["kind"] == "KafkaUser"}
    assert set(users) == set(PRINCIPALS)
    declared = set()
    for name, user in users.items():
        assert user["metadata"]["labels"] == {"strimzi.io/cluster": "pactline"}, name
        assert user["spec"]["authentication"] == {"type": "scram-sha-512"}, name
        if name == ADMIN:
            assert "authorization" not in user["spec"]  # the super user (kafka.yaml)
            continue
        assert user["spec"]["authorization"]["type"] == "simple", name
        for acl in user["spec"]["authorization"]["acls"]:
            resource = acl["resource"]
            assert set(resource) == {"type", "name", "patternType"}, name
            assert resource["patternType"] == "literal", name
            (operation,) = acl["operations"]
            declared.add((name, resource["type"], resource["name"], operation))
    assert declared == {(g.principal, g.resource, g.name, g.operation) for g in grants()}


def test_each_service_signs_with_its_own_key_and_authenticates_as_itself():
    deployments = {d["metadata"]["name"]: d for d in k8s_docs() if d["kind"] == "Deployment"}
    (trust,) = [d for d in k8s_docs() if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "pactline-event-trust"]
    TrustStore.from_json(trust["data"]["trusted-keys.json"])  # a valid (if still empty) trust store
    for name, dep in deployments.items():
        pod = dep["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        env = {e["name"]: e for e in container["env"]}
        assert env["PACTLINE_ENVIRONMENT"]["value"] == "production", name
        assert env["PACTLINE_KAFKA_USERNAME"]["value"] == name, name
        assert env["PACTLINE_KAFKA_PASSWORD"]["valueFrom"]["secretKeyRef"] == {"name": name, "key": "password"}, name
        volumes = {v["name"]: v for v in pod["volumes"]}
        mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
        key_file = Path(env["PACTLINE_EVENT_SIGNING_KEY_FILE"]["value"])
        assert volumes[mounts[str(key_file.parent)]]["secret"]["secretName"] == f"pactline-event-key-{name}", name
        trust_file = Path(env["PACTLINE_EVENT_TRUSTED_KEYS_FILE"]["value"])
        assert volumes[mounts[str(trust_file.parent)]]["configMap"]["name"] == "pactline-event-trust", name
        assert trust_file.name in trust["data"], name
        ca_file = Path(env["PACTLINE_KAFKA_TLS_CA_FILE"]["value"])
        assert volumes[mounts[str(ca_file.parent)]]["secret"]["secretName"] == "pactline-cluster-ca-cert", name


def test_compose_broker_takes_sasl_scram_only_with_acls_and_each_service_its_own_secrets():
    services = compose()["services"]
    kafka_env = services["kafka"]["environment"]
    protocols = dict(item.split(":") for item in kafka_env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(","))
    for listener in kafka_env["KAFKA_LISTENERS"].split(","):
        name, address = listener.split("://")
        # Plaintext only on the container's own loopback (the broker talking to itself).
        assert protocols[name] == "SASL_PLAINTEXT" or address.startswith("localhost:"), listener
    assert kafka_env["KAFKA_AUTHORIZER_CLASS_NAME"].endswith("StandardAuthorizer")
    assert kafka_env["KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND"] == "false"
    assert (ROOT / "deploy" / "compose" / "kafka-acls.sh").read_text() == compose_script()
    formatted = services["kafka-format"]["entrypoint"][-1]
    for user in PRINCIPALS:
        assert f"kafka-{user}" in services["kafka-format"]["secrets"], user
        assert user in formatted, user
    for name in DESIGN_SERVICES:
        env = services[name]["environment"]
        assert env["PACTLINE_KAFKA_USERNAME"] == name
        assert env["PACTLINE_KAFKA_PASSWORD_FILE"] == f"/run/secrets/kafka-{name}"
        assert env["PACTLINE_EVENT_SIGNING_KEY_FILE"] == f"/run/secrets/event-key-{name}"
        assert set(services[name]["secrets"]) == {"event-trust", f"event-key-{name}", f"kafka-{name}"}
        assert env["PACTLINE_ENVIRONMENT"] == "local"

"""The registry commands of `pactline` against a live pact-registry (uvicorn, real Postgres and
Kafka): register -> publish -> accept -> submit, and refusals printed with their pointers."""

from __future__ import annotations

import dataclasses
import json
import socket
import threading
from pathlib import Path

import pytest
import uvicorn
import yaml
from typer.testing import CliRunner

from pactline_cli.main import app
from pactline_registry.app import SPEC
from pactline_registry.settings import RegistrySettings
from pactline_service import build_app
from waiting import wait_for

pytestmark = pytest.mark.infra

BOOTSTRAP = "cli-test-bootstrap-key-0123456789"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "pacts"


@pytest.fixture
async def registry_url(database_url, kafka_topics, db_schema):
    settings = RegistrySettings(
        database_url=database_url,
        kafka_bootstrap=kafka_topics,
        registry_bootstrap_admin_key=BOOTSTRAP,
        log_format="text",
    )
    registry = build_app(dataclasses.replace(SPEC, schema=db_schema), settings)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(registry, host="127.0.0.1", port=port, log_config=None, lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()

    async def started() -> bool:
        return server.started

    await wait_for(started, timeout=60, what="the registry to start")
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(30)


def pactline(url: str, key: str | None, *args: str):
    env = {"PACTLINE_REGISTRY_URL": url, "PACTLINE_API_KEY": key or ""}
    return CliRunner().invoke(app, list(args), env=env)


def test_the_registry_story_through_the_cli(registry_url, tmp_path):
    made = pactline(
        registry_url, BOOTSTRAP, "keys", "create", "--role", "operator", "--name", "acme", "--address", "0x" + "ab" * 20
    )
    assert made.exit_code == 0, made.output
    operator_key = json.loads(made.stdout)["key"]["api_key"]
    made = pactline(
        registry_url, BOOTSTRAP, "keys", "create", "--role", "buyer", "--name", "shop", "--address", "0x" + "cd" * 20
    )
    buyer_key = json.loads(made.stdout)["key"]["api_key"]

    agent = pactline(registry_url, operator_key, "agents", "register", "--name", "helper", "--model-family", "meta")
    assert agent.exit_code == 0, agent.output
    agent_id = json.loads(agent.stdout)["agent_id"]
    published = pactline(
        registry_url, operator_key, "pacts", "publish", str(EXAMPLES / "customer-support.yaml"), "--agent", agent_id
    )
    assert published.exit_code == 0, published.output
    pact = json.loads(published.stdout)

    accepted = pactline(
        registry_url,
        buyer_key,
        "pacts",
        "accept",
        pact["pact_id"],
        "--mode",
        "aggregate",
        "--price",
        "60000",
        "--pool-size",
        "600000",
    )
    assert accepted.exit_code == 0, accepted.output
    acceptance = json.loads(accepted.stdout)
    assert acceptance["pact_hash"] == pact["pact_hash"]

    task_file = tmp_path / "task.json"
    task_file.write_text(json.dumps({"input": "hi", "output": "hello", "latency_ms": 12, "cost": 3, "tokens": 9}))
    submitted = pactline(
        registry_url,
        buyer_key,
        "tasks",
        "submit",
        acceptance["acceptance_id"],
        "--file",
        str(task_file),
        "--idempotency-key",
        "cli-1",
    )
    assert submitted.exit_code == 0, submitted.output
    listed = pactline(registry_url, buyer_key, "tasks", "list", acceptance["acceptance_id"])
    assert [t["task_id"] for t in json.loads(listed.stdout)] == [json.loads(submitted.stdout)["task_id"]]


def test_refusals_exit_non_zero_and_print_each_field(registry_url, tmp_path):
    made = pactline(
        registry_url, BOOTSTRAP, "keys", "create", "--role", "operator", "--name", "acme", "--address", "0x" + "ab" * 20
    )
    operator_key = json.loads(made.stdout)["key"]["api_key"]
    agent_id = json.loads(
        pactline(registry_url, operator_key, "agents", "register", "--name", "a", "--model-family", "openai").stdout
    )["agent_id"]
    doc = yaml.safe_load((EXAMPLES / "code-review.yaml").read_text())
    doc["clauses"][0]["pattern"] = "(unclosed"
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(doc))

    refused = pactline(registry_url, operator_key, "pacts", "publish", str(bad), "--agent", agent_id)
    assert refused.exit_code == 1
    assert "422 pact_invalid" in refused.stderr
    assert "/clauses/0/pattern: invalid regular expression" in refused.stderr

    anonymous = pactline(registry_url, None, "agents", "list")
    assert anonymous.exit_code == 1
    assert "401 missing_api_key" in anonymous.stderr

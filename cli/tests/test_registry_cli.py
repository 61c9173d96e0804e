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
from eth_utils import to_checksum_address
from typer.testing import CliRunner

from pactline_cli.main import app
from pactline_registry.app import SPEC
from pactline_service import build_app
from registry_testkit import registry_settings
from waiting import wait_for

pytestmark = pytest.mark.infra

BOOTSTRAP = "cli-test-bootstrap-key-0123456789"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "pacts"


@pytest.fixture
async def registry_url(database_url, kafka_topics, db_schema, registry_chain):
    settings = registry_settings(database_url, kafka_topics, registry_chain, registry_bootstrap_admin_key=BOOTSTRAP)
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


def pactline(url: str, key: str | None, *args: str, **env: str):
    env = {"PACTLINE_REGISTRY_URL": url, "PACTLINE_API_KEY": key or "", **env}
    return CliRunner().invoke(app, list(args), env=env)


def test_the_registry_story_through_the_cli(registry_url, registry_chain, tmp_path):
    operator_address = to_checksum_address("0x" + "ab" * 20)  # web3 signs only checksummed addresses
    made = pactline(
        registry_url, BOOTSTRAP, "keys", "create", "--role", "operator", "--name", "acme", "--address", operator_address
    )
    assert made.exit_code == 0, made.output
    operator_key = json.loads(made.stdout)["key"]["api_key"]
    buyer_address = registry_chain.buyer_address  # the buyer signs on chain with its own key
    made = pactline(
        registry_url, BOOTSTRAP, "keys", "create", "--role", "buyer", "--name", "shop", "--address", buyer_address
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
    submit = ("tasks", "submit", acceptance["acceptance_id"], "--file", str(task_file), "--idempotency-key", "cli-1")
    unfunded = pactline(registry_url, buyer_key, *submit)
    assert unfunded.exit_code == 1
    assert "409 escrow_pool_not_funded" in unfunded.stderr

    # The buyer funds the acceptance's pool on chain with its own key, then reports the task.
    chain_env = {
        "PACTLINE_ETH_RPC_URL": registry_chain.rpc_url,
        "PACTLINE_DEPLOYMENT_FILE": str(registry_chain.deployment_file),
        "PACTLINE_BUYER_PRIVATE_KEY": registry_chain.buyer_private_key,
    }
    pool = pactline(
        registry_url, None, "escrow", "open-pool",
        "--provider", acceptance["provider_address"], "--evaluator", registry_chain.evaluator,
        "--amount", "600000", "--price-per-task", "60000", "--pact-hash", "0x" + acceptance["pact_hash"],
        "--acceptance-id", acceptance["acceptance_id"],
        "--expires-in", str(31 * 86_400),  # at least as long as the acceptance (30 days)
        **chain_env,
    )  # fmt: skip
    assert pool.exit_code == 0, pool.output
    submitted = pactline(registry_url, buyer_key, *submit)
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


def test_an_operator_keeps_superseded_versions_on_offer_with_a_flag(registry_url, registry_chain, tmp_path):
    def created(role: str, address: str) -> str:
        made = pactline(registry_url, BOOTSTRAP, "keys", "create", "--role", role, "--name", role, "--address", address)
        return json.loads(made.stdout)["key"]["api_key"]

    operator_key = created("operator", to_checksum_address("0x" + "ab" * 20))
    buyer_key = created("buyer", registry_chain.buyer_address)
    agent_id = json.loads(
        pactline(registry_url, operator_key, "agents", "register", "--name", "a", "--model-family", "openai").stdout
    )["agent_id"]
    document = yaml.safe_load((EXAMPLES / "customer-support.yaml").read_text())

    def publish(version: int, *flags: str) -> dict:
        path = tmp_path / f"v{version}.yaml"
        path.write_text(yaml.safe_dump({**document, "version": version}))
        published = pactline(registry_url, operator_key, "pacts", "publish", str(path), "--agent", agent_id, *flags)
        assert published.exit_code == 0, published.output
        return json.loads(published.stdout)

    def accept(pact_id: str, version: int):
        return pactline(
            registry_url, buyer_key, "pacts", "accept", pact_id, "--mode", "per_task", "--price", "60000",
            "--version", str(version),
        )  # fmt: skip

    pact_id = publish(1)["pact_id"]
    publish(2)
    refused = accept(pact_id, 1)
    assert refused.exit_code == 1
    assert "409 pact_version_superseded" in refused.stderr
    publish(3, "--allow-superseded")
    assert accept(pact_id, 1).exit_code == 0

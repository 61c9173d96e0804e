"""`pactline evidence ...`: the provider countersigns a report, anyone verifies it, and against
a live registry the countersigned report is taken as such, a buyer-only one disputed, and the
agent's endpoint registered."""

from __future__ import annotations

import dataclasses
import json
import socket
import threading
from pathlib import Path

import pytest
import uvicorn
from typer.testing import CliRunner

from pactline_cli.main import app
from pactline_registry.app import SPEC
from pactline_service import build_app
from registry_testkit import registry_settings
from waiting import wait_for

# anvil's accounts #1 and #2, well-known test keys that never hold value.
PROVIDER_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
PROVIDER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
OTHER_KEY = "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "pacts"
TASK = {"input": "hi", "output": "hello", "latency_ms": 850, "cost": 1200, "tokens": 9, "escrow_job_id": "5"}


def pactline(*args: str, **env: str):
    return CliRunner().invoke(app, list(args), env=env)


@pytest.fixture
def task_file(tmp_path):
    path = tmp_path / "task.json"
    path.write_text(json.dumps({**TASK, "idempotency_key": "order-1"}))
    return path


def test_the_provider_signs_and_anyone_verifies(task_file, tmp_path):
    signed = tmp_path / "signed.json"
    made = pactline(
        "evidence", "countersign", str(task_file), "--acceptance", "acc-1", "--output", str(signed),
        PACTLINE_PROVIDER_PRIVATE_KEY=PROVIDER_KEY,
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    assert json.loads(signed.read_text())["countersignature"]["signer"] == PROVIDER
    ok = pactline("evidence", "verify", str(signed), "--acceptance", "acc-1", "--provider", PROVIDER)
    assert ok.exit_code == 0, ok.output
    assert "valid" in ok.stdout
    # A buyer who inflates the latency after signing is caught.
    altered = json.loads(signed.read_text())
    altered["latency_ms"] = 10**12
    signed.write_text(json.dumps(altered))
    caught = pactline("evidence", "verify", str(signed), "--acceptance", "acc-1", "--provider", PROVIDER)
    assert caught.exit_code == 1
    assert "not by the provider's registered address" in caught.stderr


def test_signing_needs_the_providers_key_and_a_report(task_file, tmp_path):
    missing = pactline("evidence", "countersign", str(task_file), "--acceptance", "acc-1")
    assert missing.exit_code == 2
    assert "PACTLINE_PROVIDER_PRIVATE_KEY" in missing.stderr
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"input": "hi"}))
    refused = pactline(
        "evidence", "countersign", str(broken), "--acceptance", "acc-1", PACTLINE_PROVIDER_PRIVATE_KEY=PROVIDER_KEY
    )
    assert refused.exit_code == 1
    assert "/output" in refused.stderr


BOOTSTRAP = "cli-evidence-bootstrap-key-0123456789"


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


@pytest.mark.infra
async def test_countersigned_disputed_and_endpoint_through_the_registry(registry_url, registry_chain, tmp_path):
    def cli(key: str, *args: str, **env: str):
        return pactline(*args, PACTLINE_REGISTRY_URL=registry_url, PACTLINE_API_KEY=key, **env)

    def created(role: str, address: str) -> str:
        made = cli(BOOTSTRAP, "keys", "create", "--role", role, "--name", role, "--address", address)
        assert made.exit_code == 0, made.output
        return json.loads(made.stdout)["key"]["api_key"]

    operator, buyer = created("operator", PROVIDER), created("buyer", registry_chain.buyer_address)
    agent_id = json.loads(cli(operator, "agents", "register", "--name", "bot", "--model-family", "meta").stdout)[
        "agent_id"
    ]
    endpoint = cli(operator, "evidence", "endpoint", agent_id, "http://127.0.0.1:8180/agents/reliable/v1")
    assert endpoint.exit_code == 0, endpoint.output
    assert json.loads(endpoint.stdout)["base_url"].endswith("/agents/reliable/v1")
    from pathlib import Path

    examples = Path(__file__).resolve().parents[2] / "examples" / "pacts"
    pact = json.loads(
        cli(operator, "pacts", "publish", str(examples / "customer-support.yaml"), "--agent", agent_id).stdout
    )
    accepted = json.loads(
        cli(buyer, "pacts", "accept", pact["pact_id"], "--mode", "per_task", "--price", "60000").stdout
    )
    acceptance = accepted["acceptance_id"]
    # Each task is paid by a job the buyer funded for this acceptance (docs/pacts.md, "Escrow on chain").
    jobs = [await registry_chain.fund_job(accepted) for _ in range(3)]
    task_file = tmp_path / "task.json"
    task_file.write_text(json.dumps({**TASK, "idempotency_key": "order-1", "escrow_job_id": jobs[0]}))

    signed = tmp_path / "signed.json"
    assert cli(
        operator, "evidence", "countersign", str(task_file), "--acceptance", acceptance, "--output", str(signed),
        PACTLINE_PROVIDER_PRIVATE_KEY=PROVIDER_KEY,
    ).exit_code == 0  # fmt: skip
    taken = cli(buyer, "tasks", "submit", acceptance, "--file", str(signed))
    assert taken.exit_code == 0, taken.output
    assert json.loads(taken.stdout)["provenance"] == "countersigned"

    forged = tmp_path / "forged.json"
    cli(
        operator, "evidence", "countersign", str(task_file), "--acceptance", acceptance, "--output", str(forged),
        PACTLINE_PROVIDER_PRIVATE_KEY=OTHER_KEY,
    )  # fmt: skip
    data = json.loads(forged.read_text())
    data.update(idempotency_key="order-2", escrow_job_id=jobs[1])
    forged.write_text(json.dumps(data))
    refused = cli(buyer, "tasks", "submit", acceptance, "--file", str(forged))
    assert refused.exit_code == 1
    assert "422 countersignature_invalid" in refused.stderr

    alone = tmp_path / "alone.json"
    alone.write_text(json.dumps({**TASK, "idempotency_key": "order-3", "escrow_job_id": jobs[2], "latency_ms": 10**12}))
    report = json.loads(cli(buyer, "tasks", "submit", acceptance, "--file", str(alone)).stdout)
    assert report["provenance"] == "buyer_only"
    disputed = cli(operator, "evidence", "dispute", report["task_id"], "--reason", "answered in 850 ms")
    assert disputed.exit_code == 0, disputed.output
    assert json.loads(disputed.stdout)["reason"] == "answered in 850 ms"

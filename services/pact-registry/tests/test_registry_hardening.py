"""The registry's gaps from the security review (issue 9, item 6), each attack performed against
the running registry: key revocation by scope, 409 (not 500) for racing tasks, 404 for other
parties' resources, no lock before authorization, superseded pact versions, bootstrap key
strength, the public pepper outside local development, and per-key write limits."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import subprocess
import sys

import httpx
import pytest
import yaml
from pydantic import ValidationError

from pactline_registry.app import SPEC
from pactline_registry.settings import RegistrySettings
from pactline_service import build_app
from registry_testkit import BOOTSTRAP_KEY, EXAMPLES, Registry, auth, registry_settings, task_body

infra = pytest.mark.infra


def key_id(key: str) -> str:
    return key.removeprefix("pl_live_")[:16]


async def new_key(registry, principal_id: str, scopes: list[str]) -> str:
    created = await registry.client.post(
        "/v1/keys", json={"principal_id": principal_id, "scopes": scopes}, headers=auth(BOOTSTRAP_KEY)
    )
    assert created.status_code == 201, created.text
    return created.json()["api_key"]


# Revoking keys ------------------------------------------------------------------------------


@infra
async def test_a_read_only_key_cannot_revoke_even_its_own_principals_keys(registry):
    buyer_id, buyer_key = await registry.principal("buyer")
    read_only = await new_key(registry, buyer_id, ["read"])
    for target in (buyer_key, read_only):
        refused = await registry.client.post(f"/v1/keys/{key_id(target)}/revoke", headers=auth(read_only))
        assert refused.status_code == 403, refused.text
        assert refused.json()["error"]["code"] == "missing_scope"
    assert (await registry.client.get("/v1/me", headers=auth(buyer_key))).status_code == 200
    assert (await registry.counts())["outbox"] == 2  # the two ApiKeyIssued, no ApiKeyRevoked


@infra
async def test_an_admin_key_limited_to_read_cannot_revoke_others_keys(registry):
    admin_id, _ = await registry.principal("admin")
    reading_admin = await new_key(registry, admin_id, ["read"])
    _, buyer_key = await registry.principal("buyer")
    refused = await registry.client.post(f"/v1/keys/{key_id(buyer_key)}/revoke", headers=auth(reading_admin))
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "missing_scope"
    assert (await registry.client.get("/v1/me", headers=auth(buyer_key))).status_code == 200


@infra
async def test_another_principals_key_is_as_unknown_as_a_key_that_never_existed(registry):
    _, victim_key = await registry.principal("buyer", name="victim")
    _, stranger_key = await registry.principal("buyer", name="stranger")
    foreign = await registry.client.post(f"/v1/keys/{key_id(victim_key)}/revoke", headers=auth(stranger_key))
    unknown = await registry.client.post("/v1/keys/0123456789abcdef/revoke", headers=auth(stranger_key))
    assert foreign.status_code == unknown.status_code == 404
    assert foreign.json()["error"]["code"] == unknown.json()["error"]["code"] == "api_key_not_found"
    assert (await registry.client.get("/v1/me", headers=auth(victim_key))).status_code == 200


# Other parties' resources -------------------------------------------------------------------


async def _world(registry):
    _, op_key = await registry.principal("operator")
    buyer_id, buyer_key = await registry.principal("buyer")
    _, stranger_key = await registry.principal("buyer", name="stranger")
    pact = await registry.publish(op_key, await registry.agent(op_key))
    acceptance = await registry.accept(buyer_key, pact["pact_id"])
    task = await registry.client.post(
        f"/v1/acceptances/{acceptance['acceptance_id']}/tasks",
        json=task_body(job=await registry.job(acceptance)),
        headers=auth(buyer_key),
    )
    assert task.status_code == 201, task.text
    return op_key, buyer_id, buyer_key, stranger_key, acceptance, task.json()


@infra
async def test_reads_of_another_partys_resources_answer_exactly_as_for_unknown_ids(registry):
    _, buyer_id, _, stranger_key, acceptance, task = await _world(registry)
    pairs = [
        (f"/v1/acceptances/{acceptance['acceptance_id']}", "/v1/acceptances/acc-unknown"),
        (f"/v1/acceptances/{acceptance['acceptance_id']}/tasks", "/v1/acceptances/acc-unknown/tasks"),
        (f"/v1/tasks/{task['task_id']}", "/v1/tasks/tsk-unknown"),
    ]
    for foreign_url, unknown_url in pairs:
        foreign = await registry.client.get(foreign_url, headers=auth(stranger_key))
        unknown = await registry.client.get(unknown_url, headers=auth(stranger_key))
        assert foreign.status_code == unknown.status_code == 404
        assert foreign.json()["error"]["code"] == unknown.json()["error"]["code"]
        # The message names the id asked for and nothing of the resource or its parties.
        foreign_id, unknown_id = foreign_url.split("/")[3], unknown_url.split("/")[3]
        assert foreign.json()["error"]["message"].replace(foreign_id, "X") == unknown.json()["error"][
            "message"
        ].replace(unknown_id, "X")
        assert buyer_id not in foreign.text


@infra
async def test_a_stranger_locks_no_row_of_another_party(registry):
    """Each write is refused on the unlocked row: while someone holds the rows' locks (a long
    transaction of the parties), the stranger's requests come back at once instead of queueing
    behind them (and could never hold them up either)."""
    op_key, _, buyer_key, stranger_key, acceptance, task = await _world(registry)
    _, other_op_key = await registry.principal("operator", name="other operator")
    acc_id = acceptance["acceptance_id"]
    endpoint = {"base_url": "http://127.0.0.1:8180/agents/reliable/v1"}
    agent_id = task["task"]["agent_id"]
    registered = await registry.client.post(f"/v1/agents/{agent_id}/endpoint", json=endpoint, headers=auth(op_key))
    assert registered.status_code == 200, registered.text
    async with registry.service.pool.acquire() as holder, holder.transaction():
        await holder.execute("SELECT 1 FROM acceptances WHERE acceptance_id = $1 FOR UPDATE", acc_id)
        await holder.execute("SELECT 1 FROM tasks WHERE task_id = $1 FOR UPDATE", task["task_id"])
        await holder.execute("SELECT 1 FROM api_keys WHERE key_id = $1 FOR UPDATE", key_id(buyer_key))
        await holder.execute("SELECT 1 FROM agent_endpoints FOR UPDATE")
        attempts = {
            "submit": registry.client.post(
                f"/v1/acceptances/{acc_id}/tasks", json=task_body("x", job="1"), headers=auth(stranger_key)
            ),
            "revoke acceptance": registry.client.post(
                f"/v1/acceptances/{acc_id}/revoke", json={}, headers=auth(stranger_key)
            ),
            "dispute": registry.client.post(
                f"/v1/tasks/{task['task_id']}/dispute", json={"reason": "x"}, headers=auth(other_op_key)
            ),
            "revoke key": registry.client.post(f"/v1/keys/{key_id(buyer_key)}/revoke", headers=auth(stranger_key)),
            "endpoint": registry.client.post(
                f"/v1/agents/{agent_id}/endpoint", json=endpoint, headers=auth(other_op_key)
            ),
        }
        # A failure here (TimeoutError) means the request waited for a lock it had no right to.
        answers = await asyncio.wait_for(asyncio.gather(*attempts.values()), timeout=30)
    codes = {name: answer.status_code for name, answer in zip(attempts, answers, strict=True)}
    assert codes == {"submit": 404, "revoke acceptance": 404, "dispute": 404, "revoke key": 404, "endpoint": 403}


# Superseded pact versions -------------------------------------------------------------------


@infra
async def test_superseded_versions_are_not_accepted_unless_the_operator_offers_them(registry):
    _, op_key = await registry.principal("operator")
    _, buyer_key = await registry.principal("buyer")
    agent_id = await registry.agent(op_key)
    document = yaml.safe_load((EXAMPLES / "customer-support.yaml").read_text())

    async def publish(version: int, **params) -> None:
        published = await registry.client.post(
            f"/v1/agents/{agent_id}/pacts", json={**document, "version": version}, params=params, headers=auth(op_key)
        )
        assert published.status_code == 201, published.text

    async def accept(pact_id: str, version: int) -> httpx.Response:
        terms = {"mode": "per_task", "price_per_task": 100_000, "expires_in_seconds": 86_400}
        return await registry.client.post(
            "/v1/acceptances",
            json={"pact_id": pact_id, "pact_version": version, "escrow": terms},
            headers=auth(buyer_key),
        )

    await publish(1)
    pact_id = (await registry.client.get("/v1/pacts", headers=auth(op_key))).json()["items"][0]["pact_id"]
    assert (await accept(pact_id, 1)).status_code == 201
    await publish(2)
    before = await registry.counts()
    refused = await accept(pact_id, 1)
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["code"] == "pact_version_superseded"
    assert error["fields"][0]["pointer"] == "/pact_version"
    assert "superseded by version 2" in error["message"]
    assert await registry.counts() == before
    assert (await accept(pact_id, 2)).status_code == 201

    await publish(3, allow_superseded="true")  # the operator keeps earlier versions on offer
    assert [(await accept(pact_id, v)).status_code for v in (1, 2, 3)] == [201, 201, 201]


# Start-up refusals ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("admin", "5 characters"),
        ("changeme-changeme-changeme-changeme", "different characters"),
        ("a" * 64, "only 1 different characters"),
        ("correct horse battery staple 0123456789", "whitespace"),
    ],
)
def test_a_weak_bootstrap_admin_key_is_refused(key, problem):
    with pytest.raises(ValidationError) as refused:
        RegistrySettings(registry_bootstrap_admin_key=key, registry_key_pepper="p")
    assert "PACTLINE_REGISTRY_BOOTSTRAP_ADMIN_KEY is too weak" in str(refused.value)
    assert problem in str(refused.value)
    assert key not in str(refused.value)  # a refused secret is not printed either


def test_the_public_pepper_is_refused_outside_local_development():
    with pytest.raises(ValidationError) as refused:
        RegistrySettings(environment="production")
    assert "PACTLINE_REGISTRY_KEY_PEPPER is not set" in str(refused.value)
    assert RegistrySettings(environment="local").uses_local_pepper
    assert not RegistrySettings(registry_key_pepper="a-secret-of-our-own").uses_local_pepper


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PACTLINE_REGISTRY_KEY_PEPPER": "x" * 32, "PACTLINE_REGISTRY_BOOTSTRAP_ADMIN_KEY": "admin"}, "too weak"),
        ({}, "public local pepper is refused outside local development"),
    ],
)
def test_the_service_refuses_to_start_with_a_clear_error(env, message):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PACTLINE_")}
    started = subprocess.run(
        [sys.executable, "-m", "pactline_registry"],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert started.returncode == 1
    assert started.stderr.startswith("pact-registry refuses to start: ")
    assert message in started.stderr
    assert "Traceback" not in started.stderr


@infra
async def test_writes_beyond_a_keys_limit_are_429_with_retry_after(
    database_url, kafka_topics, db_schema, registry_chain
):
    settings = registry_settings(
        database_url, kafka_topics, registry_chain, registry_write_burst=3, registry_write_rate_per_s=0.01
    )
    app = build_app(dataclasses.replace(SPEC, schema=db_schema), settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://registry") as client,
    ):
        registry = Registry(app, client, registry_chain)
        _, op_key = await registry.principal("operator")  # the bootstrap admin's first write
        _, other_key = await registry.principal("operator", name="other")  # its second
        body = {"name": "bot", "model_family": "openai"}
        codes = [(await client.post("/v1/agents", json=body, headers=auth(op_key))).status_code for _ in range(4)]
        assert codes == [201, 201, 201, 429]
        limited = await client.post("/v1/agents", json=body, headers=auth(op_key))
        assert limited.json()["error"]["code"] == "rate_limited"
        assert 1 <= int(limited.headers["retry-after"]) <= 100
        assert (await registry.counts())["agents"] == 3
        # Reads are not limited, and the limit is the key's own: another key still writes.
        assert (await client.get("/v1/agents", headers=auth(op_key))).status_code == 200
        assert (await client.post("/v1/agents", json=body, headers=auth(other_key))).status_code == 201

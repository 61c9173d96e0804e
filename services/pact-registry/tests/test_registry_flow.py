"""Handler tests: the registry's commands through HTTP, against the real Postgres."""

from __future__ import annotations

import asyncio
import json

import pytest
import yaml

from pactline_pacts import pact_hash, parse_pact
from registry_testkit import EXAMPLES, auth, task_body

pytestmark = pytest.mark.infra


async def _setup(registry, **escrow):
    _, op_key = await registry.principal("operator")
    _, buyer_key = await registry.principal("buyer")
    agent_id = await registry.agent(op_key)
    pact = await registry.publish(op_key, agent_id)
    acceptance = await registry.accept(buyer_key, pact["pact_id"], **escrow)
    return op_key, buyer_key, agent_id, pact, acceptance


async def test_register_publish_accept_submit(registry):
    _, buyer_key, agent_id, pact, acceptance = await _setup(registry, max_tasks=5)
    assert pact["version"] == 1
    example = (EXAMPLES / "customer-support.yaml").read_bytes()
    assert pact["pact_hash"] == pact_hash(parse_pact(example, "application/yaml"))
    assert acceptance["buyer_address"] == registry.chain.buyer_address
    assert acceptance["pact_hash"] == pact["pact_hash"]

    job = await registry.job(acceptance)
    response = await registry.client.post(
        f"/v1/acceptances/{acceptance['acceptance_id']}/tasks", json=task_body(job=job), headers=auth(buyer_key)
    )
    assert response.status_code == 201, response.text
    task = response.json()
    assert task["task"]["escrow_job_id"] == job
    assert task["task"]["agent_id"] == agent_id
    listed = await registry.client.get(f"/v1/acceptances/{acceptance['acceptance_id']}/tasks", headers=auth(buyer_key))
    assert [t["task_id"] for t in listed.json()["items"]] == [task["task_id"]]
    counts = await registry.counts()
    assert counts["tasks"] == 1
    # ApiKeyIssued (operator, buyer), AgentRegistered, PactPublished, PactAccepted, TaskCompleted
    assert counts["outbox"] == 6


@pytest.mark.parametrize("example", sorted(p.name for p in EXAMPLES.iterdir()))
async def test_every_example_pact_publishes(registry, example):
    _, op_key = await registry.principal("operator")
    agent_id = await registry.agent(op_key)
    published = await registry.publish(op_key, agent_id, example)
    got = await registry.client.get(
        f"/v1/pacts/{published['pact_id']}/versions/{published['version']}", headers=auth(op_key)
    )
    assert got.json()["pact_hash"] == published["pact_hash"]


async def test_republishing_the_same_version_is_idempotent_and_changing_it_is_refused(registry):
    _, op_key = await registry.principal("operator")
    agent_id = await registry.agent(op_key)
    first = await registry.publish(op_key, agent_id, "data-extraction.json")
    raw = json.loads((EXAMPLES / "data-extraction.json").read_text())
    same = await registry.client.post(f"/v1/agents/{agent_id}/pacts", json=raw, headers=auth(op_key))
    assert same.status_code == 200
    assert same.json()["pact_hash"] == first["pact_hash"]
    raw["title"] = "A different promise under the same version"
    changed = await registry.client.post(f"/v1/agents/{agent_id}/pacts", json=raw, headers=auth(op_key))
    assert changed.status_code == 409
    assert changed.json()["error"]["code"] == "pact_version_immutable"
    raw["version"] = first["version"] + 1
    newer = await registry.client.post(f"/v1/agents/{agent_id}/pacts", json=raw, headers=auth(op_key))
    assert newer.status_code == 201, newer.text
    assert newer.json()["pact_hash"] != first["pact_hash"]
    pact = await registry.client.get(f"/v1/pacts/{first['pact_id']}", headers=auth(op_key))
    assert pact.json()["versions"] == [first["version"], first["version"] + 1]
    assert (await registry.counts())["pact_versions"] == 2


async def test_invalid_pact_is_rejected_with_pointers_and_no_side_effects(registry):
    _, op_key = await registry.principal("operator")
    agent_id = await registry.agent(op_key)
    doc = yaml.safe_load((EXAMPLES / "code-review.yaml").read_text())
    doc["clauses"][0]["pattern"] = "(unclosed"
    doc["clauses"][1]["kind"] = "vibes"
    before = await registry.counts()
    response = await registry.client.post(f"/v1/agents/{agent_id}/pacts", json=doc, headers=auth(op_key))
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "pact_invalid"
    pointers = {f["pointer"] for f in error["fields"]}
    assert {"/clauses/0/pattern", "/clauses/1/kind"} <= pointers
    assert await registry.counts() == before


async def test_a_pact_with_non_ascii_digit_keys_is_refused_not_a_server_error(registry):
    _, op_key = await registry.principal("operator")
    agent_id = await registry.agent(op_key)
    response = await registry.client.post(f"/v1/agents/{agent_id}/pacts", json={"¹": 1}, headers=auth(op_key))
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "pact_invalid"


async def test_yaml_syntax_error_and_oversize_pacts_are_refused_clearly(registry):
    _, op_key = await registry.principal("operator")
    agent_id = await registry.agent(op_key)
    before = await registry.counts()
    headers = {**auth(op_key), "Content-Type": "application/yaml"}
    broken = await registry.client.post(f"/v1/agents/{agent_id}/pacts", content=b"format: [oops", headers=headers)
    assert broken.status_code == 422
    assert broken.json()["error"]["fields"][0]["pointer"] == ""
    assert "YAML syntax error" in broken.json()["error"]["fields"][0]["message"]
    huge = await registry.client.post(f"/v1/agents/{agent_id}/pacts", content=b"# " + b"x" * 70_000, headers=headers)
    assert huge.status_code == 413
    assert huge.json()["error"]["code"] == "pact_too_large"
    assert await registry.counts() == before


async def test_request_validation_errors_use_the_same_body_with_pointers(registry):
    _, buyer_key = await registry.principal("buyer")
    response = await registry.client.post(
        "/v1/acceptances",
        json={"pact_id": "x", "escrow": {"mode": "barter", "price_per_task": 1.5, "expires_in_seconds": 7200}},
        headers=auth(buyer_key),
    )
    assert response.status_code == 422
    body = response.json()["error"]
    assert body["code"] == "request_invalid"
    assert {f["pointer"] for f in body["fields"]} == {"/escrow/mode", "/escrow/price_per_task"}


async def test_escrow_terms_are_checked_against_the_pact_offer(registry):
    _, op_key = await registry.principal("operator")
    _, buyer_key = await registry.principal("buyer")
    agent_id = await registry.agent(op_key)
    pact = await registry.publish(op_key, agent_id, "code-review.yaml")  # per_task only, min 250000
    before = await registry.counts()
    response = await registry.client.post(
        "/v1/acceptances",
        json={
            "pact_id": pact["pact_id"],
            "escrow": {"mode": "aggregate", "price_per_task": 1000, "pool_size": 5000, "expires_in_seconds": 7200},
        },
        headers=auth(buyer_key),
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "escrow_terms_rejected"
    assert {f["pointer"] for f in error["fields"]} == {"/escrow/mode", "/escrow/price_per_task"}
    assert await registry.counts() == before


async def test_idempotency_key_gives_the_same_task_and_a_different_body_conflicts(registry):
    _, buyer_key, _, _, acceptance = await _setup(registry)
    url = f"/v1/acceptances/{acceptance['acceptance_id']}/tasks"
    job = await registry.job(acceptance)
    first = await registry.client.post(url, json=task_body("k1", job=job), headers=auth(buyer_key))
    again = await registry.client.post(url, json=task_body("k1", job=job), headers=auth(buyer_key))
    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json()["task_id"] == first.json()["task_id"]
    other = await registry.client.post(
        url, json=task_body("k1", job=job, output="something else"), headers=auth(buyer_key)
    )
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    counts = await registry.counts()
    assert counts["tasks"] == 1
    assert counts["outbox"] == 6  # one TaskCompleted among the setup's five events


async def test_escrow_job_id_rules_per_mode(registry):
    _, buyer_key, _, pact, per_task = await _setup(registry)
    url = f"/v1/acceptances/{per_task['acceptance_id']}/tasks"
    missing = await registry.client.post(url, json=task_body(job=None), headers=auth(buyer_key))
    assert missing.json()["error"]["code"] == "escrow_job_id_required"
    assert missing.json()["error"]["fields"][0]["pointer"] == "/escrow_job_id"
    job = await registry.job(per_task)
    ok = await registry.client.post(url, json=task_body("a", job=job), headers=auth(buyer_key))
    assert ok.status_code == 201
    reused = await registry.client.post(url, json=task_body("b", job=job), headers=auth(buyer_key))
    assert reused.status_code == 409
    assert reused.json()["error"]["code"] == "escrow_job_already_used"

    pooled = await registry.accept(buyer_key, pact["pact_id"], mode="aggregate", pool_size=200_000)
    url = f"/v1/acceptances/{pooled['acceptance_id']}/tasks"
    forbidden = await registry.client.post(url, json=task_body("c", job=job), headers=auth(buyer_key))
    assert forbidden.status_code == 422
    assert forbidden.json()["error"]["code"] == "escrow_job_id_forbidden"


async def test_exhausted_pool_and_max_tasks_are_refused(registry):
    _, buyer_key, _, pact, capped = await _setup(registry, max_tasks=1)
    url = f"/v1/acceptances/{capped['acceptance_id']}/tasks"
    first = await registry.client.post(
        url, json=task_body("1", job=await registry.job(capped)), headers=auth(buyer_key)
    )
    assert first.status_code == 201
    second = await registry.client.post(
        url, json=task_body("2", job=await registry.job(capped)), headers=auth(buyer_key)
    )
    assert second.status_code == 409
    assert second.json()["error"]["code"] == "acceptance_exhausted"

    pooled = await registry.accept(buyer_key, pact["pact_id"], mode="aggregate", pool_size=250_000)  # 2 tasks
    url = f"/v1/acceptances/{pooled['acceptance_id']}/tasks"
    codes = [
        (await registry.client.post(url, json=task_body(f"p{i}", job=None), headers=auth(buyer_key))).status_code
        for i in range(3)
    ]
    assert codes == [201, 201, 409]
    last = await registry.client.post(url, json=task_body("p9", job=None), headers=auth(buyer_key))
    assert last.json()["error"]["code"] == "acceptance_pool_exhausted"


async def test_revoked_expired_and_unknown_acceptances_are_refused(registry):
    _, buyer_key, _, pact, acceptance = await _setup(registry)
    acc_id = acceptance["acceptance_id"]
    revoked = await registry.client.post(
        f"/v1/acceptances/{acc_id}/revoke", json={"reason": "done"}, headers=auth(buyer_key)
    )
    assert revoked.status_code == 200
    assert revoked.json()["revoked_by"]
    refused = await registry.client.post(
        f"/v1/acceptances/{acc_id}/tasks", json=task_body(job=await registry.job(acceptance)), headers=auth(buyer_key)
    )
    assert refused.json()["error"]["code"] == "acceptance_revoked"

    expiring = await registry.accept(buyer_key, pact["pact_id"])
    async with registry.service.pool.acquire() as conn:
        await conn.execute(
            "UPDATE acceptances SET expires_at = now() - interval '1 second' WHERE acceptance_id = $1",
            expiring["acceptance_id"],
        )
    expired = await registry.client.post(
        f"/v1/acceptances/{expiring['acceptance_id']}/tasks",
        json=task_body(job=await registry.job(expiring)),
        headers=auth(buyer_key),
    )
    assert expired.status_code == 409
    assert expired.json()["error"]["code"] == "acceptance_expired"

    unknown = await registry.client.post(
        "/v1/acceptances/acc-nope/tasks", json=task_body(job="1"), headers=auth(buyer_key)
    )
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "acceptance_not_found"


async def test_oversize_task_output_is_refused_with_its_pointer(registry):
    _, buyer_key, _, _, acceptance = await _setup(registry)
    job = await registry.job(acceptance)
    before = await registry.counts()
    response = await registry.client.post(
        f"/v1/acceptances/{acceptance['acceptance_id']}/tasks",
        json=task_body(job=job, output="é" * 140_000),  # 280,000 UTF-8 bytes > 256 KiB
        headers=auth(buyer_key),
    )
    assert response.status_code == 413
    assert response.json()["error"]["fields"][0]["pointer"] == "/output"
    # Control characters escape to six bytes each in JSON: the event bound catches what field bounds do not.
    escaped = await registry.client.post(
        f"/v1/acceptances/{acceptance['acceptance_id']}/tasks",
        json=task_body(job=job, input="\x01" * 75_000, output="\x02" * 75_000),
        headers=auth(buyer_key),
    )
    assert escaped.status_code == 413
    assert escaped.json()["error"]["code"] == "task_too_large"
    assert await registry.counts() == before


async def test_lists_are_paged_with_a_cursor(registry):
    _, op_key = await registry.principal("operator")
    created = [await registry.agent(op_key) for _ in range(5)]
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await registry.client.get("/v1/agents", params=params, headers=auth(op_key))).json()
        seen += [a["agent_id"] for a in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == created
    bad = await registry.client.get("/v1/agents", params={"cursor": "abc"}, headers=auth(op_key))
    assert bad.status_code == 422
    assert bad.json()["error"]["fields"][0]["pointer"] == "/cursor"


async def test_openapi_is_published(registry):
    spec = (await registry.client.get("/openapi.json")).json()
    assert "/v1/acceptances/{acceptance_id}/tasks" in spec["paths"]
    assert "HTTPBearer" in spec["components"]["securitySchemes"]


async def test_concurrent_retries_with_one_idempotency_key_make_one_task(registry):
    _, buyer_key, _, _, acceptance = await _setup(registry)
    url = f"/v1/acceptances/{acceptance['acceptance_id']}/tasks"
    body = task_body("same", job=await registry.job(acceptance))
    responses = await asyncio.gather(*(registry.client.post(url, json=body, headers=auth(buyer_key)) for _ in range(6)))
    assert sorted(r.status_code for r in responses) == [200] * 5 + [201]
    assert len({r.json()["task_id"] for r in responses}) == 1
    assert (await registry.counts())["tasks"] == 1


async def test_authentication_comes_before_parsing_and_bodies_are_bounded(registry):
    anonymous = await registry.client.post(
        "/v1/agents", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert anonymous.status_code == 401
    _, op_key = await registry.principal("operator")

    async def chunked():
        for _ in range(20):
            yield b" " * 65_536  # 1.25 MiB in all, with no Content-Length

    huge = await registry.client.post(
        "/v1/agents", content=chunked(), headers={**auth(op_key), "Content-Type": "application/json"}
    )
    assert huge.status_code == 413
    assert huge.json()["error"]["code"] == "request_too_large"


@pytest.mark.parametrize(
    "query", ["/v1/agents?operator_id=%00", "/v1/pacts?agent_id=a%00b", "/v1/acceptances?pact_id=%F0%9F%98%80"]
)
async def test_id_filters_outside_the_identifier_pattern_are_a_422_not_a_server_error(registry, query):
    _, key = await registry.principal("auditor")
    response = await registry.client.get(query, headers=auth(key))
    assert response.status_code == 422, response.text
    assert response.json()["error"]["fields"][0]["in"] == "query"

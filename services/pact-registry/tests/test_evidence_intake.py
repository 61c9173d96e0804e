"""Evidence at the registry, through HTTP against the real Postgres: agent endpoints, provenance
of reported tasks (countersigned or buyer-only), pacts that require the gateway, providers'
disputes, and the API key events the gateway authenticates from."""

from __future__ import annotations

import hashlib
import hmac

import pytest
import yaml

from pactline_events import decode
from pactline_evidence import TaskReport, countersign
from registry_testkit import EXAMPLES, auth, task_body

pytestmark = pytest.mark.infra

# anvil's account #1, a well-known test key: the operator who countersigns.
PROVIDER_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
PROVIDER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
ENDPOINT = "http://127.0.0.1:8180/agents/reliable/v1"


async def outbox(registry, event_type: str) -> list:
    rows = await registry.service.pool.fetch(
        "SELECT value FROM outbox WHERE event_type = $1 ORDER BY stream_id, stream_seq", event_type
    )
    return [decode(bytes(r["value"])).payload for r in rows]


async def setup(registry, pact_changes: dict | None = None, **escrow):
    _, op_key = await registry.principal("operator", address=PROVIDER)
    _, buyer_key = await registry.principal("buyer")
    agent_id = await registry.agent(op_key)
    document = yaml.safe_load((EXAMPLES / "customer-support.yaml").read_text())
    document.update(pact_changes or {})
    published = await registry.client.post(f"/v1/agents/{agent_id}/pacts", json=document, headers=auth(op_key))
    assert published.status_code == 201, published.text
    acceptance = await registry.accept(buyer_key, published.json()["pact_id"], **escrow)
    return op_key, buyer_key, agent_id, acceptance


def signed_body(acceptance: dict, job: str, **changes) -> dict:
    body = task_body("signed-1", job=job, **changes)
    report = TaskReport.model_validate({**body, "acceptance_id": acceptance["acceptance_id"]})
    body["countersignature"] = countersign(report, PROVIDER_KEY).model_dump(mode="json", exclude={"scheme"})
    return body


async def test_the_operator_registers_its_agents_endpoint_and_the_gateway_hears_of_it(registry):
    op_key, _, agent_id, _ = await setup(registry)
    client = registry.client
    first = await client.post(f"/v1/agents/{agent_id}/endpoint", json={"base_url": ENDPOINT}, headers=auth(op_key))
    assert first.status_code == 200, first.text
    again = await client.post(f"/v1/agents/{agent_id}/endpoint", json={"base_url": ENDPOINT}, headers=auth(op_key))
    assert again.json() == first.json()
    shown = await client.get(f"/v1/agents/{agent_id}/endpoint", headers=auth(op_key))
    assert shown.json()["base_url"] == ENDPOINT
    (event,) = await outbox(registry, "AgentEndpointRegistered")
    assert (event.agent_id, event.base_url) == (agent_id, ENDPOINT)


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("https://169.254.169.254/latest", "not a public address"),
        ("http://10.0.0.7:8080/v1", "not a public address"),
        ("https://user:secret@agents.example.com/v1", "credentials"),
        ("gopher://agents.example.com/v1", "scheme"),
    ],
)
async def test_unsafe_endpoints_are_refused_and_change_nothing(registry, url, fragment):
    op_key, _, agent_id, _ = await setup(registry)
    before = await registry.counts()
    refused = await registry.client.post(
        f"/v1/agents/{agent_id}/endpoint", json={"base_url": url}, headers=auth(op_key)
    )
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert error["code"] == "agent_endpoint_refused"
    assert error["fields"][0]["pointer"] == "/base_url"
    assert fragment in error["message"]
    assert await registry.counts() == before


async def test_a_countersigned_report_is_taken_with_its_signature(registry):
    _, buyer_key, _, acceptance = await setup(registry)
    acc_id = acceptance["acceptance_id"]
    body = signed_body(
        acceptance, await registry.job(acceptance), first_token_ms=120, input_tokens=200, output_tokens=110
    )
    response = await registry.client.post(f"/v1/acceptances/{acc_id}/tasks", json=body, headers=auth(buyer_key))
    assert response.status_code == 201, response.text
    task = response.json()
    assert task["provenance"] == "countersigned"
    assert task["task"]["countersignature"]["signer"] == PROVIDER
    assert (task["task"]["input_tokens"], task["task"]["output_tokens"]) == (200, 110)
    (event,) = await outbox(registry, "TaskCompleted")
    assert event.provenance == "countersigned"


async def test_a_report_altered_after_signing_is_refused(registry):
    _, buyer_key, _, acceptance = await setup(registry)
    acc_id = acceptance["acceptance_id"]
    body = signed_body(acceptance, await registry.job(acceptance))
    body["latency_ms"] = 10**12  # the buyer inflates the latency the provider signed
    before = await registry.counts()
    response = await registry.client.post(f"/v1/acceptances/{acc_id}/tasks", json=body, headers=auth(buyer_key))
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "countersignature_invalid"
    assert error["fields"][0]["pointer"] == "/countersignature/signature"
    assert await registry.counts() == before


async def test_a_pact_requiring_the_gateway_refuses_a_buyer_report(registry):
    _, buyer_key, _, acceptance = await setup(registry, {"evidence": {"measured_by": "gateway"}})
    acc_id = acceptance["acceptance_id"]
    job = await registry.job(acceptance)
    before = await registry.counts()
    for body in (task_body("r-1", job=job), signed_body(acceptance, job)):
        response = await registry.client.post(f"/v1/acceptances/{acc_id}/tasks", json=body, headers=auth(buyer_key))
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert error["code"] == "gateway_measurement_required"
        assert "gateway" in error["message"]
    assert await registry.counts() == before


async def test_the_provider_disputes_a_buyer_only_report_with_an_absurd_latency(registry):
    op_key, buyer_key, _, acceptance = await setup(registry)
    acc_id = acceptance["acceptance_id"]
    client = registry.client
    reported = await client.post(
        f"/v1/acceptances/{acc_id}/tasks",
        json=task_body("absurd", job=await registry.job(acceptance), latency_ms=10**12),
        headers=auth(buyer_key),
    )
    task_id = reported.json()["task_id"]
    assert reported.json()["provenance"] == "buyer_only"
    by_buyer = await client.post(f"/v1/tasks/{task_id}/dispute", json={"reason": "x"}, headers=auth(buyer_key))
    assert by_buyer.status_code == 403
    disputed = await client.post(
        f"/v1/tasks/{task_id}/dispute", json={"reason": "the agent answered in 850 ms"}, headers=auth(op_key)
    )
    assert disputed.status_code == 201, disputed.text
    again = await client.post(f"/v1/tasks/{task_id}/dispute", json={"reason": "again"}, headers=auth(op_key))
    assert again.status_code == 200
    assert again.json()["reason"] == "the agent answered in 850 ms"
    shown = await client.get(f"/v1/tasks/{task_id}", headers=auth(buyer_key))
    assert shown.json()["dispute"]["disputed_by"] == disputed.json()["disputed_by"]
    (event,) = await outbox(registry, "TaskDisputed")
    assert (event.task_id, event.acceptance_id) == (task_id, acc_id)
    stream = await registry.service.pool.fetch(
        "SELECT event_type FROM outbox WHERE stream_id = $1 ORDER BY stream_seq", f"acceptance-{acc_id}"
    )
    assert [r["event_type"] for r in stream] == ["PactAccepted", "TaskCompleted", "TaskDisputed"]


async def test_a_countersigned_report_cannot_be_disputed(registry):
    op_key, buyer_key, _, acceptance = await setup(registry)
    body = signed_body(acceptance, await registry.job(acceptance))
    task = await registry.client.post(
        f"/v1/acceptances/{acceptance['acceptance_id']}/tasks", json=body, headers=auth(buyer_key)
    )
    refused = await registry.client.post(
        f"/v1/tasks/{task.json()['task_id']}/dispute", json={"reason": "changed my mind"}, headers=auth(op_key)
    )
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "task_countersigned"


async def test_keys_are_announced_as_hmacs_and_revocations_once(registry):
    buyer_id, buyer_key = await registry.principal("buyer")
    key_id = buyer_key.removeprefix("pl_live_")[:16]
    (issued,) = [e for e in await outbox(registry, "ApiKeyIssued") if e.principal_id == buyer_id]
    assert issued.key_id == key_id
    assert issued.role == "buyer"
    assert set(issued.scopes) == {"read", "acceptances:write", "tasks:write"}
    assert issued.key_hmac == hmac.new(b"test-pepper", buyer_key.encode(), hashlib.sha256).hexdigest()
    raw = await registry.service.pool.fetchval("SELECT value FROM outbox WHERE event_type = 'ApiKeyIssued'")
    assert buyer_key.encode() not in bytes(raw)
    for _ in range(2):
        await registry.client.post(f"/v1/keys/{key_id}/revoke", headers=auth(buyer_key))
    (revoked,) = await outbox(registry, "ApiKeyRevoked")
    assert (revoked.key_id, revoked.revoked_by) == (key_id, buyer_id)
    streams = await registry.service.pool.fetch("SELECT DISTINCT stream_id FROM outbox WHERE event_type LIKE 'ApiKey%'")
    assert {r["stream_id"] for r in streams} == {f"principal-{buyer_id}"}

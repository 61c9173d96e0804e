"""End to end against the real Kafka and Postgres: register -> publish -> accept -> submit ->
revoke produce the expected events, read back from the topics, in order per stream, with valid
hash chains."""

from __future__ import annotations

import uuid

import pytest

from pactline_events import decode, verify_chain
from pactline_events.topics import ACCEPTANCES, AGENTS, PACTS
from pactline_messaging.log_reader import read_stream
from pactline_pacts import pact_hash
from registry_testkit import OPERATOR_ADDRESS, auth, task_body
from waiting import wait_for

pytestmark = pytest.mark.infra


async def test_the_whole_flow_reaches_kafka_in_order_with_valid_chains(registry, kafka_topics):
    client, correlation = registry.client, str(uuid.uuid4())
    _, op_key = await registry.principal("operator")
    _, buyer_key = await registry.principal("buyer")
    agent_id = await registry.agent(op_key, family="google")
    pact = await registry.publish(op_key, agent_id)
    acceptance = await registry.accept(buyer_key, pact["pact_id"], max_tasks=10)
    acc_id = acceptance["acceptance_id"]
    jobs = [await registry.job(acceptance) for _ in (1, 2)]
    for n, job in zip((1, 2), jobs, strict=True):
        response = await client.post(
            f"/v1/acceptances/{acc_id}/tasks",
            json=task_body(f"t{n}", job=job),
            headers={**auth(buyer_key), "X-Correlation-ID": correlation},
        )
        assert response.status_code == 201
    await client.post(f"/v1/acceptances/{acc_id}/revoke", json={"reason": "project over"}, headers=auth(buyer_key))

    await wait_for(
        lambda: registry.service.pool.fetchval("SELECT count(*) = 0 FROM outbox WHERE published_at IS NULL"),
        what="the relay to publish the outbox",
    )

    agent_events = await read_stream(kafka_topics, AGENTS, f"agent-{agent_id}")
    pact_events = await read_stream(kafka_topics, PACTS, f"pact-{pact['pact_id']}")
    acceptance_events = await read_stream(kafka_topics, ACCEPTANCES, f"acceptance-{acc_id}")
    heads = verify_chain(agent_events + pact_events + acceptance_events).heads
    assert {stream: head.seq for stream, head in heads.items()} == {
        f"agent-{agent_id}": 1,
        f"pact-{pact['pact_id']}": 1,
        f"acceptance-{acc_id}": 4,
    }

    (registered,) = [decode(raw) for raw in agent_events]
    assert registered.payload.model_family == "google"
    assert registered.payload.operator_address == OPERATOR_ADDRESS
    (published,) = [decode(raw) for raw in pact_events]
    assert published.payload.pact_hash == pact_hash(published.payload.document) == pact["pact_hash"]

    stream = [decode(raw) for raw in acceptance_events]
    assert [e.event_type for e in stream] == ["PactAccepted", "TaskCompleted", "TaskCompleted", "AcceptanceRevoked"]
    accepted, *tasks, revoked = (e.payload for e in stream)
    assert accepted.document == published.payload.document  # consumers never ask the registry
    assert accepted.pact_hash == pact["pact_hash"]
    assert accepted.agent_model_family == "google"
    assert accepted.buyer_address == registry.chain.buyer_address
    assert accepted.provider_address == OPERATOR_ADDRESS
    assert accepted.escrow.max_tasks == 10
    assert [t.escrow_job_id for t in tasks] == jobs
    assert [t.idempotency_key for t in tasks] == ["t1", "t2"]
    assert {str(e.correlation_id) for e in stream[1:3]} == {correlation}
    assert revoked.reason == "project over"

"""The one handler pattern, end to end: an event from the real broker is claimed in the inbox,
handled, and its answer leaves through the outbox with causation, correlation and a
deterministic id, in one transaction; a redelivery answers nothing twice."""

from __future__ import annotations

import uuid

import pytest

from pactline_events import AgentRegistered, Envelope, EventSigningKey, TrustScoreUpdated, decode, derived_event_id
from pactline_events.topics import AGENTS, TRUST_SCORES
from pactline_messaging import EventHandlers, HandlerContext, event_keys
from pactline_messaging.log_reader import read_stream
from pactline_service import ServiceSettings, ServiceSpec
from pactline_service.runtime import running
from topic_reader import start_group_at_end
from waiting import wait_for

pytestmark = pytest.mark.infra


def answering_spec(name: str, schema: str, prefix: str) -> ServiceSpec:
    handlers = EventHandlers()

    @handlers.on(AgentRegistered)
    async def announce(ctx: HandlerContext, event: Envelope) -> None:
        if not event.stream_id.startswith(prefix):
            return
        await ctx.emit(
            f"trust-{prefix}{event.payload.agent_id}",
            TrustScoreUpdated(
                agent_id=event.payload.agent_id,
                formula_version="test",
                composite=0,
                dimensions={},
                verdict_count=0,
                as_of=event.occurred_at,
            ),
        )

    return ServiceSpec(name=name, schema=schema, port=1, handlers=handlers)


async def test_an_event_goes_in_and_its_answer_comes_out_through_the_outbox(
    producing_service, kafka_topics, database_url, db_schema
):
    svc = producing_service
    name = f"pattern-{uuid.uuid4().hex[:8]}"
    event_keys.install_signing_key(EventSigningKey.generate(name))  # a service of its own, read back unverified
    await start_group_at_end(kafka_topics, name, AGENTS)
    settings = ServiceSettings(database_url=database_url, kafka_bootstrap=kafka_topics, log_format="text")
    spec = answering_spec(name, f"{db_schema}_svc", svc.prefix)
    async with running(spec, settings) as service:
        cause = await svc.register_agent(5)
        await svc.publish()

        async def answered() -> list:
            return await service.pool.fetch("SELECT value, published_at FROM outbox")

        rows = await wait_for(answered, what="the handler's answer in the outbox")
        answer = decode(bytes(rows[0]["value"]))
        # A redelivery of the cause (the producer's relay sending it again) is not answered again.
        await svc.pool.execute("UPDATE outbox SET published_at = NULL WHERE event_id = $1", cause.event_id)
        assert await svc.publish() == 1

        async def redelivery_seen() -> int:
            return await service.pool.fetchval(
                "SELECT count(*) FROM processed_events WHERE event_id = $1", cause.event_id
            )

        await wait_for(redelivery_seen, what="the cause in the inbox")
        await wait_for(
            lambda: service.pool.fetchval("SELECT count(*) = 0 FROM outbox WHERE published_at IS NULL"),
            what="the relay to publish the answer",
        )
        assert await service.pool.fetchval("SELECT count(*) FROM outbox") == 1

    assert answer.event_type == "TrustScoreUpdated"
    assert answer.causation_id == cause.event_id
    assert answer.correlation_id == cause.correlation_id
    assert answer.producer == name
    assert answer.occurred_at == cause.occurred_at
    assert answer.event_id == derived_event_id(cause.occurred_at, name, cause.event_id, answer.stream_id, 0)
    on_kafka = await read_stream(kafka_topics, TRUST_SCORES, answer.stream_id)
    assert [decode(raw).event_id for raw in on_kafka] == [answer.event_id]

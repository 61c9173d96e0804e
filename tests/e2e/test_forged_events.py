"""Attacks by whoever reaches the broker, on the real Kafka: events written straight to a topic
with a producer client (as the admin principal, so no ACL stops them: the signature check
must), an authentic event replayed onto another topic, a service's key used for another's
events. Consumers and projections dead-letter each one naming it, the partition keeps
flowing, and the chain verifier reports them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest

from pactline_events import (
    AgentRegistered,
    ChainVerifier,
    Envelope,
    EventSigningKey,
    ForgedEvent,
    PactPublished,
    PendingEvent,
    encode,
    event_hash,
    utc_now,
)
from pactline_events.signing import insert_signature
from pactline_events.topics import AGENTS, DEAD_LETTERS, PACTS
from pactline_messaging import (
    Change,
    DeadLetterPublisher,
    EventConsumer,
    EventHandlers,
    HandlerContext,
    ProjectionContext,
    ProjectionRunner,
    event_keys,
    kafka_broker,
    load_state,
)
from pactline_messaging import dead_letters as dl
from pactline_messaging.log_reader import read_topic
from topic_reader import start_group_at_end
from waiting import wait_for

pytestmark = pytest.mark.infra


def forged_agent(stream: str, n: int, *, producer: str = "pact-registry", key: EventSigningKey | None = None):
    """An AgentRegistered in ``producer``'s name, unsigned or signed with ``key``; (envelope, bytes)."""
    envelope = PendingEvent(
        event_id=uuid.uuid4(),
        occurred_at=utc_now(),
        stream_id=stream,
        correlation_id=uuid.uuid4(),
        payload=AgentRegistered(
            agent_id=f"forged-{n}",
            name="a forged agent",
            operator_id="op-attacker",
            operator_address="0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
            model_family="openai",
        ),
    ).seal(producer=producer, stream_seq=50 + n, prev_hash="0" * 64, key_id=key.key_id if key else None)
    if key is None:
        return envelope, encode(envelope)
    # Signed as the key holder would, whatever the envelope claims.
    unsigned = encode(envelope)
    return envelope, insert_signature(unsigned, key.private_key.sign(unsigned).hex())


async def dead_letters_of(kafka: str, consumer: str) -> list[tuple[bytes, dict[str, bytes]]]:
    """The dead letters ``consumer`` published: (the original bytes, the headers)."""
    letters = await read_topic(kafka, DEAD_LETTERS, lambda r: dict(r.headers).get(dl.CONSUMER) == consumer.encode())
    return [(r.value, dict(r.headers)) for r in letters]


async def test_forged_events_written_to_the_topic_are_dead_lettered_and_the_partition_flows(
    producing_service, producer, kafka_topics
):
    svc = producing_service
    group = f"forged-{uuid.uuid4().hex[:8]}"
    await start_group_at_end(kafka_topics, group, AGENTS)
    stream = f"{svc.prefix}agent-under-attack"  # one key: one partition, read in this order
    evaluator = event_keys.signing_key("evaluator")  # a real, trusted key, of another service
    outsider = EventSigningKey.generate("pact-registry")  # a key nobody published
    attacks = {
        "unsigned": forged_agent(stream, 1),
        "not in the trust store": forged_agent(stream, 2, key=outsider),
        "belongs to 'evaluator', not to producer 'pact-registry'": forged_agent(stream, 3, key=evaluator),
        "producer 'evaluator' may not write AgentRegistered": forged_agent(
            stream, 4, producer="evaluator", key=evaluator
        ),
    }
    for _, raw in attacks.values():
        await producer.send_and_wait(AGENTS.name, value=raw, key=stream.encode())  # admin: no ACL stops it
    genuine = await svc.register_agent(9, stream=stream)
    await svc.publish()

    handlers = EventHandlers()

    @handlers.on(AgentRegistered)
    async def record(ctx: HandlerContext, event: Envelope) -> None:
        if event.stream_id == stream:
            await ctx.conn.execute("INSERT INTO effects (event_id, stream_id) VALUES ($1, $2)", event.event_id, stream)

    broker = kafka_broker(kafka_topics, logger=None)
    EventConsumer(group, svc.pool, DeadLetterPublisher(producer, group), handlers).subscribe(broker, group_id=group)
    await broker.start()
    try:
        await wait_for(
            lambda: svc.pool.fetchval("SELECT count(*) FROM effects WHERE event_id = $1", genuine.event_id),
            what="the genuine event after the forged ones",
        )
    finally:
        await broker.stop()

    assert await svc.pool.fetchval("SELECT array_agg(event_id) FROM effects") == [genuine.event_id]
    letters = await dead_letters_of(kafka_topics, group)
    assert len(letters) == len(attacks)
    for reason, (envelope, raw) in attacks.items():
        (headers,) = [h for value, h in letters if value == raw]
        assert headers[dl.KIND] == b"forged"
        text = headers[dl.REASON].decode()
        assert f"AgentRegistered {envelope.event_id}" in text, text
        assert reason in text, text


async def test_an_authentic_event_replayed_onto_another_topic_is_misrouted(producing_service, producer, kafka_topics):
    svc = producing_service
    group = f"misrouted-{uuid.uuid4().hex[:8]}"
    await start_group_at_end(kafka_topics, group, AGENTS)
    await start_group_at_end(kafka_topics, group, PACTS)
    genuine = await svc.register_agent(1)
    await svc.publish()
    # Signed by the registry and untouched, but written where PactPublished events travel.
    await producer.send_and_wait(PACTS.name, value=encode(genuine), key=genuine.stream_id.encode())

    handlers = EventHandlers()

    @handlers.on(AgentRegistered, PactPublished)
    async def record(ctx: HandlerContext, event: Envelope) -> None:
        if event.stream_id == genuine.stream_id:
            await ctx.conn.execute(
                "INSERT INTO effects (event_id, stream_id) VALUES ($1, $2)", event.event_id, event.stream_id
            )

    broker = kafka_broker(kafka_topics, logger=None)
    EventConsumer(group, svc.pool, DeadLetterPublisher(producer, group), handlers).subscribe(broker, group_id=group)
    await broker.start()
    try:

        async def misrouted() -> list:
            letters = await dead_letters_of(kafka_topics, group)
            return [h for _, h in letters if h[dl.KIND] == b"misrouted"]

        (headers,) = await wait_for(misrouted, what="the replayed event's dead letter")
        await wait_for(
            lambda: svc.pool.fetchval("SELECT count(*) FROM effects WHERE event_id = $1", genuine.event_id),
            what="the event on its own topic",
        )
    finally:
        await broker.stop()
    assert headers[dl.SOURCE_TOPIC] == PACTS.name.encode()
    reason = headers[dl.REASON].decode()
    assert f"AgentRegistered {genuine.event_id}" in reason
    assert "travels on pactline.agents.v1, not on pactline.pacts.v1" in reason
    assert await svc.pool.fetchval("SELECT count(*) FROM effects WHERE event_id = $1", genuine.event_id) == 1


@dataclass
class AgentNames:
    """A projection of the test's agents: agent id -> name, nothing else."""

    prefix: str
    name: str = field(default_factory=lambda: f"names-{uuid.uuid4().hex[:8]}")
    topics: tuple = (AGENTS,)

    def key(self, event: Envelope) -> str | None:
        return event.stream_id if event.stream_id.startswith(self.prefix) else None

    def evolve(self, state: dict | None, event: Envelope) -> dict:
        return {**(state or {}), event.payload.agent_id: event.payload.name}

    def dump(self, state: dict) -> dict:
        return state

    def load(self, data: dict) -> dict:
        return data

    async def write(self, ctx: ProjectionContext, changes: list[Change]) -> None:
        return None

    async def reset(self, conn: Any) -> None:
        return None


async def test_a_projection_folds_no_forged_event(producing_service, producer, kafka_topics):
    svc = producing_service
    stream = f"{svc.prefix}agent-projected"
    # A forged event ahead of the genuine one, claiming a later position in its stream: folded,
    # it would also make the projection skip the genuine events as "already seen".
    forged, raw = forged_agent(stream, 1)
    await producer.send_and_wait(AGENTS.name, value=raw, key=stream.encode())
    genuine = await svc.register_agent(7, stream=stream)
    await svc.publish()

    projection = AgentNames(svc.prefix)
    runner = ProjectionRunner(projection, svc.pool, kafka_topics, DeadLetterPublisher(producer, projection.name))
    await runner.start()
    try:

        async def folded() -> dict | None:
            async with svc.pool.acquire() as conn:
                return await load_state(conn, projection, stream)

        state = await wait_for(folded, timeout=60, what="the genuine event folded")
    finally:
        await runner.stop()
    assert state == {genuine.payload.agent_id: genuine.payload.name}
    letters = await dead_letters_of(kafka_topics, projection.name)
    (record_headers,) = [h for value, h in letters if value == raw]
    assert record_headers[dl.KIND] == b"forged"
    assert str(forged.event_id) in record_headers[dl.REASON].decode()


async def test_the_chain_verifier_reports_a_forged_event_read_back_from_the_broker(
    producing_service, producer, kafka_topics
):
    svc = producing_service
    stream = f"{svc.prefix}agent-audited"
    for n in range(2):
        head = await svc.register_agent(n, stream=stream)
    # Well chained (the next seq, the right prev_hash), so only the signature can tell.
    forged = PendingEvent(
        event_id=uuid.uuid4(),
        occurred_at=utc_now(),
        stream_id=stream,
        correlation_id=uuid.uuid4(),
        payload=head.payload.model_copy(update={"name": "renamed by a forger"}),
    ).seal(producer="pact-registry", stream_seq=3, prev_hash=event_hash(head))
    await svc.publish()
    await producer.send_and_wait(AGENTS.name, value=encode(forged), key=stream.encode())

    records = await read_topic(kafka_topics, AGENTS, lambda r: r.key == stream.encode())
    chain_only = ChainVerifier()
    for record in records:
        chain_only.add(record.value)
    assert chain_only.verified == 3  # the chain alone takes the forgery

    audited = ChainVerifier(verifier=event_keys.verifier())
    for record in records[:2]:
        audited.add(record.value, topic=record.topic)
    with pytest.raises(ForgedEvent) as caught:
        audited.add(records[2].value, topic=records[2].topic)
    assert caught.value.event_id == str(forged.event_id)
    assert (caught.value.stream_id, caught.value.stream_seq) == (stream, 3)
    assert audited.verified == 2

"""No record can stall a partition: a tombstone, JSON nested 100,000 levels deep and an event
with a null header value, each followed by a good event in the same partition. The consumer
and the projection runner both go on: the undecodable records land on the dead-letter topic
with their reason, the event with the null header is applied, and every good event after
them is processed."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest

from pactline_events import AgentRegistered, Envelope
from pactline_events.topics import AGENTS, DEAD_LETTERS, TopicSpec
from pactline_messaging import (
    Change,
    DeadLetterPublisher,
    EventConsumer,
    EventHandlers,
    HandlerContext,
    ProjectionContext,
    ProjectionRunner,
    kafka_broker,
)
from pactline_messaging import dead_letters as dl
from pactline_messaging.log_reader import read_topic
from topic_reader import start_group_at_end
from waiting import wait_for

pytestmark = pytest.mark.infra

DEEP = b"[" * 100_000 + b"]" * 100_000


@dataclass
class Sent:
    stream: str
    applied: list[Envelope]  # what must be applied, in order


async def send_troublesome_records(svc, producer) -> Sent:
    """tombstone, good, deep JSON, good, event with a null header, good: all on one key."""
    stream = f"{svc.prefix}agent-trouble"
    key = stream.encode()
    applied = []
    await producer.send_and_wait(AGENTS.name, value=None, key=key)
    applied.append(await svc.register_agent(1, stream=stream))
    await svc.publish()
    await producer.send_and_wait(AGENTS.name, value=DEEP, key=key)
    applied.append(await svc.register_agent(2, stream=stream))
    await svc.publish()
    with_null_header = await svc.register_agent(3, stream=stream)
    value = await svc.pool.fetchval(
        "UPDATE outbox SET published_at = now() WHERE event_id = $1 RETURNING value", with_null_header.event_id
    )
    await producer.send_and_wait(AGENTS.name, value=value, key=key, headers=[("traceparent", None)])
    applied.append(with_null_header)
    applied.append(await svc.register_agent(4, stream=stream))
    await svc.publish()
    return Sent(stream, applied)


async def dead_letters_of(kafka: str, consumer: str, stream: str) -> list[str]:
    """Reasons of the dead letters ``consumer`` sent for ``stream`` (the original key is kept)."""
    letters = await read_topic(
        kafka,
        DEAD_LETTERS,
        lambda r: dict(r.headers).get(dl.CONSUMER) == consumer.encode() and r.key == stream.encode(),
    )
    return [dict(r.headers)[dl.REASON].decode() for r in letters]


async def test_the_consumer_dead_letters_what_it_cannot_read_and_goes_on(producing_service, producer, kafka_topics):
    svc = producing_service
    group = f"stall-{uuid.uuid4().hex[:8]}"
    await start_group_at_end(kafka_topics, group, AGENTS)
    sent = await send_troublesome_records(svc, producer)

    handlers = EventHandlers()

    @handlers.on(AgentRegistered)
    async def record(ctx: HandlerContext, event: Envelope) -> None:
        if event.stream_id == sent.stream:
            await ctx.conn.execute(
                "INSERT INTO effects (event_id, stream_id) VALUES ($1, $2)", event.event_id, sent.stream
            )

    broker = kafka_broker(kafka_topics, logger=None)
    EventConsumer(group, svc.pool, DeadLetterPublisher(producer, group), handlers).subscribe(broker, group_id=group)
    await broker.start()
    try:
        await wait_for(
            lambda: svc.pool.fetchval("SELECT count(*) = 4 FROM effects WHERE stream_id = $1", sent.stream),
            what="every readable event applied",
        )
    finally:
        await broker.stop()
    assert await svc.pool.fetchval("SELECT array_agg(event_id) FROM effects") == [e.event_id for e in sent.applied]
    reasons = await dead_letters_of(kafka_topics, group, sent.stream)
    assert len(reasons) == 2
    assert "tombstone" in reasons[0]
    assert "nested too deeply" in reasons[1]


@dataclass(frozen=True)
class Seen:
    names: tuple[str, ...]


class NamesSeen:
    """Folds the names of one stream's agents, in order."""

    topics: tuple[TopicSpec, ...] = (AGENTS,)

    def __init__(self, name: str, stream: str) -> None:
        self.name = name
        self.stream = stream

    def key(self, event: Envelope) -> str | None:
        return event.stream_id if event.stream_id == self.stream else None

    def evolve(self, state: Seen | None, event: Envelope) -> Seen:
        return Seen(names=(*(state.names if state else ()), event.payload.name))

    def dump(self, state: Seen) -> dict[str, Any]:
        return {"names": list(state.names)}

    def load(self, data: dict[str, Any]) -> Seen:
        return Seen(names=tuple(data["names"]))

    async def write(self, ctx: ProjectionContext, changes: list[Change[Seen]]) -> None:
        return None

    async def reset(self, conn: asyncpg.Connection) -> None:
        return None


async def test_the_projection_runner_dead_letters_what_it_cannot_read_and_goes_on(
    producing_service, producer, kafka_topics
):
    svc = producing_service
    sent = await send_troublesome_records(svc, producer)
    projection = NamesSeen(f"names-{uuid.uuid4().hex[:8]}", sent.stream)
    runner = ProjectionRunner(projection, svc.pool, kafka_topics, DeadLetterPublisher(producer, projection.name))

    async def all_folded() -> list[str] | None:
        raw = await svc.pool.fetchval(
            "SELECT state->'names' FROM projection_states WHERE projection = $1 AND key = $2",
            projection.name,
            sent.stream,
        )
        names = json.loads(raw) if raw else []
        return names if len(names) == len(sent.applied) else None

    await runner.start()
    try:
        names = await wait_for(all_folded, what="every readable event folded", timeout=60)
    finally:
        await runner.stop()
    assert names == [e.payload.name for e in sent.applied]
    reasons = await dead_letters_of(kafka_topics, projection.name, sent.stream)
    assert len(reasons) == 2
    assert "tombstone" in reasons[0]
    assert "nested too deeply" in reasons[1]

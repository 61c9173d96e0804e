"""Two relays on one schema, publishing while events are being written: every event reaches
the topic once and every stream keeps its order (the relays claim whole lanes)."""

from __future__ import annotations

import asyncio

import pytest

from pactline_events import decode
from pactline_events.topics import AGENTS
from pactline_messaging import OutboxRelay, idempotent_producer
from pactline_messaging.log_reader import read_topic
from waiting import wait_for

pytestmark = pytest.mark.infra

STREAMS = 24
EVENTS_PER_STREAM = 15


async def test_two_relays_running_together_keep_every_stream_in_order(producing_service, kafka_topics):
    svc = producing_service
    producers = [idempotent_producer(kafka_topics, f"relay-lanes-{n}") for n in range(2)]
    for p in producers:
        await p.start()
    # Small batches and few lanes per pass, so the two relays take turns on the same lanes.
    relays = [OutboxRelay(svc.pool, p, batch_size=7, max_lanes=3, idle_poll_s=0.05) for p in producers]
    try:
        for relay in relays:
            await relay.start()
        for n in range(EVENTS_PER_STREAM):
            await asyncio.gather(*(svc.register_agent(n, stream=f"{svc.prefix}s{s}") for s in range(STREAMS)))
        total = STREAMS * EVENTS_PER_STREAM
        await wait_for(
            lambda: svc.pool.fetchval("SELECT count(*) = $1 FROM outbox WHERE published_at IS NOT NULL", total),
            what="every outbox row published",
        )
    finally:
        for relay in relays:
            await relay.stop()
        for p in producers:
            await p.stop()

    assert all(relay.published > 0 for relay in relays), [r.published for r in relays]
    assert sum(relay.published for relay in relays) == total
    records = await read_topic(kafka_topics, AGENTS, lambda r: r.key.decode().startswith(svc.prefix))
    by_partition = sorted(records, key=lambda r: (r.partition, r.offset))
    seqs: dict[str, list[int]] = {}
    for record in by_partition:
        event = decode(record.value)
        seqs.setdefault(event.stream_id, []).append(event.stream_seq)
    assert len(records) == total
    assert seqs == {f"{svc.prefix}s{s}": list(range(1, EVENTS_PER_STREAM + 1)) for s in range(STREAMS)}


async def test_a_pass_claims_only_free_lanes(producing_service, producer):
    """While one relay's pass holds the lanes with work, another pass finds nothing to claim."""
    svc = producing_service
    await svc.register_agent(1, stream=f"{svc.prefix}only-stream")
    holder = OutboxRelay(svc.pool, producer)
    async with svc.pool.acquire() as conn, conn.transaction():
        lane = await conn.fetchval("SELECT lane FROM outbox")
        await conn.execute("SELECT 1 FROM outbox_lanes WHERE lane = $1 FOR UPDATE", lane)
        assert await holder.publish_pending() == 0  # the only lane with work is held
    assert await holder.publish_pending() == 1
    assert await svc.pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0

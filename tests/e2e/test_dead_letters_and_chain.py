"""Poison messages go to the dead-letter topic and the partition keeps flowing; the hash chain
read back from the real broker verifies, and breaks when an event is altered or missing."""

from __future__ import annotations

import uuid

import pytest

from pactline_events import AgentRegistered, ChainBroken, Envelope, canonical_json, decode, verify_chain
from pactline_events.topics import AGENTS, DEAD_LETTERS
from pactline_messaging import (
    DeadLetterPublisher,
    EventConsumer,
    EventHandlers,
    HandlerContext,
    RunContext,
    kafka_broker,
)
from pactline_messaging import dead_letters as dl
from pactline_messaging.log_reader import read_stream, read_topic
from topic_reader import start_group_at_end
from waiting import wait_for

pytestmark = pytest.mark.infra


async def test_poison_message_is_dead_lettered_and_the_next_is_processed(producing_service, producer, kafka_topics):
    svc = producing_service
    group = f"dlq-{uuid.uuid4().hex[:8]}"
    await start_group_at_end(kafka_topics, group, AGENTS)
    good_stream = f"{svc.prefix}agent-1"

    handlers = EventHandlers()

    @handlers.on(AgentRegistered)
    async def record(ctx: HandlerContext, event: Envelope) -> None:
        if event.stream_id == good_stream and event.payload.agent_id == "a-0":
            raise RuntimeError("handler cannot cope with this agent")
        if event.stream_id.startswith(svc.prefix):
            await ctx.conn.execute(
                "INSERT INTO effects (event_id, stream_id) VALUES ($1, $2)", event.event_id, event.stream_id
            )

    # One key, hence one partition, read in order: garbage, an event whose handler keeps
    # failing, then a good event.
    await producer.send_and_wait(AGENTS.name, value=b'{"event_type": "AgentRegistered", oops', key=good_stream.encode())
    failing = await svc.register_agent(0, stream=good_stream)
    good = await svc.register_agent(1, stream=good_stream)
    await svc.publish()

    broker = kafka_broker(kafka_topics, logger=None)
    consumer = EventConsumer(
        group, svc.pool, DeadLetterPublisher(producer, group), handlers, max_attempts=2, retry_base_s=0.01
    )
    consumer.subscribe(broker, group_id=group)
    await broker.start()
    try:
        await wait_for(
            lambda: svc.pool.fetchval("SELECT count(*) FROM effects WHERE event_id = $1", good.event_id),
            what="the good event's effect",
        )
    finally:
        await broker.stop()

    letters = await read_topic(kafka_topics, DEAD_LETTERS, lambda r: dict(r.headers).get(dl.CONSUMER) == group.encode())
    by_kind = {dict(r.headers)[dl.KIND].decode(): r for r in letters}
    assert set(by_kind) == {"undecodable", "handler_failed"}
    poison = by_kind["undecodable"]
    assert poison.value.startswith(b'{"event_type": "AgentRegistered", oops')
    assert b"not JSON" in dict(poison.headers)[dl.REASON]
    assert dict(poison.headers)[dl.SOURCE_TOPIC] == AGENTS.name.encode()
    failed = by_kind["handler_failed"]
    assert b"handler cannot cope" in dict(failed.headers)[dl.REASON]
    assert dict(failed.headers)[dl.ATTEMPTS] == b"2"
    # The failing event's effect rolled back with its inbox claim: nothing half-applied.
    assert await svc.pool.fetchval("SELECT count(*) FROM effects WHERE event_id = $1", failing.event_id) == 0
    assert await svc.pool.fetchval("SELECT count(*) FROM processed_events WHERE event_id = $1", failing.event_id) == 0


async def test_hash_chain_from_the_broker_verifies_and_detects_tampering(producing_service, kafka_topics):
    svc = producing_service
    stream = f"{svc.prefix}agent-chain"
    for n in range(4):
        await svc.register_agent(n, stream=stream)
    await svc.publish()

    raw = await read_stream(kafka_topics, AGENTS, stream)
    assert len(raw) == 4
    heads = verify_chain(raw).heads
    assert heads[stream].seq == 4

    import json

    altered = list(raw)
    event = json.loads(altered[1])
    event["payload"]["name"] = "forged"
    altered[1] = canonical_json(event)
    with pytest.raises(ChainBroken) as info:
        verify_chain(altered)
    assert info.value.stream_seq == 3

    with pytest.raises(ChainBroken, match="missing"):
        verify_chain(raw[:1] + raw[2:])


async def test_chain_read_back_after_a_relay_double_publish_counts_the_redelivery(producing_service, kafka_topics):
    """The relay is at-least-once: the same bytes twice in the log are a redelivery, not a fork."""
    svc = producing_service
    stream = f"{svc.prefix}agent-redelivered"
    first = await svc.register_agent(1, stream=stream)
    await svc.register_agent(2, stream=stream)
    assert await svc.publish() == 2
    await svc.pool.execute("UPDATE outbox SET published_at = NULL WHERE event_id = $1", first.event_id)
    assert await svc.publish() == 1  # what a relay that crashed before stamping sends again

    raw = await read_stream(kafka_topics, AGENTS, stream)
    assert len(raw) == 3
    assert raw[2] == raw[0]
    verifier = verify_chain(raw)
    assert (verifier.heads[stream].seq, verifier.verified, verifier.redeliveries) == (2, 2, 1)


@pytest.mark.parametrize(("concurrency", "runs"), [(1, False), (4, False), (1, True)])
async def test_a_poison_event_inside_a_batch_is_the_only_one_dead_lettered(
    producing_service, producer, kafka_topics, concurrency, runs
):
    """The poll's transaction rolls back and is applied record by record: the poison event goes
    to the dead-letter topic, every other event of the batch is applied once, in stream order
    (also when the poll is split into concurrent transactions by stream lane, and when the
    handler takes runs of events: the poison's run fails whole, then each event goes alone)."""
    svc = producing_service
    await svc.pool.execute(
        "CREATE TABLE applied_log (n bigserial PRIMARY KEY, event_id uuid NOT NULL, stream_id text NOT NULL, seq int)"
    )
    group = f"poison-batch-{uuid.uuid4().hex[:8]}"
    await start_group_at_end(kafka_topics, group, AGENTS)
    events = [await svc.register_agent(n, stream=f"{svc.prefix}s{n % 12}") for n in range(36)]
    poison = events[17]
    await svc.relay.drain()  # all on the topic first, so that polls hold many records

    handlers = EventHandlers()

    async def record(ctx: HandlerContext | RunContext, event: Envelope) -> None:
        if event.event_id == poison.event_id:
            raise ValueError("this agent breaks the handler")
        if event.stream_id.startswith(svc.prefix):
            await ctx.conn.execute(
                "INSERT INTO applied_log (event_id, stream_id, seq) VALUES ($1, $2, $3)",
                event.event_id,
                event.stream_id,
                event.stream_seq,
            )

    run_sizes: list[int] = []

    async def record_run(ctx: RunContext, run: list[Envelope]) -> None:
        run_sizes.append(len(run))
        for event in run:
            await record(ctx, event)

    if runs:
        handlers.on_run(AgentRegistered)(record_run)
    else:
        handlers.on(AgentRegistered)(record)

    polls: list[set[uuid.UUID]] = []

    class RecordingConsumer(EventConsumer):
        async def apply(self, records):
            polls.append({decode(r.value).event_id for r in records})
            await super().apply(records)

    broker = kafka_broker(kafka_topics, logger=None)
    consumer = RecordingConsumer(
        group,
        svc.pool,
        DeadLetterPublisher(producer, group),
        handlers,
        max_attempts=2,
        retry_base_s=0.01,
        concurrency=concurrency,
    )
    consumer.subscribe(broker, group_id=group)
    await broker.start()
    try:
        await wait_for(
            lambda: svc.pool.fetchval("SELECT count(*) >= 35 FROM applied_log"), what="the 35 good events applied"
        )
    finally:
        await broker.stop()

    assert any(poison.event_id in poll and len(poll) > 1 for poll in polls), [len(p) for p in polls]
    if runs:
        assert max(run_sizes) > 1, run_sizes
    rows = await svc.pool.fetch("SELECT event_id, stream_id, seq FROM applied_log ORDER BY n")
    good = [e for e in events if e is not poison]
    assert sorted(r["event_id"] for r in rows) == sorted(e.event_id for e in good)  # each once
    by_stream: dict[str, list[int]] = {}
    for row in rows:
        by_stream.setdefault(row["stream_id"], []).append(row["seq"])
    expected: dict[str, list[int]] = {}
    for event in good:
        expected.setdefault(event.stream_id, []).append(event.stream_seq)
    assert by_stream == expected
    letters = await read_topic(kafka_topics, DEAD_LETTERS, lambda r: dict(r.headers).get(dl.CONSUMER) == group.encode())
    assert [decode(r.value).event_id for r in letters] == [poison.event_id]
    assert b"this agent breaks the handler" in dict(letters[0].headers)[dl.REASON]

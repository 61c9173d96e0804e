"""outbox -> Kafka -> consumer -> Postgres, exactly once, even across a crash between the
database commit and the offset commit (real broker, real database, real processes)."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from pactline_events.topics import AGENTS
from topic_reader import start_group_at_end

pytestmark = pytest.mark.infra
SCRIPT = Path(__file__).with_name("crashing_consumer.py")


async def start_consumer(kafka: str, dsn: str, schema: str, group: str, prefix: str, crash: bool):
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(SCRIPT),
        kafka,
        dsn,
        schema,
        group,
        prefix,
        "1" if crash else "0",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ},
    )
    return proc


async def next_line(proc, timeout: float = 60) -> str:
    """The consumer's next protocol line (started / applied ID / duplicate ID); logs are skipped."""
    while True:
        line = await asyncio.wait_for(proc.stdout.readline(), timeout)
        if not line:
            err = await proc.stderr.read()
            raise AssertionError(f"consumer exited ({proc.returncode}): {err.decode()[-2000:]}")
        text = line.decode().strip()
        if text == "started" or text.startswith(("applied ", "duplicate ")):
            return text


async def committed_offset(kafka: str, group: str) -> int:
    """Sum of the group's committed offsets on the agents topic (0 when nothing committed)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
        return sum(meta.offset for tp, meta in offsets.items() if tp.topic == AGENTS.name and meta.offset > 0)
    finally:
        await admin.close()


async def test_event_survives_crash_between_db_commit_and_offset_commit(
    producing_service, kafka_topics, database_url, db_schema
):
    svc = producing_service
    group = f"exactly-once-{uuid.uuid4().hex[:8]}"
    await start_group_at_end(kafka_topics, group, AGENTS)
    first = await svc.register_agent(1)
    assert await svc.publish() == 1

    # 1. The consumer applies the event, commits to Postgres, and dies before committing the offset.
    crashing = await start_consumer(kafka_topics, database_url, db_schema, group, svc.prefix, crash=True)
    assert await next_line(crashing) == "started"
    assert await next_line(crashing) == f"applied {first.event_id}"
    assert await asyncio.wait_for(crashing.wait(), 30) == 3
    offset_after_crash = await committed_offset(kafka_topics, group)

    # 2. A new consumer in the same group gets the same event again: the inbox makes it a no-op.
    healthy = await start_consumer(kafka_topics, database_url, db_schema, group, svc.prefix, crash=False)
    try:
        assert await next_line(healthy) == "started"
        assert await next_line(healthy) == f"duplicate {first.event_id}"
        # 3. And the pipeline keeps flowing.
        second = await svc.register_agent(2)
        await svc.publish()
        assert await next_line(healthy) == f"applied {second.event_id}"
    finally:
        healthy.terminate()
        await healthy.wait()

    rows = await svc.pool.fetch("SELECT event_id FROM effects ORDER BY stream_id")
    assert [r["event_id"] for r in rows] == [first.event_id, second.event_id]
    assert await committed_offset(kafka_topics, group) > offset_after_crash


async def test_relay_republishing_after_a_crash_is_harmless(producing_service, kafka_topics, database_url, db_schema):
    """The relay dies after sending but before stamping published_at: the event goes out twice."""
    svc = producing_service
    group = f"republish-{uuid.uuid4().hex[:8]}"
    await start_group_at_end(kafka_topics, group, AGENTS)
    event = await svc.register_agent(7)
    await svc.publish()
    await svc.pool.execute("UPDATE outbox SET published_at = NULL WHERE event_id = $1", event.event_id)
    assert await svc.publish() == 1  # the duplicate send a crashed relay would make

    proc = await start_consumer(kafka_topics, database_url, db_schema, group, svc.prefix, crash=False)
    try:
        assert await next_line(proc) == "started"
        seen = {await next_line(proc), await next_line(proc)}
        assert seen == {f"applied {event.event_id}", f"duplicate {event.event_id}"}
    finally:
        proc.terminate()
        await proc.wait()
    assert await svc.pool.fetchval("SELECT count(*) FROM effects") == 1
    assert await svc.pool.fetchval("SELECT count(*) FROM processed_events WHERE event_id = $1", event.event_id) == 1

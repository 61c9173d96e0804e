"""outbox -> Kafka -> consumer -> Postgres, exactly once (real broker, real database, real
processes): across a crash between the database commit and the offset commit, a crash in the
middle of a batch, a relay that publishes twice, and two instances of one consumer group
sharing the partitions while one of them stops and comes back."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import uuid
from pathlib import Path

import pytest

from pactline_events.topics import AGENTS
from pactline_messaging import kafka_admin
from topic_reader import start_group_at_end
from waiting import wait_for

pytestmark = pytest.mark.infra
SCRIPT = Path(__file__).with_name("crashing_consumer.py")


async def start_consumer(
    kafka: str, dsn: str, schema: str, group: str, prefix: str, crash: bool | str, instance: str = "replica-0"
):
    """``crash``: False, True (after the first database commit) or a crashing_consumer MODE.

    By default every process is the same static member, so a restarted one replaces a crashed
    one at once; ``instance=""`` makes a dynamic member (for rebalances)."""
    mode = crash if isinstance(crash, str) else ("1" if crash else "0")
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(SCRIPT),
        kafka,
        dsn,
        schema,
        group,
        prefix,
        mode,
        instance,
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
    admin = kafka_admin(kafka)
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


APPLIED_LOG = """CREATE TABLE applied_log (
    n bigserial PRIMARY KEY, event_id uuid NOT NULL, stream_id text NOT NULL, stream_seq int NOT NULL
)"""


async def assert_each_applied_once_in_order(pool, events) -> None:
    rows = await pool.fetch("SELECT event_id, stream_id, stream_seq FROM applied_log ORDER BY n")
    assert sorted(r["event_id"] for r in rows) == sorted(e.event_id for e in events)  # none missing, none twice
    applied: dict[str, list[int]] = {}
    for row in rows:
        applied.setdefault(row["stream_id"], []).append(row["stream_seq"])
    expected: dict[str, list[int]] = {}
    for event in events:
        expected.setdefault(event.stream_id, []).append(event.stream_seq)
    assert applied == expected


class Lines:
    """Reads a consumer process's protocol lines in the background."""

    def __init__(self, proc) -> None:
        self.proc = proc
        self.lines: list[str] = []
        self._task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        while line := await self.proc.stdout.readline():
            self.lines.append(line.decode().strip())

    def count(self, prefix: str) -> int:
        return sum(1 for line in self.lines if line.startswith(prefix))

    async def finished(self, timeout: float = 60) -> int:
        await asyncio.wait_for(self._task, timeout)
        return await asyncio.wait_for(self.proc.wait(), timeout)


async def test_a_crash_in_the_middle_of_a_batch_applies_every_event_once(
    producing_service, kafka_topics, database_url, db_schema
):
    svc = producing_service
    await svc.pool.execute(APPLIED_LOG)
    group = f"mid-batch-{uuid.uuid4().hex[:8]}"
    await start_group_at_end(kafka_topics, group, AGENTS)
    events = [await svc.register_agent(n, stream=f"{svc.prefix}s{n % 6}") for n in range(60)]
    await svc.relay.drain()

    # 1. Everything is on the topic before the consumer starts, so polls hold many records;
    #    the process dies inside the handler of the 10th event, its batch's transaction open.
    crashing = Lines(await start_consumer(kafka_topics, database_url, db_schema, group, svc.prefix, "mid-10"))
    assert await crashing.finished() == 3
    batches = [int(line.split()[1]) for line in crashing.lines if line.startswith("batch ")]
    committed_before = sum(batches[:-1])
    assert committed_before < 9, batches  # the crash came after other handlers of its batch ran
    # Earlier batches are committed whole, the one in flight not at all.
    assert crashing.count("applied ") == committed_before
    assert await svc.pool.fetchval("SELECT count(*) FROM applied_log") == committed_before

    # 2. After a restart every event is applied, once, in order per stream.
    healthy = Lines(await start_consumer(kafka_topics, database_url, db_schema, group, svc.prefix, False))
    try:
        await wait_for(
            lambda: svc.pool.fetchval("SELECT count(DISTINCT event_id) = 60 FROM applied_log"),
            what="every event applied after the restart",
        )
    finally:
        healthy.proc.send_signal(signal.SIGTERM)
        assert await healthy.finished() == 0
    await assert_each_applied_once_in_order(svc.pool, events)


async def test_two_instances_share_the_partitions_across_a_stop_and_a_restart(
    producing_service, kafka_topics, database_url, db_schema
):
    svc = producing_service
    await svc.pool.execute(APPLIED_LOG)
    group = f"scale-out-{uuid.uuid4().hex[:8]}"
    await start_group_at_end(kafka_topics, group, AGENTS)

    async def instance() -> Lines:
        lines = Lines(await start_consumer(kafka_topics, database_url, db_schema, group, svc.prefix, False, ""))
        await wait_for(lambda: _true(lines.count("started")), what="the instance to start")
        return lines

    events = []

    async def produce(first: int, count: int) -> None:
        # A steady trickle over 12 streams (all three partitions), so rebalances happen mid-run.
        for n in range(first, first + count):
            events.append(await svc.register_agent(n, stream=f"{svc.prefix}s{n % 12}"))
            await asyncio.sleep(0.01)

    async def applied_at_least(count: int) -> bool:
        return await svc.pool.fetchval("SELECT count(*) FROM applied_log") >= count

    await svc.relay.start()
    first, second = await asyncio.gather(instance(), instance())
    restarted = None
    try:
        await produce(0, 60)
        await wait_for(lambda: _true(first.count("applied ") and second.count("applied ")), what="both instances busy")
        producing = asyncio.create_task(produce(60, 120))
        await wait_for(lambda: applied_at_least(90), what="the run to be under way")
        first.proc.send_signal(signal.SIGTERM)  # leaves the group: the second takes every partition
        assert await first.finished() == 0
        restarted = await instance()  # joins again: the partitions are shared anew
        await producing
        await produce(180, 60)
        await wait_for(lambda: applied_at_least(240), what="every event applied")
        assert restarted.count("applied ") > 0  # the restarted instance took part
    finally:
        await svc.relay.stop()
        for lines in (second, restarted):
            if lines is not None and lines.proc.returncode is None:
                lines.proc.send_signal(signal.SIGTERM)
                await lines.finished()
    await assert_each_applied_once_in_order(svc.pool, events)


async def _true(value: object) -> bool:
    return bool(value)

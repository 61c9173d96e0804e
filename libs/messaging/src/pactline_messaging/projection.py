"""Projections: fold topics into tables, storing offsets in the same transaction as the rows.

A projection reads every partition of its topics itself (no consumer group), starting at its
checkpoints, so a rebuild is simply: reset the rows and checkpoints, read again from offset 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition

from pactline_events import Envelope, EventError, TopicSpec, decode

from . import checkpoints
from .dead_letters import DeadLetterPublisher

log = logging.getLogger(__name__)

Apply = Callable[[asyncpg.Connection, Envelope], Awaitable[None]]
Reset = Callable[[asyncpg.Connection], Awaitable[None]]


class ProjectionRunner:
    def __init__(
        self,
        name: str,
        pool: asyncpg.Pool,
        bootstrap: str,
        topics: tuple[TopicSpec, ...],
        apply: Apply,
        reset: Reset,
        dead_letters: DeadLetterPublisher,
        *,
        max_records: int = 500,
    ) -> None:
        self.name = name
        self._pool = pool
        self._bootstrap = bootstrap
        self._topics = topics
        self._apply = apply
        self._reset = reset
        self._dead_letters = dead_letters
        self._max_records = max_records
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap,
            enable_auto_commit=False,
            group_id=None,
            client_id=f"projection-{self.name}",
            isolation_level="read_committed",
        )
        await consumer.start()
        # Partition counts come from the catalog (ensure_topics checks the broker agrees), so
        # every partition is read, including ones that have seen no message yet.
        partitions = [TopicPartition(spec.name, p) for spec in self._topics for p in range(spec.partitions)]
        consumer.assign(partitions)
        async with self._pool.acquire() as conn:
            positions = await checkpoints.load(conn, self.name)
        for tp in partitions:
            consumer.seek(tp, positions.get((tp.topic, tp.partition), 0))
        self._consumer = consumer
        self._task = asyncio.create_task(self._run(), name=f"projection-{self.name}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._consumer is not None:
            await self._consumer.stop()

    async def rebuild(self) -> None:
        """Drop the projection's rows and checkpoints; the next start replays from offset 0."""
        async with self._pool.acquire() as conn, conn.transaction():
            await self._reset(conn)
            await checkpoints.reset(conn, self.name)

    async def lag(self) -> int:
        """Messages on the topics not yet folded in (0 when caught up)."""
        assert self._consumer is not None
        ends = await self._consumer.end_offsets(list(self._consumer.assignment()))
        async with self._pool.acquire() as conn:
            done = await checkpoints.load(conn, self.name)
        return sum(max(0, end - done.get((tp.topic, tp.partition), 0)) for tp, end in ends.items())

    async def _run(self) -> None:
        assert self._consumer is not None
        backoff = 0.2
        while True:
            batches = await self._consumer.getmany(timeout_ms=500, max_records=self._max_records)
            for tp, records in batches.items():
                try:
                    await self._fold(tp, records)
                    backoff = 0.2
                except Exception:
                    # Nothing of this batch was committed: read it again after a pause rather
                    # than skip it (a projection that skips is a wrong projection).
                    log.exception("projection %s failed on %s[%d]; retrying", self.name, tp.topic, tp.partition)
                    self._consumer.seek(tp, records[0].offset)
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 10.0)

    async def _fold(self, tp: TopicPartition, records: list) -> None:
        async with self._pool.acquire() as conn, conn.transaction():
            for record in records:
                try:
                    envelope = decode(record.value)
                except EventError as exc:
                    await self._dead_letters.send(record, kind="undecodable", reason=str(exc))
                    continue
                await self._apply(conn, envelope)
            await checkpoints.save(conn, self.name, tp.topic, tp.partition, records[-1].offset + 1)

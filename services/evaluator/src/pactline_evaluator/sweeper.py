"""The deadline sweeper: a background worker that times out tasks the jury never answered.

It issues a timeout verdict only when (1) the wall clock is past the deadline plus a grace, and
(2) the evaluator's consumer group has read the jury-deliberations topic to its end (lag 0).
The verdict itself is dated at the deadline, not at the sweep. Condition (2) is what makes a
replay give the same verdicts: replaying an old log, the wall clock is past every deadline at
once, and without it the sweeper would time tasks out before the consumer reached the answers
that did arrive in time (docs/evaluation.md, "Deadline").
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from pactline_events.topics import JURY_DELIBERATIONS
from pactline_messaging import kafka_admin, kafka_consumer

from . import evaluating, metrics
from .domain import Policy
from .store import all_rows, queries

log = logging.getLogger(__name__)
BATCH = 100


class DeliberationsLag:
    """How far the consumer group is from the end of the jury-deliberations topic."""

    def __init__(self, bootstrap: str, group: str) -> None:
        self._bootstrap = bootstrap
        self._group = group
        self._admin: AIOKafkaAdminClient | None = None
        self._consumer: AIOKafkaConsumer | None = None
        self._partitions = [TopicPartition(JURY_DELIBERATIONS.name, p) for p in range(JURY_DELIBERATIONS.partitions)]

    async def start(self) -> None:
        self._admin = kafka_admin(self._bootstrap)
        await self._admin.start()
        self._consumer = kafka_consumer(bootstrap=self._bootstrap, enable_auto_commit=False)
        await self._consumer.start()

    async def stop(self) -> None:
        if self._consumer is not None:
            await self._consumer.stop()
        if self._admin is not None:
            await self._admin.close()

    async def lag(self) -> int:
        assert self._admin is not None
        assert self._consumer is not None
        ends = await self._consumer.end_offsets(self._partitions)
        committed = await self._admin.list_consumer_group_offsets(self._group, partitions=self._partitions)
        done = {tp: (meta.offset if meta is not None and meta.offset >= 0 else 0) for tp, meta in committed.items()}
        return sum(max(0, end - done.get(tp, 0)) for tp, end in ends.items())


class DeadlineSweeper:
    def __init__(
        self,
        pool: asyncpg.Pool,
        producer: str,
        policy: Policy,
        lag: DeliberationsLag,
        *,
        grace: timedelta,
        interval_s: float,
    ) -> None:
        self._pool = pool
        self._producer = producer
        self._policy = policy
        self._lag = lag
        self._grace = grace
        self._interval_s = interval_s
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self._lag.start()
        self._task = asyncio.create_task(self._run(), name="evaluator-deadline-sweeper")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._lag.stop()

    async def _run(self) -> None:
        while True:
            try:
                await self.sweep(datetime.now(UTC))
                await self._count_pending()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("deadline sweep failed; retrying at the next interval")
            await asyncio.sleep(self._interval_s)

    async def _count_pending(self) -> None:
        async with self._pool.acquire() as conn:
            counts = {r["status"]: r["n"] for r in await all_rows(queries.pending_counts(conn))}
        for status in ("parked", "awaiting_jury"):
            metrics.PENDING.labels(status).set(counts.get(status, 0))

    async def sweep(self, wall_clock: datetime) -> int:
        """Time out overdue tasks; returns how many verdicts it issued."""
        async with self._pool.acquire() as conn:
            overdue = await all_rows(queries.overdue(conn, cutoff=wall_clock - self._grace, limit=BATCH))
        if not overdue:
            return 0
        lag = await self._lag.lag()
        if lag:
            log.info("%d overdue tasks wait: the jury-deliberations topic has %d unread answers", len(overdue), lag)
            return 0
        issued = 0
        for item in overdue:
            async with self._pool.acquire() as conn, conn.transaction():
                row = await queries.lock_overdue(conn, task_id=item["task_id"])
                if row is None:
                    continue  # answered meanwhile, or another replica has it
                acceptance = await queries.get_acceptance(conn, acceptance_id=row["acceptance_id"])
                await evaluating.time_out(conn, self._producer, self._policy, acceptance, row)
                issued += 1
        return issued

"""The outbox relay: publishes committed outbox rows to Kafka, in order per stream, then stamps them.

Several relays may run on one schema (one per service replica). Rows are claimed by **lane**:
every stream belongs to one of 16 lanes (``outbox.lane``, from MD5 of the stream id), and a
relay pass claims whole lanes with ``SELECT ... FROM outbox_lanes ... FOR UPDATE SKIP LOCKED``,
then reads the unpublished rows of the lanes it holds in id order, sends them with the
idempotent producer, waits until the broker acknowledged every one, stamps ``published_at``
and commits, which releases the lanes. One stream's rows are therefore only ever sent by one
relay at a time, and the next holder of the lane starts after the previous one's stamps.
Skipping locked *rows* instead would let a second relay send a stream's later rows while the
first is still sending its earlier ones.

A crash after the send and before the stamp republishes those rows on restart; consumers'
inboxes make that harmless. Nothing committed is ever lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections import Counter

import asyncpg
import orjson
from aiokafka import AIOKafkaProducer

from .metrics import EVENTS_PUBLISHED, OUTBOX_BACKLOG
from .outbox import NOTIFY_CHANNEL

log = logging.getLogger(__name__)

LANES = 16
"""Fixed by migration 0003 (``outbox_lanes``): the most relays that can publish in parallel."""


class OutboxRelay:
    def __init__(
        self,
        pool: asyncpg.Pool,
        producer: AIOKafkaProducer,
        *,
        batch_size: int = 500,
        max_lanes: int = LANES,
        workers: int = 2,
        idle_poll_s: float = 1.0,
    ) -> None:
        if not 1 <= max_lanes <= LANES:
            raise ValueError(f"max_lanes must be within 1..{LANES}, got {max_lanes}")
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        self._pool = pool
        self._producer = producer
        self._batch_size = batch_size
        self._max_lanes = max_lanes
        self._idle_poll_s = idle_poll_s
        self._wakes = [asyncio.Event() for _ in range(workers)]
        self._tasks: list[asyncio.Task[None]] = []
        self._listener: asyncpg.Connection | None = None
        self.published = 0

    def _on_notify(self, *_: object) -> None:
        for wake in self._wakes:
            wake.set()

    async def publish_pending(self) -> int:
        """Claim up to ``max_lanes`` lanes with work, publish one batch of their rows; return
        how many rows were published (0 when there was nothing to claim)."""
        async with self._pool.acquire() as conn, conn.transaction():
            # Lanes with work, tried from a random lane on, so that relays spread over the lanes.
            lanes = await conn.fetchval(
                """WITH claimed AS (
                       SELECT l.lane FROM outbox_lanes l
                       WHERE EXISTS (SELECT 1 FROM outbox o WHERE o.lane = l.lane AND o.published_at IS NULL)
                       ORDER BY (l.lane + $1) % 16
                       LIMIT $2
                       FOR UPDATE OF l SKIP LOCKED
                   ) SELECT array_agg(lane) FROM claimed""",
                random.randrange(LANES),
                self._max_lanes,
            )
            if not lanes:
                OUTBOX_BACKLOG.set(0)
                return 0
            # A new statement, hence a snapshot taken after the lanes' previous holders committed.
            rows = await conn.fetch(
                """SELECT id, topic, stream_id, value, headers FROM outbox
                   WHERE published_at IS NULL AND lane = ANY($1::smallint[])
                   ORDER BY id LIMIT $2""",
                lanes,
                self._batch_size,
            )
            OUTBOX_BACKLOG.set(len(rows))
            if not rows:
                return 0
            sends = []
            for row in rows:
                headers = [(k, v.encode()) for k, v in orjson.loads(row["headers"]).items()]
                sends.append(
                    await self._producer.send(
                        row["topic"], value=row["value"], key=row["stream_id"].encode(), headers=headers
                    )
                )
            await asyncio.gather(*sends)  # every record acknowledged by all in-sync replicas
            await conn.execute(
                "UPDATE outbox SET published_at = now() WHERE id = ANY($1::bigint[])", [r["id"] for r in rows]
            )
        for topic, count in Counter(row["topic"] for row in rows).items():
            EVENTS_PUBLISHED.labels(topic).inc(count)
        self.published += len(rows)
        return len(rows)

    async def drain(self) -> int:
        """Publish until no claimable row is left; return how many were published."""
        total = 0
        while published := await self.publish_pending():
            total += published
        return total

    async def run(self, wake: asyncio.Event) -> None:
        backoff = 0.2
        while True:
            # Cleared before the passes, not after: a commit notified during a pass wakes the next.
            wake.clear()
            try:
                await self.drain()
                backoff = 0.2
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox relay pass failed; retrying in %.1fs", backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), timeout=self._idle_poll_s)

    async def start(self) -> None:
        """Listen for commits and start the workers: while one waits for the broker's acks,
        another claims the lanes that got rows in the meantime (SKIP LOCKED keeps them apart)."""
        self._listener = await self._pool.acquire()
        await self._listener.add_listener(NOTIFY_CHANNEL, self._on_notify)
        self._tasks = [
            asyncio.create_task(self.run(wake), name=f"outbox-relay-{n}") for n, wake in enumerate(self._wakes)
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        if self._listener is not None:
            await self._listener.remove_listener(NOTIFY_CHANNEL, self._on_notify)
            await self._pool.release(self._listener)
            self._listener = None

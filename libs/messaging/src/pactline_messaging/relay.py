"""The outbox relay: publishes committed outbox rows to Kafka, in order, then stamps them.

A crash after the send and before the stamp republishes the batch on restart; consumers'
inboxes make that harmless. Nothing committed is ever lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging

import asyncpg
from aiokafka import AIOKafkaProducer

from .metrics import EVENTS_PUBLISHED, OUTBOX_BACKLOG
from .outbox import NOTIFY_CHANNEL

log = logging.getLogger(__name__)


class OutboxRelay:
    def __init__(
        self,
        pool: asyncpg.Pool,
        producer: AIOKafkaProducer,
        *,
        batch_size: int = 500,
        idle_poll_s: float = 1.0,
    ) -> None:
        self._pool = pool
        self._producer = producer
        self._batch_size = batch_size
        self._idle_poll_s = idle_poll_s
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._listener: asyncpg.Connection | None = None
        self.published = 0

    def _on_notify(self, *_: object) -> None:
        self._wake.set()

    async def publish_pending(self) -> int:
        """Publish one batch of unpublished rows; return how many were published."""
        async with self._pool.acquire() as conn, conn.transaction():
            # One relay at a time per schema keeps each stream's order on the topic.
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext('pactline-outbox-relay'))")
            rows = await conn.fetch(
                "SELECT id, topic, stream_id, value, headers FROM outbox "
                "WHERE published_at IS NULL ORDER BY id LIMIT $1",
                self._batch_size,
            )
            OUTBOX_BACKLOG.set(len(rows))
            if not rows:
                return 0
            sends = []
            for row in rows:
                headers = [(k, v.encode()) for k, v in json.loads(row["headers"]).items()]
                sends.append(
                    await self._producer.send(
                        row["topic"], value=bytes(row["value"]), key=row["stream_id"].encode(), headers=headers
                    )
                )
            await asyncio.gather(*sends)  # every record acknowledged by all in-sync replicas
            await conn.execute(
                "UPDATE outbox SET published_at = now() WHERE id = ANY($1::bigint[])", [r["id"] for r in rows]
            )
        for row in rows:
            EVENTS_PUBLISHED.labels(row["topic"]).inc()
        self.published += len(rows)
        return len(rows)

    async def run(self) -> None:
        backoff = 0.2
        while True:
            try:
                while await self.publish_pending() == self._batch_size:
                    pass
                backoff = 0.2
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox relay pass failed; retrying in %.1fs", backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)
                continue
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._idle_poll_s)

    async def start(self) -> None:
        self._listener = await self._pool.acquire()
        await self._listener.add_listener(NOTIFY_CHANNEL, self._on_notify)
        self._task = asyncio.create_task(self.run(), name="outbox-relay")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._listener is not None:
            await self._listener.remove_listener(NOTIFY_CHANNEL, self._on_notify)
            await self._pool.release(self._listener)
            self._listener = None

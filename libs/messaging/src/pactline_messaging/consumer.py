"""Consuming events exactly once in effect: inbox claim and effect in one transaction.

Offsets are committed explicitly (FastStream ``AckPolicy.MANUAL``, never auto-commit) and
only after the effect's transaction committed. A crash between the two redelivers the event,
and the inbox row makes the second delivery a no-op. Undecodable messages, and messages whose
handler keeps failing, go to the dead-letter topic with the reason; the partition moves on.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, Literal

import asyncpg
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from opentelemetry import propagate, trace

from pactline_events import Envelope, EventError, decode

from . import inbox
from .correlation import correlation_id
from .dead_letters import DeadLetterPublisher
from .metrics import EVENTS_CONSUMED

log = logging.getLogger(__name__)
tracer = trace.get_tracer("pactline.messaging")

Handler = Callable[[asyncpg.Connection, Envelope], Awaitable[None]]


class EventConsumer:
    """Routes decoded events to handlers by event type; one consumer group per instance.

    ``on_committed(envelope, applied)`` runs after the effect's commit and before the offset
    commit (``applied`` is False for a redelivered duplicate): the window a crash test aims at.
    Offsets are committed every ``commit_every`` messages or ``commit_interval_s`` seconds,
    whichever comes first (at the next message); ``commit_every=1`` commits after each one.
    """

    def __init__(
        self,
        name: str,
        pool: asyncpg.Pool,
        dead_letters: DeadLetterPublisher,
        *,
        max_attempts: int = 5,
        retry_backoff_s: float = 0.2,
        on_committed: Callable[[Envelope, bool], None] | None = None,
        commit_every: int = 100,
        commit_interval_s: float = 0.5,
    ) -> None:
        self.name = name
        self._pool = pool
        self._dead_letters = dead_letters
        self._max_attempts = max_attempts
        self._retry_backoff_s = retry_backoff_s
        self._on_committed = on_committed
        self._handlers: dict[str, Handler] = {}
        self._commit_every = commit_every
        self._commit_interval_s = commit_interval_s
        self._uncommitted = 0
        self._last_commit = time.monotonic()

    def handles(self, *event_types: str) -> Callable[[Handler], Handler]:
        def register(fn: Handler) -> Handler:
            for event_type in event_types:
                if event_type in self._handlers:
                    raise ValueError(f"{self.name} already handles {event_type}")
                self._handlers[event_type] = fn
            return fn

        return register

    def subscribe(
        self,
        broker: KafkaBroker,
        *topics: str,
        group_id: str | None = None,
        start_at: Literal["earliest", "latest"] = "earliest",
    ) -> Any:
        """Attach to ``broker`` as one subscriber of ``topics`` in consumer group ``group_id``.

        A new group starts at the ``earliest`` offset (a service must see the whole log);
        ``latest`` is for tools that only care about what happens from now on.
        """
        consumer = self

        @broker.subscriber(
            *topics,
            group_id=group_id or self.name,
            ack_policy=AckPolicy.MANUAL,
            auto_offset_reset=start_at,
            title=f"{self.name}:{','.join(topics)}",
        )
        async def on_message(message: KafkaMessage) -> None:
            await consumer.process(message)

        return on_message

    async def process(self, message: Any) -> None:
        record = message.raw_message
        try:
            await self._process_record(record)
        except BaseException:
            # Not committed: rewind so this message is read again rather than skipped.
            await message.nack()
            raise
        # Offsets are committed in batches: the effect is already durable and deduplicated by
        # the inbox, so committing later only means a crash redelivers a few more events.
        self._uncommitted += 1
        now = time.monotonic()
        if self._uncommitted >= self._commit_every or now - self._last_commit >= self._commit_interval_s:
            await message.ack()
            self._uncommitted = 0
            self._last_commit = now

    async def _process_record(self, record: Any) -> None:
        try:
            envelope = decode(record.value)
        except EventError as exc:
            await self._dead_letters.send(record, kind="undecodable", reason=f"{type(exc).__name__}: {exc}")
            EVENTS_CONSUMED.labels(self.name, "dead_letter").inc()
            return
        handler = self._handlers.get(envelope.event_type)
        if handler is None:
            EVENTS_CONSUMED.labels(self.name, "ignored").inc()
            return
        carrier = {k: v.decode(errors="replace") for k, v in (record.headers or ())}
        token = correlation_id.set(str(envelope.correlation_id))
        try:
            with tracer.start_as_current_span(
                f"consume {envelope.event_type}",
                context=propagate.extract(carrier),
                kind=trace.SpanKind.CONSUMER,
                attributes={
                    "messaging.system": "kafka",
                    "messaging.destination.name": record.topic,
                    "pactline.event_id": str(envelope.event_id),
                },
            ):
                await self._apply_with_retries(record, envelope, handler)
        finally:
            correlation_id.reset(token)

    async def _apply_with_retries(self, record: Any, envelope: Envelope, handler: Handler) -> None:
        for attempt in range(1, self._max_attempts + 1):
            try:
                async with self._pool.acquire() as conn, conn.transaction():
                    first_time = await inbox.claim(conn, self.name, envelope.event_id)
                    if first_time:
                        await handler(conn, envelope)
            except (asyncpg.PostgresConnectionError, OSError) as exc:
                # Infrastructure trouble is not the message's fault: never dead-letter for it.
                log.warning("%s: database unavailable (%s); retrying", self.name, exc)
                await asyncio.sleep(min(self._retry_backoff_s * 2**attempt, 5.0))
                continue
            except Exception as exc:
                if attempt == self._max_attempts:
                    log.exception("%s: %s failed %d times", self.name, envelope.event_type, attempt)
                    await self._dead_letters.send(
                        record,
                        kind="handler_failed",
                        attempts=attempt,
                        reason=f"{type(exc).__name__}: {exc}",
                    )
                    EVENTS_CONSUMED.labels(self.name, "dead_letter").inc()
                    return
                await asyncio.sleep(self._retry_backoff_s * attempt)
                continue
            EVENTS_CONSUMED.labels(self.name, "applied" if first_time else "duplicate").inc()
            if self._on_committed is not None:
                self._on_committed(envelope, first_time)
            return
        raise ConnectionError(f"{self.name}: database unavailable for {envelope.event_id}")

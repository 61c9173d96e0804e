"""Consuming events exactly once in effect, a poll at a time.

The records of one poll (bounded by count and bytes) are applied in ONE database transaction:
the inbox claims for the whole batch in one statement (redeliveries skipped), each handler's
effects and outbox rows in log order, then the commit; Kafka offsets are committed only
after it (FastStream ``AckPolicy.MANUAL``, never auto-commit). A crash between the two
redelivers the batch and the inbox makes the second delivery a no-op.

A handler that raises must not take the good records of its batch down with it: the batch's
transaction rolls back and the batch is applied again record by record, each in its own
transaction with its own retries, so exactly the bad record goes to the dead-letter topic
with its reason and every other record is applied once, still in log order. Records that
cannot be decoded go to the dead-letter topic before the transaction. Infrastructure errors
(database or broker down) are retried without limit and never count against a record.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from typing import Any, Literal, TypeVar

import asyncpg
from aiokafka.structs import ConsumerRecord
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from opentelemetry import propagate, trace
from tenacity import AsyncRetrying, retry_if_exception, stop_never, wait_exponential_jitter

from pactline_events import Envelope, EventError, decode

from . import inbox
from .correlation import correlation_id
from .dead_letters import DeadLetterPublisher
from .handling import EventHandlers, HandlerContext
from .metrics import BATCH_SIZE, EVENTS_CONSUMED
from .retrying import is_infrastructure_error, message_policy

log = logging.getLogger(__name__)
T = TypeVar("T")
tracer = trace.get_tracer("pactline.messaging")

DEFAULT_BATCH_RECORDS = 500
DEFAULT_BATCH_BYTES = 4 * 1024 * 1024


class HandlerFailed(Exception):
    """A handler raised inside a batch: the batch is re-applied record by record."""


def safe_headers(record: ConsumerRecord) -> list[tuple[str, bytes]]:
    """Headers without null values: a header is transport metadata, never part of the event."""
    return [(k, v) for k, v in (record.headers or ()) if isinstance(k, str) and isinstance(v, bytes)]


async def _parse(batch: tuple[ConsumerRecord, ...], original: Any) -> Any:
    # FastStream's own parser decodes every header value as UTF-8 and fails on a null one,
    # which would re-deliver that record forever; hand it clean headers instead.
    return await original(tuple(replace(r, headers=safe_headers(r)) for r in batch))


async def _decode(message: Any, original: Any) -> Any:
    # The consumer decodes events itself (pactline_events.decode); skip FastStream's JSON pass.
    return message.body


class EventConsumer:
    """Applies events to a service's handlers; one consumer group per service.

    ``on_committed(envelope, applied)`` runs after the effect's commit and before the offset
    commit (``applied`` is False for a redelivered duplicate): the window a crash test aims at.
    """

    def __init__(
        self,
        name: str,
        pool: asyncpg.Pool,
        dead_letters: DeadLetterPublisher,
        handlers: EventHandlers,
        *,
        producer: str | None = None,
        deps: Any = None,
        max_attempts: int = 5,
        retry_base_s: float = 0.2,
        batch_max_records: int = DEFAULT_BATCH_RECORDS,
        batch_max_bytes: int = DEFAULT_BATCH_BYTES,
        on_committed: Callable[[Envelope, bool], None] | None = None,
    ) -> None:
        self.name = name
        self._pool = pool
        self._dead_letters = dead_letters
        self._handlers = handlers
        self._producer = producer or name
        self._deps = deps
        self._max_attempts = max_attempts
        self._retry_base_s = retry_base_s
        self.batch_max_records = batch_max_records
        self.batch_max_bytes = batch_max_bytes
        self._on_committed = on_committed

    def subscribe(
        self,
        broker: KafkaBroker,
        *,
        group_id: str | None = None,
        start_at: Literal["earliest", "latest"] = "earliest",
    ) -> Any:
        """Attach to ``broker`` as one batch subscriber of the handlers' topics.

        A new group starts at the ``earliest`` offset (a service must see the whole log);
        ``latest`` is for tools that only care about what happens from now on.
        """
        topics = self._handlers.topics
        if not topics:
            raise ValueError(f"{self.name} has no handlers to subscribe")
        consumer = self

        @broker.subscriber(
            *topics,
            group_id=group_id or self.name,
            batch=True,
            max_records=self.batch_max_records,
            max_partition_fetch_bytes=self.batch_max_bytes,
            fetch_max_bytes=self.batch_max_bytes,
            ack_policy=AckPolicy.MANUAL,
            auto_offset_reset=start_at,
            parser=_parse,
            decoder=_decode,
            title=f"{self.name}:{','.join(topics)}",
        )
        async def on_batch(message: KafkaMessage) -> None:
            await consumer.process(message)

        return on_batch

    async def process(self, message: Any) -> None:
        """One FastStream batch message: apply it, then commit its offsets (or rewind)."""
        records = message.raw_message
        if not isinstance(records, tuple):
            records = (records,)
        try:
            await self.apply(records)
        except BaseException:
            # Not committed: rewind so these records are read again rather than skipped.
            await message.nack()
            raise
        await message.ack()

    async def apply(self, records: Sequence[ConsumerRecord]) -> None:
        """Apply ``records`` (one poll, log order per partition) exactly once in effect."""
        BATCH_SIZE.labels(self.name).observe(len(records))
        items: list[tuple[ConsumerRecord, Envelope]] = []
        for record in records:
            try:
                envelope = decode(record.value)
            except EventError as exc:
                await self._dead_letters.send(record, kind="undecodable", reason=f"{type(exc).__name__}: {exc}")
                EVENTS_CONSUMED.labels(self.name, "dead_letter").inc()
                continue
            if self._handlers.get(envelope.event_type) is None:
                EVENTS_CONSUMED.labels(self.name, "ignored").inc()
                continue
            items.append((record, envelope))
        if not items:
            return
        try:
            outcomes = await self._retry_infrastructure(self._apply_batch, items)
        except HandlerFailed:
            outcomes = [await self._apply_alone(record, envelope) for record, envelope in items]
        for (_, envelope), applied in zip(items, outcomes, strict=True):
            if applied is None:
                continue
            EVENTS_CONSUMED.labels(self.name, "applied" if applied else "duplicate").inc()
            if self._on_committed is not None:
                self._on_committed(envelope, applied)

    async def _retry_infrastructure(self, fn: Callable[..., Awaitable[T]], *args: Any) -> T:
        """``fn(*args)`` again and again while the database or the broker is unavailable."""
        policy = AsyncRetrying(
            retry=retry_if_exception(is_infrastructure_error),
            wait=wait_exponential_jitter(multiplier=self._retry_base_s, max=5.0),
            stop=stop_never,
            reraise=True,
        )
        return await policy(fn, *args)

    async def _apply_batch(self, items: list[tuple[ConsumerRecord, Envelope]]) -> list[bool | None]:
        """All of ``items`` in one transaction; True applied, False duplicate."""
        async with self._pool.acquire() as conn, conn.transaction():
            fresh = await inbox.claim_many(conn, self.name, [envelope.event_id for _, envelope in items])
            outcomes: list[bool | None] = []
            for record, envelope in items:
                if envelope.event_id not in fresh:
                    outcomes.append(False)
                    continue
                fresh.discard(envelope.event_id)  # the same event twice in one poll applies once
                try:
                    await self._run_handler(conn, record, envelope)
                except Exception as exc:
                    if is_infrastructure_error(exc):
                        raise
                    log.warning(
                        "%s: %s %s failed inside a batch (%s: %s); applying the batch record by record",
                        self.name,
                        envelope.event_type,
                        envelope.event_id,
                        type(exc).__name__,
                        exc,
                    )
                    raise HandlerFailed from exc
                outcomes.append(True)
        return outcomes

    async def _apply_alone(self, record: ConsumerRecord, envelope: Envelope) -> bool | None:
        """One record in its own transaction, with retries; dead-lettered when they run out."""

        async def attempt() -> bool:
            async with self._pool.acquire() as conn, conn.transaction():
                if not await inbox.claim(conn, self.name, envelope.event_id):
                    return False
                await self._run_handler(conn, record, envelope)
                return True

        policy = message_policy(f"{self.name}: {envelope.event_type} {envelope.event_id}", self._max_attempts)
        try:
            return await policy(attempt)
        except Exception as exc:
            log.exception("%s: %s failed %d times", self.name, envelope.event_type, self._max_attempts)
            await self._dead_letters.send(
                record, kind="handler_failed", attempts=self._max_attempts, reason=f"{type(exc).__name__}: {exc}"
            )
            EVENTS_CONSUMED.labels(self.name, "dead_letter").inc()
            return None

    async def _run_handler(self, conn: asyncpg.Connection, record: ConsumerRecord, envelope: Envelope) -> None:
        handler = self._handlers.get(envelope.event_type)
        assert handler is not None
        carrier = {k: v.decode(errors="replace") for k, v in safe_headers(record)}
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
                ctx = HandlerContext(conn=conn, event=envelope, producer=self._producer, deps=self._deps)
                await handler(ctx, envelope)
        finally:
            correlation_id.reset(token)

"""Consuming events exactly once in effect, a poll at a time.

The records of one poll (bounded by count and bytes) are applied in ONE database transaction
by default. With ``concurrency`` above 1 they are split into that many transactions run side
by side, so that the round trips of one hide behind another's; records go to a transaction
by **stream lane** (CRC-32 of the Kafka key, which is the stream id, mod 8, then mod
``concurrency``), so one stream's records are always in one transaction, in log order. That
is only for handlers that touch their own stream's rows: two transactions applying related
events of different streams side by side may each miss what the other is writing.

Each transaction takes the advisory locks of the (topic, partition, stream lane) **lanes** it
touches and claims its records in the inbox in one statement (redeliveries skipped), runs
each handler (effects and outbox rows) in log order, and commits; a type whose handler takes
runs (``EventHandlers.on_run``) gets each run of consecutive records of that type in one call.
Kafka offsets are committed only after every transaction of the poll committed (FastStream
``AckPolicy.MANUAL``, never auto-commit). A crash before that redelivers the poll and the
inbox makes the second delivery a no-op.

A handler that raises must not take the good records of its transaction down with it: it
rolls back and its records are applied again one by one, each in its own
transaction with its own retries, so exactly the bad record goes to the dead-letter topic
with its reason and every other record is applied once, still in log order. Records that
cannot be decoded go to the dead-letter topic before any transaction, and so do records that
are not what they claim (``pactline_events.signing``: unsigned, a key that is not trusted or
not the producer's, a signature that does not verify, a producer that may not write the type:
kind ``forged``; an authentic event on a topic its type does not travel on: ``misrouted``).
Only events of a handled type are verified: the others are not applied. Infrastructure errors
(database or broker down) are retried without limit and never count against a record.

Several instances of a service share its consumer group. Each transaction first takes a
transaction-scoped advisory lock per (group, topic, partition, lane) it touches, so two
instances never apply records of one lane at the same time, even when a rebalance hands a
partition over while its previous owner is still inside a poll (or is a zombie past its
session timeout): the inbox makes the later one's copies no-ops and the applied records of a
lane always stay a prefix of its log. On a rebalance the consumer also finishes the poll in
flight before giving its partitions up, so the hand-over usually redelivers nothing.
"""

from __future__ import annotations

import asyncio
import logging
import zlib
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import replace
from typing import Any, Literal, TypeVar

import asyncpg
from aiokafka.abc import ConsumerRebalanceListener
from aiokafka.structs import ConsumerRecord
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, Topic
from faststream.kafka.annotations import KafkaMessage
from opentelemetry import propagate, trace
from tenacity import AsyncRetrying, retry_if_exception, stop_never, wait_exponential_jitter

from pactline_events import Envelope, EventError, EventRefused, EventVerifier, decode
from pactline_events.signing import Routes

from . import event_keys, inbox
from .correlation import correlation_id
from .dead_letters import DeadLetterPublisher
from .garbage_collection import collections_deferred
from .handling import EventHandlers, HandlerContext, RunContext
from .metrics import BATCH_SIZE, EVENTS_CONSUMED
from .retrying import is_infrastructure_error, message_policy

log = logging.getLogger(__name__)
T = TypeVar("T")
tracer = trace.get_tracer("pactline.messaging")

DEFAULT_BATCH_RECORDS = 500
DEFAULT_BATCH_BYTES = 4 * 1024 * 1024
DEFAULT_CONCURRENCY = 1
"""Transactions of one poll in flight at once; each holds a connection of the pool. One by
default: handlers that relate events of different streams (a task that arrives before its
acceptance, on another stream) may read what a concurrent transaction is writing and miss
it; a service whose handlers touch only their own stream's rows can raise it."""
BATCH_WAIT_MS = 20
"""How long a poll waits for records; FastStream sleeps as long again after an empty one, so
this bounds the latency an idle consumer adds."""
STREAM_LANES = 8
"""Streams of a partition fall into this many lanes (CRC-32 of the Kafka key, the stream id):
the unit of the advisory locks that keep two instances of a group off the same records."""


def stream_lane(record: ConsumerRecord) -> int:
    return zlib.crc32(record.key or b"") % STREAM_LANES


class HandlerFailed(Exception):
    """A handler raised inside a batch: the batch is re-applied record by record."""


def safe_headers(record: ConsumerRecord) -> list[tuple[str, bytes]]:
    """Headers without null values: a header is transport metadata, never part of the event."""
    return [(k, v) for k, v in (record.headers or ()) if isinstance(k, str) and isinstance(v, bytes)]


def _has_null_header(record: ConsumerRecord) -> bool:
    return any(not isinstance(v, bytes) for _, v in record.headers or ())


async def _parse(batch: tuple[ConsumerRecord, ...], original: Any) -> Any:
    # FastStream's own parser decodes every header value as UTF-8 and fails on a null one,
    # which would re-deliver that record forever; hand it clean headers instead.
    return await original(tuple(replace(r, headers=safe_headers(r)) if _has_null_header(r) else r for r in batch))


async def _decode(message: Any, original: Any) -> Any:
    # The consumer decodes events itself (pactline_events.decode); skip FastStream's JSON pass.
    return message.body


def lane_locks(group: str, records: Sequence[ConsumerRecord]) -> list[str]:
    """The advisory locks a transaction over ``records`` holds: (group, topic, partition, stream
    lane); a collision of their 64-bit hashes only serializes more."""
    return sorted({f"{group}/{r.topic}/{r.partition}/{stream_lane(r)}" for r in records})


class _FinishBatchBeforeRevoke(ConsumerRebalanceListener):
    """Lets the batch in flight commit (effects and offsets) before the partitions move."""

    def __init__(self, in_flight: asyncio.Lock) -> None:
        self._in_flight = in_flight

    async def on_partitions_revoked(self, revoked: Any) -> None:
        async with self._in_flight:
            pass

    async def on_partitions_assigned(self, assigned: Any) -> None:
        return None


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
        concurrency: int = DEFAULT_CONCURRENCY,
        on_committed: Callable[[Envelope, bool], None] | None = None,
        verifier: EventVerifier | None = None,
    ) -> None:
        """``verifier`` defaults to this process's (``event_keys.verifier()``): there is always one."""
        self.name = name
        self._verifier = verifier if verifier is not None else event_keys.verifier()
        self._routes: Routes | None = None  # the catalog's, unless subscribed to stand-in topics
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
        self._in_flight = asyncio.Lock()
        if not 1 <= concurrency <= STREAM_LANES:
            raise ValueError(f"concurrency must be within 1..{STREAM_LANES}, got {concurrency}")
        self._concurrency = concurrency

    def subscribe(
        self,
        broker: KafkaBroker,
        *,
        group_id: str | None = None,
        start_at: Literal["earliest", "latest"] = "earliest",
        topics: Sequence[str] | None = None,
        **kafka_options: Any,
    ) -> Any:
        """Attach to ``broker`` as one batch subscriber of the handlers' topics.

        A new group starts at the ``earliest`` offset (a service must see the whole log);
        ``latest`` is for tools that only care about what happens from now on.
        ``topics`` replaces the catalog's topics of the handled types (a replay or bench
        topic), and each of them may then carry any handled type. ``kafka_options`` go to the
        group consumer as they are (``session_timeout_ms``, ``heartbeat_interval_ms``,
        ``group_instance_id``, ...).
        """
        if topics is not None:
            topics = tuple(topics)
            self._routes = {topic: frozenset(self._handlers.event_types) for topic in topics}
        else:
            topics = self._handlers.topics
        if not topics:
            raise ValueError(f"{self.name} has no handlers to subscribe")
        consumer = self

        @broker.subscriber(
            # Topics come from the catalog (`make topics`, explicit partitions), never from a
            # subscriber: left to declare them, FastStream would create a missing one with a
            # single partition wherever the principal may, and warn at every start where not.
            *(Topic(topic, declare=False) for topic in topics),
            group_id=group_id or self.name,
            batch=True,
            max_records=self.batch_max_records,
            max_partition_fetch_bytes=self.batch_max_bytes,
            fetch_max_bytes=self.batch_max_bytes,
            ack_policy=AckPolicy.MANUAL,
            # After an empty poll FastStream sleeps this long too: keep it short for latency.
            batch_timeout_ms=BATCH_WAIT_MS,
            auto_offset_reset=start_at,
            parser=_parse,
            decoder=_decode,
            listener=_FinishBatchBeforeRevoke(self._in_flight),
            title=f"{self.name}:{','.join(topics)}",
            **kafka_options,
        )
        async def on_batch(message: KafkaMessage) -> None:
            await consumer.process(message)

        return on_batch

    async def process(self, message: Any) -> None:
        """One FastStream batch message: apply it, then commit its offsets (or rewind)."""
        records = message.raw_message
        if not isinstance(records, tuple):
            records = (records,)
        async with self._in_flight:
            try:
                with collections_deferred():
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
            if not self._handlers.handles(envelope.event_type):
                EVENTS_CONSUMED.labels(self.name, "ignored").inc()
                continue
            try:
                self._verifier.check(envelope, record.value, topic=record.topic, routes=self._routes)
            except EventRefused as exc:
                await self._dead_letters.send(record, kind=exc.kind, reason=str(exc))
                EVENTS_CONSUMED.labels(self.name, "dead_letter").inc()
                continue
            items.append((record, envelope))
        if not items:
            return
        # Each stream lane goes to one of at most `concurrency` transactions, so a stream keeps
        # its log order and a poll costs a few commits however many lanes it touches.
        shares: dict[int, list[tuple[ConsumerRecord, Envelope]]] = {}
        for item in items:
            shares.setdefault(stream_lane(item[0]) % self._concurrency, []).append(item)
        if len(shares) == 1:
            await self._apply_share(items)
            return
        # Shares are independent: their transactions run side by side and the database round
        # trips of one hide behind another's. A failure cancels the others and the poll is read
        # again (what they committed makes that a no-op).
        async with asyncio.TaskGroup() as group:
            for share in shares.values():
                group.create_task(self._apply_share(share))

    async def _apply_share(self, items: list[tuple[ConsumerRecord, Envelope]]) -> None:
        for chunk in self._chunks(items):
            try:
                outcomes = await self._retry_infrastructure(self._apply_batch, chunk)
            except HandlerFailed:
                outcomes = [await self._apply_alone(record, envelope) for record, envelope in chunk]
            applied_count = sum(1 for applied in outcomes if applied)
            EVENTS_CONSUMED.labels(self.name, "applied").inc(applied_count)
            EVENTS_CONSUMED.labels(self.name, "duplicate").inc(outcomes.count(False))
            if self._on_committed is not None:
                for (_, envelope), applied in zip(chunk, outcomes, strict=True):
                    if applied is not None:
                        self._on_committed(envelope, applied)

    def _chunks(self, items: list[tuple[ConsumerRecord, Envelope]]) -> Iterator[list[tuple[ConsumerRecord, Envelope]]]:
        """Transactions of at most ``batch_max_records`` records and ``batch_max_bytes`` bytes
        (a record larger than the limit alone), in log order."""
        chunk: list[tuple[ConsumerRecord, Envelope]] = []
        size = 0
        for item in items:
            length = len(item[0].value or b"")
            if chunk and (len(chunk) >= self.batch_max_records or size + length > self.batch_max_bytes):
                yield chunk
                chunk, size = [], 0
            chunk.append(item)
            size += length
        if chunk:
            yield chunk

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
            fresh = await inbox.claim_many_locked(
                conn,
                self.name,
                [envelope.event_id for _, envelope in items],
                lane_locks(self.name, [record for record, _ in items]),
            )
            outcomes: list[bool | None] = []
            todo: list[tuple[ConsumerRecord, Envelope]] = []
            for record, envelope in items:
                if envelope.event_id not in fresh:
                    outcomes.append(False)
                    continue
                fresh.discard(envelope.event_id)  # the same event twice in one poll applies once
                todo.append((record, envelope))
                outcomes.append(True)
            for run in self._runs(todo):
                try:
                    await self._run_handler(conn, run)
                except Exception as exc:
                    if is_infrastructure_error(exc):
                        raise
                    log.warning(
                        "%s: %s %s failed inside a batch (%s: %s); applying the batch record by record",
                        self.name,
                        run[0][1].event_type,
                        run[0][1].event_id,
                        type(exc).__name__,
                        exc,
                    )
                    raise HandlerFailed from exc
        return outcomes

    def _runs(self, items: list[tuple[ConsumerRecord, Envelope]]) -> Iterator[list[tuple[ConsumerRecord, Envelope]]]:
        """``items`` in log order, one at a time, except that consecutive records of a type
        handled by runs come together."""
        run: list[tuple[ConsumerRecord, Envelope]] = []
        for item in items:
            kind = item[1].event_type
            if run and (kind != run[0][1].event_type or self._handlers.get_run(kind) is None):
                yield run
                run = []
            run.append(item)
        if run:
            yield run

    async def _apply_alone(self, record: ConsumerRecord, envelope: Envelope) -> bool | None:
        """One record in its own transaction, with retries; dead-lettered when they run out."""

        async def attempt() -> bool:
            async with self._pool.acquire() as conn, conn.transaction():
                claimed = await inbox.claim_many_locked(
                    conn, self.name, [envelope.event_id], lane_locks(self.name, [record])
                )
                if not claimed:
                    return False
                await self._run_handler(conn, [(record, envelope)])
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

    async def _run_handler(self, conn: asyncpg.Connection, run: list[tuple[ConsumerRecord, Envelope]]) -> None:
        """One record's handler, or a run handler over ``run`` (records of one type)."""
        record, envelope = run[0]
        carrier = {k: v.decode(errors="replace") for k, v in safe_headers(record)}
        token = correlation_id.set(str(envelope.correlation_id))
        attributes = {
            "messaging.system": "kafka",
            "messaging.destination.name": record.topic,
            "pactline.event_id": str(envelope.event_id),
        }
        if len(run) > 1:
            attributes["messaging.batch.message_count"] = len(run)
        try:
            with tracer.start_as_current_span(
                f"consume {envelope.event_type}",
                context=propagate.extract(carrier),
                kind=trace.SpanKind.CONSUMER,
                attributes=attributes,
            ):
                run_handler = self._handlers.get_run(envelope.event_type)
                if run_handler is not None:
                    await run_handler(RunContext(conn, self._producer, self._deps), [e for _, e in run])
                    return
                handler = self._handlers.get(envelope.event_type)
                assert handler is not None
                assert len(run) == 1
                ctx = HandlerContext(conn=conn, event=envelope, producer=self._producer, deps=self._deps)
                await handler(ctx, envelope)
        finally:
            correlation_id.reset(token)

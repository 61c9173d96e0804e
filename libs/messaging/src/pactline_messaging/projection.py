"""Projections: pure folds of the log into state, kept with their Kafka offsets.

A projection is ``evolve(state, event) -> state``, pure, keyed by an aggregate (an agent, a
pool). The ``ProjectionRunner`` reads every partition of the projection's topics itself (no
consumer group), and for each poll, in ONE transaction: skips exact redeliveries (an event
whose ``stream_seq`` is not above the last one folded for its stream), loads the states of
the keys the poll touches, folds the events in log order, stores the new states, lets the
projection derive its rows (and emit events) from them, and saves the offsets. Rows are
derived from the folded state, never the source of truth; a rebuild is: drop everything,
read again from offset 0.

Every event is verified before it is folded (``pactline_events.signing``); a forged or
misrouted one goes to the dead-letter topic and moves nothing, not even its stream's position.
The runner decodes and verifies the next poll while the previous one's transaction runs; polls
still fold and commit one at a time, in log order.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition

from pactline_events import Envelope, EventError, EventRefused, EventVerifier, TopicSpec, canonical_json, decode

from . import checkpoints, event_keys
from .dead_letters import DeadLetterPublisher
from .garbage_collection import collections_deferred
from .handling import HandlerContext
from .kafka_clients import KafkaCredentials, kafka_consumer
from .retrying import is_infrastructure_error

log = logging.getLogger(__name__)

_YIELD_EVERY = 64
"""Records decoded between two chances for the folding transaction to move on."""

S = TypeVar("S")


@dataclass
class Change(Generic[S]):
    """One key's state before and after a poll, and the events folded into it, in order."""

    key: str
    before: S | None
    after: S
    events: list[Envelope] = field(default_factory=list)


class Projection(Protocol[S]):
    """What a projection supplies; everything but ``write`` and ``reset`` is pure."""

    name: str
    topics: tuple[TopicSpec, ...]

    def key(self, event: Envelope) -> str | None:
        """The aggregate the event folds into, or None to ignore it."""

    def evolve(self, state: S | None, event: Envelope) -> S:
        """The new state; ``state`` is None for a key seen for the first time."""

    def dump(self, state: S) -> dict[str, Any]:
        """Plain JSON data of a state (no floats), stored between polls."""

    def load(self, data: dict[str, Any]) -> S:
        """The inverse of ``dump``."""

    async def write(self, ctx: ProjectionContext, changes: list[Change[S]]) -> None:
        """Derive rows from the changed states (and emit events through ``ctx``)."""

    async def reset(self, conn: asyncpg.Connection) -> None:
        """Drop the derived rows (the runner drops states, stream positions and offsets)."""


@dataclass
class ProjectionContext:
    """The poll's open transaction, and a way to emit events caused by a folded event."""

    conn: asyncpg.Connection
    producer: str
    _contexts: dict[Any, HandlerContext] = field(default_factory=dict)

    async def emit(self, cause: Envelope, stream_id: str, payload: Any, **kwargs: Any) -> Envelope:
        """Like ``HandlerContext.emit`` with ``cause`` as the handled event (deterministic ids)."""
        ctx = self._contexts.get(cause.event_id)
        if ctx is None:
            ctx = self._contexts[cause.event_id] = HandlerContext(conn=self.conn, event=cause, producer=self.producer)
        return await ctx.emit(stream_id, payload, **kwargs)


async def _load_states(conn: asyncpg.Connection, projection: str, keys: list[str]) -> dict[str, Any]:
    rows = await conn.fetch(
        "SELECT key, state FROM projection_states WHERE projection = $1 AND key = ANY($2::text[])", projection, keys
    )
    return {r["key"]: json.loads(r["state"]) for r in rows}


async def _save_states(conn: asyncpg.Connection, projection: str, states: Mapping[str, dict[str, Any]]) -> None:
    await conn.execute(
        """INSERT INTO projection_states (projection, key, state)
           SELECT $1, k, s::jsonb FROM unnest($2::text[], $3::text[]) AS t(k, s)
           ON CONFLICT (projection, key) DO UPDATE SET state = EXCLUDED.state""",
        projection,
        list(states),
        [canonical_json(s).decode() for s in states.values()],
    )


async def _stream_positions(conn: asyncpg.Connection, projection: str, streams: list[str]) -> dict[str, int]:
    rows = await conn.fetch(
        "SELECT stream_id, last_seq FROM projection_streams WHERE projection = $1 AND stream_id = ANY($2::text[])",
        projection,
        streams,
    )
    return {r["stream_id"]: r["last_seq"] for r in rows}


async def _save_stream_positions(conn: asyncpg.Connection, projection: str, positions: Mapping[str, int]) -> None:
    await conn.execute(
        """INSERT INTO projection_streams (projection, stream_id, last_seq)
           SELECT $1, s, q FROM unnest($2::text[], $3::bigint[]) AS t(s, q)
           ON CONFLICT (projection, stream_id) DO UPDATE SET last_seq = EXCLUDED.last_seq""",
        projection,
        list(positions),
        list(positions.values()),
    )


async def fold(
    conn: asyncpg.Connection,
    projection: Projection[Any],
    events: list[Envelope],
    *,
    producer: str,
) -> int:
    """Fold ``events`` (log order per stream) into the projection inside ``conn``'s transaction.

    Returns how many were folded; exact redeliveries are skipped.
    """
    streams = list(dict.fromkeys(e.stream_id for e in events))
    positions = await _stream_positions(conn, projection.name, streams)
    moved: dict[str, int] = {}
    keyed: dict[str, list[Envelope]] = {}
    for event in events:
        last = moved.get(event.stream_id, positions.get(event.stream_id, 0))
        if event.stream_seq <= last:
            continue  # an exact redelivery (or an older copy): already folded
        moved[event.stream_id] = event.stream_seq
        key = projection.key(event)
        if key is not None:
            keyed.setdefault(key, []).append(event)
    if moved:
        await _save_stream_positions(conn, projection.name, moved)
    if not keyed:
        return 0
    stored = await _load_states(conn, projection.name, list(keyed))
    changes: list[Change[Any]] = []
    for key, folded in keyed.items():
        before = projection.load(stored[key]) if key in stored else None
        state = before
        for event in folded:
            state = projection.evolve(state, event)
        changes.append(Change(key=key, before=before, after=state, events=folded))
    await _save_states(conn, projection.name, {c.key: projection.dump(c.after) for c in changes})
    await projection.write(ProjectionContext(conn=conn, producer=producer), changes)
    return sum(len(c.events) for c in changes)


async def load_state(conn: asyncpg.Connection, projection: Projection[S], key: str) -> S | None:
    """The folded state of one key, for read APIs."""
    found = await _load_states(conn, projection.name, [key])
    return projection.load(found[key]) if key in found else None


class ProjectionRunner:
    def __init__(
        self,
        projection: Projection[Any],
        pool: asyncpg.Pool,
        bootstrap: str,
        dead_letters: DeadLetterPublisher,
        *,
        producer: str | None = None,
        max_records: int = 500,
        max_bytes: int = 4 * 1024 * 1024,
        verifier: EventVerifier | None = None,
        credentials: KafkaCredentials | None = None,
    ) -> None:
        self.projection = projection
        self._verifier = verifier if verifier is not None else event_keys.verifier()
        # The projection's own topic specs say what each topic carries (they may be renamed copies).
        self._routes = {spec.name: frozenset(spec.event_types) for spec in projection.topics}
        self._credentials = credentials
        self.name = projection.name
        self._pool = pool
        self._bootstrap = bootstrap
        self._dead_letters = dead_letters
        self._producer = producer or projection.name
        self._max_records = max_records
        self._max_bytes = max_bytes
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task[None] | None = None
        self.folded = 0

    async def start(self) -> None:
        consumer = kafka_consumer(
            bootstrap=self._bootstrap,
            credentials=self._credentials,
            enable_auto_commit=False,
            group_id=None,
            client_id=f"projection-{self.name}",
            isolation_level="read_committed",
            max_partition_fetch_bytes=self._max_bytes,
            fetch_max_bytes=self._max_bytes,
        )
        await consumer.start()
        # Partition counts come from the catalog (ensure_topics checks the broker agrees), so
        # every partition is read, including ones that have seen no message yet.
        partitions = [TopicPartition(spec.name, p) for spec in self.projection.topics for p in range(spec.partitions)]
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
        """Drop the projection's rows, states, stream positions and offsets; the next start
        replays from offset 0. Call while the runner is stopped."""
        async with self._pool.acquire() as conn, conn.transaction():
            await self.projection.reset(conn)
            await conn.execute("DELETE FROM projection_states WHERE projection = $1", self.name)
            await conn.execute("DELETE FROM projection_streams WHERE projection = $1", self.name)
            await checkpoints.reset(conn, self.name)

    async def lag(self) -> int:
        """Messages on the topics not yet folded in (0 when caught up)."""
        assert self._consumer is not None
        ends = await self._consumer.end_offsets(list(self._consumer.assignment()))
        async with self._pool.acquire() as conn:
            done = await checkpoints.load(conn, self.name)
        return sum(max(0, end - done.get((tp.topic, tp.partition), 0)) for tp, end in ends.items())

    async def _run(self) -> None:
        """Read, decode and verify the next poll while the previous one's transaction runs.

        Postgres works on its own core meanwhile, so its round trips cost the fold no wall time
        while there is decoding and signature checking to do. Polls still commit one at a time,
        in order: a poll is folded only after the previous one committed.
        """
        assert self._consumer is not None
        folding: asyncio.Task[None] | None = None
        backoff = 0.2
        try:
            while True:
                batches = await self._consumer.getmany(timeout_ms=500, max_records=self._max_records)
                if not batches:
                    continue
                try:
                    with collections_deferred():  # a poll's events live until folded (docs/messaging.md)
                        events = await self._verified(batches)
                    backoff = 0.2
                except Exception as exc:
                    # Dead letters could not be sent: read the poll again after a pause.
                    self._retry_later(exc, "reading")
                    for tp, records in batches.items():
                        self._consumer.seek(tp, records[0].offset)
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 10.0)
                    continue
                if folding is not None:
                    await folding
                folding = asyncio.create_task(self._commit(batches, events), name=f"projection-{self.name}-fold")
        finally:
            if folding is not None:
                folding.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await folding

    def _retry_later(self, exc: Exception, doing: str) -> None:
        level = logging.WARNING if is_infrastructure_error(exc) else logging.ERROR
        log.log(level, "projection %s failed %s a poll (%s: %s); retrying", self.name, doing, type(exc).__name__, exc)

    async def _verified(self, batches: dict[TopicPartition, list[Any]]) -> list[Envelope]:
        """The poll's events that decode and verify, in log order; the others are dead-lettered."""
        events: list[Envelope] = []
        for records in batches.values():
            for n, record in enumerate(records, 1):
                if n % _YIELD_EVERY == 0:
                    # Let the previous poll's transaction send its next statement.
                    await asyncio.sleep(0)
                try:
                    event = decode(record.value)
                except EventError as exc:
                    await self._dead_letters.send(record, kind="undecodable", reason=f"{type(exc).__name__}: {exc}")
                    continue
                try:
                    self._verifier.check(event, record.value, topic=record.topic, routes=self._routes)
                except EventRefused as exc:
                    await self._dead_letters.send(record, kind=exc.kind, reason=str(exc))
                    continue
                events.append(event)
        return events

    async def _commit(self, batches: dict[TopicPartition, list[Any]], events: list[Envelope]) -> None:
        """Fold a verified poll and save its offsets in one transaction, retrying until it commits.

        Nothing of a failed attempt was committed, and the records of the poll cannot change on
        the log, so trying the same events again is reading them again (a projection that skips
        a poll is a wrong projection).
        """
        backoff = 0.2
        while True:
            try:
                with collections_deferred():
                    await self._fold_and_save(batches, events)
                return
            except Exception as exc:
                self._retry_later(exc, "on")
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)

    async def _fold_and_save(self, batches: dict[TopicPartition, list[Any]], events: list[Envelope]) -> None:
        async with self._pool.acquire() as conn, conn.transaction():
            # Every instance of a service runs its projections over all partitions; one poll at
            # a time folds, and the next reads the stream positions the previous one committed,
            # so two instances fold each event once.
            await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", f"projection/{self.name}")
            self.folded += await fold(conn, self.projection, events, producer=self._producer)
            for tp, records in batches.items():
                await checkpoints.save(conn, self.name, tp.topic, tp.partition, records[-1].offset + 1)

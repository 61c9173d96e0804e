"""A reusable load harness: events in at a fixed rate (or as fast as possible), an answer out,
throughput and latency reported as ratios to the raw Kafka baseline.

In: a registry-like producing service of its own (a PostgreSQL schema with the messaging
tables, ``outbox.append_many`` in one transaction per tick, an ``OutboxRelay``), so events
enter exactly the way the registry's do: outbox commit -> relay -> topic. Each injected event
gets a fresh correlation id; the time of its outbox commit is the start of its latency.

Out: whatever says "this correlation is done": a ``KafkaWatcher`` that reads the answer
topics and completes a correlation when an event of the awaited type carrying it arrives
(``ctx.emit`` carries the correlation id forward, so TaskCompleted -> VerdictIssued keep it,
and so does a per-task EscrowSettled; an aggregate batch's EscrowSettled carries its
transaction's correlation id and names its tasks in ``task_ids``, which bench/e2e_loop.py
matches instead), or any in-process callback calling ``Recorder.done``.

Two runs: ``burst`` (all events as fast as the injector commits them: throughput) and
``open_loop`` (a fixed rate, whatever the system under test does: latency without hidden
queueing). ``ratios`` divides by .local/bench/kafka_baseline.json (bench/kafka_baseline.py,
run first in the same ``make bench``).

Usage, e.g. TaskCompleted -> VerdictIssued (bench/e2e_loop.py is the whole loop)::

    async with Injector.open("bench_e2e") as injector, KafkaWatcher.open((VERDICTS,), "VerdictIssued") as out:
        make = task_completed_factory(acceptances)      # (n) -> (stream_id, TaskCompleted)
        burst = await run_burst(injector, out.recorder, make, count=2000)
        latency = await run_open_loop(injector, out.recorder, make, rate=burst.events_per_s / 2)
        print(ratios(burst, latency, load_baseline()))
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg
import kafka_baseline
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from pactline_events import (
    Envelope,
    EventPayload,
    PendingEvent,
    TaskCompleted,
    TopicSpec,
    decode,
    new_event_id,
    utc_now,
)
from pactline_events.errors import EventError
from pactline_messaging import OutboxRelay, endpoints, idempotent_producer, kafka_consumer, open_pool, outbox

RESULTS = Path(__file__).resolve().parents[1] / ".local" / "bench"
TICK_S = 0.01
"""Open loop: one injecting transaction per tick with the events due (latency counts from commit)."""
EventFactory = Callable[[int], tuple[str, EventPayload]]
"""(n) -> (stream_id, payload) of the n-th injected event."""


def load_baseline() -> dict[str, Any]:
    path = RESULTS / "kafka_baseline.json"
    if not path.exists():
        raise SystemExit("run bench/kafka_baseline.py first (make bench does)")
    return json.loads(path.read_text())


def percentiles_ms(latencies_ns: list[int]) -> dict[str, float]:
    ordered = sorted(latencies_ns)
    if not ordered:
        return {"p50": float("nan"), "p99": float("nan")}
    return {
        q: round(ordered[min(len(ordered) - 1, int(f * len(ordered)))] / 1e6, 2)
        for q, f in (("p50", 0.50), ("p99", 0.99))
    }


class Recorder:
    """When each correlation went in (outbox commit) and came out (answer seen)."""

    def __init__(self) -> None:
        self.started: dict[UUID, int] = {}
        self.finished: dict[UUID, int] = {}
        self._awaited: set[UUID] = set()
        self._all_done = asyncio.Event()

    def begin(self, correlation: UUID, at_ns: int) -> None:
        self.started[correlation] = at_ns

    def done(self, correlation: UUID, at_ns: int | None = None) -> None:
        """Mark ``correlation`` answered (the first answer counts; redeliveries are ignored)."""
        if correlation not in self.finished:
            self.finished[correlation] = at_ns if at_ns is not None else time.time_ns()
            self._awaited.discard(correlation)
            if not self._awaited:
                self._all_done.set()

    def latencies_ns(self, correlations: list[UUID]) -> list[int]:
        # An answer may be seen before the injector's commit timestamp is taken (same loop).
        return [max(0, self.finished[c] - self.started[c]) for c in correlations]

    async def wait_all(self, correlations: list[UUID], timeout_s: float) -> None:
        self._awaited = {c for c in correlations if c not in self.finished}
        if not self._awaited:
            return
        self._all_done.clear()
        try:
            await asyncio.wait_for(self._all_done.wait(), timeout_s)
        except TimeoutError:
            raise TimeoutError(
                f"{len(self._awaited)} of {len(correlations)} correlations not answered in {timeout_s}s"
            ) from None


@dataclass
class Injector:
    """A registry-like producer: its own schema, outbox and relay."""

    pool: asyncpg.Pool
    relay: OutboxRelay
    producer: AIOKafkaProducer
    schema: str
    producer_name: str = "pact-registry"  # the TaskCompleted events it injects are the registry's
    topic: str | None = None
    """Send to this topic instead of the catalog's (a bench topic outside the product's)."""

    @classmethod
    @contextlib.asynccontextmanager
    async def open(
        cls, schema_prefix: str = "bench", *, topic: str | None = None, pool_size: int = 8
    ) -> AsyncIterator[Injector]:
        schema = f"{schema_prefix}_{uuid.uuid4().hex[:8]}"
        pool = await open_pool(endpoints.database_url(), schema, max_size=pool_size)
        if topic is not None:
            # Rows go to the bench topic as they are inserted: no extra statement per transaction.
            if not re.fullmatch(r"[A-Za-z0-9._-]+", topic):
                raise ValueError(f"not a Kafka topic name: {topic!r}")
            await pool.execute(
                f"""CREATE FUNCTION bench_topic() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN NEW.topic := '{topic}'; RETURN NEW; END $$;
                    CREATE TRIGGER bench_topic BEFORE INSERT ON outbox FOR EACH ROW EXECUTE FUNCTION bench_topic();"""
            )
        # The relay has connections of its own, so a flood of injections never makes it queue.
        relay_pool = await open_pool(endpoints.database_url(), schema, max_size=3)
        producer = idempotent_producer(endpoints.kafka_bootstrap(), f"{schema_prefix}-injector")
        await producer.start()
        relay = OutboxRelay(relay_pool, producer)
        await relay.start()
        try:
            yield cls(pool, relay, producer, schema, topic=topic)
        finally:
            await relay.stop()
            await producer.stop()
            await relay_pool.close()
            await pool.execute(f"DROP SCHEMA {schema} CASCADE")
            await pool.close()

    async def inject(self, events: list[tuple[str, EventPayload]], recorder: Recorder) -> list[UUID]:
        """Append ``events`` in one transaction; each gets a new correlation id, started at commit."""
        pendings = [
            PendingEvent(
                event_id=new_event_id(),
                occurred_at=utc_now(),
                stream_id=stream_id,
                correlation_id=uuid.uuid4(),
                payload=payload,
            )
            for stream_id, payload in events
        ]
        async with self.pool.acquire() as conn, conn.transaction():
            await outbox.append_many(conn, pendings, producer=self.producer_name)
        committed = time.time_ns()
        for pending in pendings:
            recorder.begin(pending.correlation_id, committed)
        return [p.correlation_id for p in pendings]


async def relay_latency_ms(injector: Injector, since: Any) -> dict[str, float]:
    """Outbox row written -> broker acknowledged and row stamped, for the rows since ``since``
    (the database's clock on both ends): how much of the latency is the relay's."""
    rows = await injector.pool.fetch(
        "SELECT (extract(epoch FROM published_at - created_at) * 1e9)::bigint AS ns FROM outbox "
        "WHERE created_at >= $1 AND published_at IS NOT NULL",
        since,
    )
    return percentiles_ms([r["ns"] for r in rows])


@dataclass
class RunResult:
    mode: str
    events: int
    seconds: float
    events_per_s: float
    latency_ms: dict[str, float]
    rate_per_s: float | None = None
    injection_lag_ms: float = 0.0
    """How far the injector fell behind its schedule at worst (open loop)."""
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "events": self.events,
            "seconds": round(self.seconds, 2),
            "events_per_s": round(self.events_per_s, 1),
            "latency_ms": self.latency_ms,
        }
        if self.rate_per_s is not None:
            out["rate_per_s"] = round(self.rate_per_s, 1)
            out["injection_lag_ms"] = round(self.injection_lag_ms, 1)
        return {**out, **self.extra}


async def run_burst(
    injector: Injector, recorder: Recorder, make: EventFactory, *, count: int, per_txn: int = 50, writers: int = 4,
    timeout_s: float = 300,
) -> RunResult:
    """``count`` events as fast as ``writers`` concurrent transactions of ``per_txn`` commit them."""
    next_n = 0
    correlations: list[UUID] = []

    async def writer() -> None:
        nonlocal next_n
        while next_n < count:
            first, next_n = next_n, min(count, next_n + per_txn)
            correlations.extend(await injector.inject([make(n) for n in range(first, next_n)], recorder))

    async def relayed() -> None:
        # The relay's progress is only visible in the database: poll it.
        while await injector.pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL"):  # noqa: ASYNC110
            await asyncio.sleep(0.05)

    since = await injector.pool.fetchval("SELECT now()")
    started = time.time_ns()
    await asyncio.gather(*(writer() for _ in range(writers)))
    injected = time.time_ns()
    await relayed()
    published = time.time_ns()
    await recorder.wait_all(correlations, timeout_s)
    seconds = (max(recorder.finished[c] for c in correlations) - started) / 1e9
    return RunResult(
        mode="burst",
        events=count,
        seconds=seconds,
        events_per_s=count / seconds,
        latency_ms=percentiles_ms(recorder.latencies_ns(correlations)),
        # Where a burst spends its time: all committed to the outbox, all on the topic, all applied.
        extra={
            "stages_s": {
                "outbox_committed": round((injected - started) / 1e9, 2),
                "relayed": round((published - started) / 1e9, 2),
                "applied": round(seconds, 2),
            },
            "relay_latency_ms": await relay_latency_ms(injector, since),
        },
    )


async def run_open_loop(
    injector: Injector, recorder: Recorder, make: EventFactory, *, rate: float, seconds: float = 5.0,
    first_n: int = 10**9, timeout_s: float = 300,
) -> RunResult:
    """Events at ``rate``/s for ``seconds``, one transaction per tick with the events due, each
    tick's transaction started on schedule whether or not earlier ones are done."""
    count = max(100, int(rate * seconds))
    correlations: list[UUID] = []
    pending: set[asyncio.Task[None]] = set()
    worst_lag = 0.0

    async def send(ns: range) -> None:
        correlations.extend(await injector.inject([make(first_n + n) for n in ns], recorder))

    since = await injector.pool.fetchval("SELECT now()")
    started = time.perf_counter()
    sent = 0
    while sent < count:
        elapsed = time.perf_counter() - started
        due = min(count, int(elapsed * rate) + 1)
        if due > sent:
            worst_lag = max(worst_lag, elapsed - sent / rate)
            task = asyncio.create_task(send(range(sent, due)))
            pending.add(task)
            task.add_done_callback(pending.discard)
            sent = due
        await asyncio.sleep(TICK_S)
    await asyncio.gather(*pending)
    await recorder.wait_all(correlations, timeout_s)
    total = time.perf_counter() - started
    return RunResult(
        mode="open_loop",
        events=count,
        seconds=total,
        events_per_s=count / total,
        latency_ms=percentiles_ms(recorder.latencies_ns(correlations)),
        rate_per_s=rate,
        injection_lag_ms=worst_lag * 1000,
        extra={"relay_latency_ms": await relay_latency_ms(injector, since)},
    )


class KafkaWatcher:
    """Completes a correlation when an event of ``event_type`` carrying it appears on ``topics``."""

    def __init__(self, topics: tuple[TopicSpec, ...], event_type: str) -> None:
        self.topics = topics
        self.event_type = event_type
        self.recorder = Recorder()
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task[None] | None = None

    @classmethod
    @contextlib.asynccontextmanager
    async def open(cls, topics: tuple[TopicSpec, ...], event_type: str) -> AsyncIterator[KafkaWatcher]:
        watcher = cls(topics, event_type)
        await watcher.start()
        try:
            yield watcher
        finally:
            await watcher.stop()

    async def start(self) -> None:
        consumer = kafka_consumer(
            *(t.name for t in self.topics),
            bootstrap=endpoints.kafka_bootstrap(),
            group_id=f"bench-watch-{uuid.uuid4().hex[:8]}",
            auto_offset_reset="latest",
            enable_auto_commit=False,
        )
        await consumer.start()
        while not consumer.assignment():  # joined: nothing answered from now on is missed
            await consumer.getmany(timeout_ms=100)
        for tp in consumer.assignment():
            await consumer.seek_to_end(tp)
            await consumer.position(tp)
        self._consumer = consumer
        self._task = asyncio.create_task(self._watch())

    async def _watch(self) -> None:
        assert self._consumer is not None
        while True:
            for records in (await self._consumer.getmany(timeout_ms=200, max_records=2000)).values():
                now = time.time_ns()
                for record in records:
                    try:
                        event = decode(record.value)
                    except EventError:
                        continue
                    self.seen(event, now)

    def seen(self, event: Envelope, now_ns: int) -> None:
        """One event off the watched topics: completes its correlation when it is of the awaited
        type (a subclass may complete others, e.g. every task a batch names)."""
        if event.event_type == self.event_type:
            self.recorder.done(event.correlation_id, now_ns)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._consumer is not None:
            await self._consumer.stop()


def task_completed_factory(acceptances: list[tuple[str, str, str]], *, text_bytes: int = 300) -> EventFactory:
    """TaskCompleted events spread over ``acceptances`` ((acceptance_id, pact_id, agent_id)),
    on each acceptance's stream as the registry writes them."""
    filler = "x" * text_bytes

    def make(n: int) -> tuple[str, EventPayload]:
        acceptance_id, pact_id, agent_id = acceptances[n % len(acceptances)]
        return (
            f"acceptance-{acceptance_id}",
            TaskCompleted(
                task_id=f"task-{n}",
                acceptance_id=acceptance_id,
                pact_id=pact_id,
                agent_id=agent_id,
                input=filler,
                output=filler,
                latency_ms=120,
                cost=1_500,
                tokens=300,
                idempotency_key=f"bench-{n}",
                output_digest="0" * 64,
            ),
        )

    return make


def ratios(burst: RunResult, open_loop: RunResult, baseline: dict[str, Any], raw_at_rate: dict | None = None) -> dict:
    """Throughput as a fraction of raw; open-loop latency as a multiple of the raw round trip
    (at the same rate when ``raw_at_rate`` is given, else the baseline's own open loop)."""
    raw_loop = raw_at_rate or baseline["open_loop"]
    return {
        "throughput": round(burst.events_per_s / baseline["events_per_s"], 3),
        "open_loop_p50": round(open_loop.latency_ms["p50"] / raw_loop["latency_ms"]["p50"], 2),
        "open_loop_p99": round(open_loop.latency_ms["p99"] / raw_loop["latency_ms"]["p99"], 2),
    }


async def _self_check() -> dict[str, Any]:
    """The harness on its own path: outbox -> relay -> topic, answered by the injected event
    itself as a KafkaWatcher sees it. No consumer, so this is the writing half of the pipeline."""
    topic = TopicSpec("bench.harness", ("TaskCompleted",), "stream_id", 6)
    await kafka_baseline.ensure_topic(topic.name, topic.partitions)
    make = task_completed_factory([(f"acc-{n}", "pact-1", "agent-1") for n in range(64)])
    async with Injector.open("bench_harness", topic=topic.name) as injector, KafkaWatcher.open(
        (topic,), "TaskCompleted"
    ) as watcher:
        burst = await run_burst(injector, watcher.recorder, make, count=2000)
        rate = burst.events_per_s / 2
        open_loop = await run_open_loop(injector, watcher.recorder, make, rate=rate, seconds=3, first_n=2000)
    raw_at_rate = await kafka_baseline.round_trip(rate, 3)
    return {
        "benchmark": "outbox_to_topic",
        "throughput": burst.as_dict(),
        "open_loop": open_loop.as_dict(),
        "raw_open_loop_at_same_rate": raw_at_rate,
        "ratio_to_baseline": ratios(burst, open_loop, load_baseline(), raw_at_rate),
    }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(_self_check())))

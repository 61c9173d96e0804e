"""Pactline's exactly-once path, reported as ratios to the raw Kafka baseline.

outbox append (in a Postgres transaction) -> relay (idempotent producer) -> EventConsumer
(FastStream, manual acks, inbox claim + effect in one transaction). Run after
bench/kafka_baseline.py in the same `make bench`, which it reads from .local/bench/.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

from faststream.kafka import KafkaBroker

from pactline_events import AgentRegistered, Envelope, PendingEvent, new_event_id, utc_now
from pactline_messaging import (
    DeadLetterPublisher,
    EventConsumer,
    EventHandlers,
    HandlerContext,
    OutboxRelay,
    endpoints,
    idempotent_producer,
    open_pool,
    outbox,
)

BOOTSTRAP = endpoints.kafka_bootstrap()
DATABASE_URL = endpoints.database_url()
EVENTS = int(os.environ.get("PACTLINE_BENCH_PIPELINE_EVENTS", "3000"))
BATCH = 50  # events per producing transaction
RESULTS = Path(__file__).resolve().parents[1] / ".local" / "bench"


def pending(run: str, n: int) -> PendingEvent:
    return PendingEvent(
        event_id=new_event_id(),
        occurred_at=utc_now(),
        stream_id=f"bench-{run}-{n % 64}",
        correlation_id=uuid.uuid4(),
        payload=AgentRegistered(
            agent_id=f"a{n}",
            name="x" * 190,
            operator_id="bench",
            operator_address="0x" + "3" * 40,
            model_family="other",
        ),
    )


async def run() -> dict:
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    pool = await open_pool(DATABASE_URL, schema, max_size=8)
    await pool.execute("CREATE TABLE applied (event_id uuid PRIMARY KEY, latency_us bigint NOT NULL)")
    producer = idempotent_producer(BOOTSTRAP, "bench-pipeline")
    await producer.start()
    relay = OutboxRelay(pool, producer)
    run_id = uuid.uuid4().hex[:8]
    group = f"bench-pipeline-{run_id}"
    handlers = EventHandlers()
    warm = asyncio.Event()

    @handlers.on(AgentRegistered)
    async def apply(ctx: HandlerContext, event: Envelope) -> None:
        if event.stream_id == f"warmup-{run_id}":
            warm.set()
        elif event.stream_id.startswith(f"bench-{run_id}-"):
            latency = (utc_now() - event.occurred_at).total_seconds()
            await ctx.conn.execute("INSERT INTO applied VALUES ($1, $2)", event.event_id, int(latency * 1e6))

    broker = KafkaBroker(BOOTSTRAP, logger=None)
    consumer = EventConsumer(group, pool, DeadLetterPublisher(producer, group), handlers)
    consumer.subscribe(broker, group_id=group, start_at="latest")
    await broker.start()
    await relay.start()
    try:
        # Start from the topic's end (older events are not this run's), and only time the run
        # once the consumer provably sees new events.
        while not warm.is_set():
            async with pool.acquire() as conn, conn.transaction():
                warmup = pending(run_id, 0).model_copy(update={"stream_id": f"warmup-{run_id}"})
                await outbox.append(conn, warmup, producer="bench")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(warm.wait(), 1.0)
        started = time.perf_counter()
        for first in range(0, EVENTS, BATCH):
            async with pool.acquire() as conn, conn.transaction():
                for n in range(first, min(first + BATCH, EVENTS)):
                    await outbox.append(conn, pending(run_id, n), producer="bench")
        reported = 0
        while (done := await pool.fetchval("SELECT count(*) FROM applied")) < EVENTS:
            if done >= reported + EVENTS // 10:
                print(f"applied {done}/{EVENTS}", file=sys.stderr)
                reported = done
            await asyncio.sleep(0.2)
        elapsed = time.perf_counter() - started
        latencies = sorted(r["latency_us"] for r in await pool.fetch("SELECT latency_us FROM applied"))
    finally:
        await relay.stop()
        await broker.stop()
        await producer.stop()
        await pool.execute(f"DROP SCHEMA {schema} CASCADE")
        await pool.close()
    p50 = statistics.median(latencies) / 1000
    p99 = latencies[int(len(latencies) * 0.99) - 1] / 1000
    return {
        "events": EVENTS,
        "events_per_s": round(EVENTS / elapsed, 1),
        "latency_ms": {"p50": round(p50, 2), "p99": round(p99, 2)},
    }


def main() -> None:
    baseline_file = RESULTS / "kafka_baseline.json"
    if not baseline_file.exists():
        sys.exit("run bench/kafka_baseline.py first (make bench does)")
    baseline = json.loads(baseline_file.read_text())
    result = asyncio.run(run())
    report = {
        "benchmark": "messaging_pipeline",
        **result,
        "ratio_to_baseline": {
            "throughput": round(result["events_per_s"] / baseline["events_per_s"], 3),
            "latency_p50": round(result["latency_ms"]["p50"] / baseline["latency_ms"]["p50"], 2),
            "latency_p99": round(result["latency_ms"]["p99"] / baseline["latency_ms"]["p99"], 2),
        },
    }
    (RESULTS / "messaging_pipeline.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report))


if __name__ == "__main__":
    main()

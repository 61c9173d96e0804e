"""Pactline's exactly-once path, reported as ratios to the raw Kafka baseline.

outbox (``append_many``, 50 events per transaction, four writers) -> ``OutboxRelay``
(idempotent producer, lanes) -> ``EventConsumer`` (FastStream batch subscriber, manual acks,
inbox claim of the poll + one small INSERT per event + commit, then the offset commit) ->
done. Events are ~1 KB TaskCompleted events over 64 streams, on the topic ``bench.pipeline``
(outside the product's topics). The producing side (writers and relay, as in the registry)
and the consuming side (a service's consumer) are two processes with schemas of their own,
as two services are; the consumer reports each commit on its stdout.

Two figures, through bench/harness.py:
- throughput: PACTLINE_BENCH_PIPELINE_EVENTS events (default 5000) in a burst, from the
  first outbox commit to the last consumer commit;
- open-loop latency: events at half that throughput for PACTLINE_BENCH_OPEN_LOOP_S seconds,
  from each event's outbox commit to the consumer's commit of its effect; compared with the
  raw aiokafka round trip measured right after at the same rate.

PACTLINE_BENCH_PROFILE=<dir> also writes pyinstrument profiles of both runs there.
Run after bench/kafka_baseline.py in the same `make bench`, which it reads from .local/bench/.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from uuid import UUID

import harness
import kafka_baseline

from pactline_events import Envelope, TaskCompleted
from pactline_messaging import (
    DeadLetterPublisher,
    EventConsumer,
    EventHandlers,
    HandlerContext,
    endpoints,
    idempotent_producer,
    kafka_broker,
    open_pool,
)

EVENTS = int(os.environ.get("PACTLINE_BENCH_PIPELINE_EVENTS", "5000"))
OPEN_LOOP_S = float(os.environ.get("PACTLINE_BENCH_OPEN_LOOP_S", "5"))
PROFILE_DIR = os.environ.get("PACTLINE_BENCH_PROFILE")
TOPIC = "bench.pipeline"
PARTITIONS = 6
STREAMS = 64


@contextlib.contextmanager
def profiled(name: str) -> Iterator[None]:
    if not PROFILE_DIR:
        yield
        return
    from pyinstrument import Profiler

    profiler = Profiler(async_mode="disabled", interval=0.0005)
    profiler.start()
    try:
        yield
    finally:
        profiler.stop()
        out = Path(PROFILE_DIR)
        out.mkdir(parents=True, exist_ok=True)
        (out / f"{name}.txt").write_text(profiler.output_text(unicode=False, show_all=False))
        (out / f"{name}.html").write_text(profiler.output_html())


async def consume(group: str) -> None:
    """The consuming service, in a process of its own: prints "done <correlation> <ns>" per commit."""
    consumer_schema = f"bench_consumer_{os.getpid()}"
    pool = await open_pool(endpoints.database_url(), consumer_schema, max_size=6)
    await pool.execute("CREATE TABLE applied (event_id uuid PRIMARY KEY, task_id text NOT NULL)")
    producer = idempotent_producer(endpoints.kafka_bootstrap(), "bench-consumer-dlq")
    await producer.start()
    handlers = EventHandlers()

    @handlers.on(TaskCompleted)
    async def apply(ctx: HandlerContext, event: Envelope) -> None:
        await ctx.conn.execute("INSERT INTO applied VALUES ($1, $2)", event.event_id, event.payload.task_id)

    out = sys.stdout
    sent_ms: dict[str, int] = {}  # event id -> the record's timestamp: when the relay sent it

    class TimedConsumer(EventConsumer):
        async def apply(self, records):  # type: ignore[no-untyped-def]
            for record in records:
                event_id = dict(record.headers or ()).get("event_id")
                if event_id is not None:
                    sent_ms[event_id.decode()] = record.timestamp
            await super().apply(records)

    def committed(envelope: Envelope, applied: bool) -> None:
        sent = sent_ms.pop(str(envelope.event_id), 0)
        out.write(f"done {envelope.correlation_id.hex} {time.time_ns()} {sent}\n")
        out.flush()

    broker = kafka_broker(endpoints.kafka_bootstrap(), logger=None)
    consumer = TimedConsumer(group, pool, DeadLetterPublisher(producer, group), handlers, on_committed=committed)
    consumer.subscribe(broker, group_id=group, start_at="latest", topics=(TOPIC,))
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    try:
        with profiled("pipeline_consumer"):
            await broker.start()
            out.write("ready\n")
            out.flush()
            await stop.wait()
            await broker.stop()
    finally:
        await producer.stop()
        await pool.execute(f"DROP SCHEMA {consumer_schema} CASCADE")
        await pool.close()


async def read_done(
    proc: asyncio.subprocess.Process, recorder: harness.Recorder, ready: asyncio.Event, sent_ns: dict[UUID, int]
) -> None:
    assert proc.stdout is not None
    while line := await proc.stdout.readline():
        parts = line.split()
        if parts[:1] == [b"done"]:
            correlation = UUID(parts[1].decode())
            recorder.done(correlation, int(parts[2]))
            sent_ns.setdefault(correlation, int(parts[3]) * 1_000_000)
        elif parts[:1] == [b"ready"]:
            ready.set()


async def run() -> dict:
    await kafka_baseline.ensure_topic(TOPIC, PARTITIONS)
    make = harness.task_completed_factory(
        [(f"acc-{n}", f"pact-{n % 4}", f"agent-{n % 8}") for n in range(STREAMS)], text_bytes=300
    )
    recorder = harness.Recorder()
    group = f"bench-pipeline-{os.getpid()}-{time.time_ns()}"
    child = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "consume", group, stdout=asyncio.subprocess.PIPE, env={**os.environ}
    )
    ready = asyncio.Event()
    sent_ns: dict[UUID, int] = {}
    reader = asyncio.create_task(read_done(child, recorder, ready, sent_ns))
    try:
        await asyncio.wait_for(ready.wait(), 60)
        async with harness.Injector.open("bench_producer", topic=TOPIC) as injector:
            # Only time the run once the consumer provably sees new events.
            while True:
                warm = await injector.inject([make(10**8)], recorder)
                with contextlib.suppress(TimeoutError):
                    await recorder.wait_all(warm, 2.0)
                    break
            print(f"burst of {EVENTS} events", file=sys.stderr)
            with profiled("pipeline_burst_injector"):
                burst = await harness.run_burst(injector, recorder, make, count=EVENTS)
            rate = burst.events_per_s / 2
            print(f"{burst.events_per_s:.0f}/s; open loop at {rate:.0f}/s", file=sys.stderr)
            open_loop = await harness.run_open_loop(
                injector, recorder, make, rate=rate, seconds=OPEN_LOOP_S, first_n=EVENTS
            )
            # The consumer's share: the relay's send (the record's timestamp) -> its commit.
            loop_correlations = [c for c in recorder.finished if c in sent_ns][-open_loop.events :]
            open_loop.extra["send_to_consumer_commit_ms"] = harness.percentiles_ms(
                [recorder.finished[c] - sent_ns[c] for c in loop_correlations if sent_ns[c]]
            )
    finally:
        child.send_signal(signal.SIGTERM)
        await child.wait()
        reader.cancel()
    print("raw round trip at the same rate", file=sys.stderr)
    raw_at_rate = await kafka_baseline.round_trip(rate, OPEN_LOOP_S)
    return {"burst": burst, "open_loop": open_loop, "raw_at_rate": raw_at_rate}


def main() -> None:
    if sys.argv[1:2] == ["consume"]:
        asyncio.run(consume(sys.argv[2]))
        return
    baseline = harness.load_baseline()
    result = asyncio.run(run())
    burst, open_loop, raw_at_rate = result["burst"], result["open_loop"], result["raw_at_rate"]
    report = {
        "benchmark": "messaging_pipeline",
        "throughput": burst.as_dict(),
        "open_loop": open_loop.as_dict(),
        "raw_open_loop_at_same_rate": raw_at_rate,
        "ratio_to_baseline": harness.ratios(burst, open_loop, baseline, raw_at_rate),
        "targets": {"throughput": ">= 0.5", "open_loop_p99": "<= 3"},
        "machine": {"cpus": os.cpu_count(), "load_avg_1m": round(os.getloadavg()[0], 2)},
    }
    (harness.RESULTS / "messaging_pipeline.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report))


if __name__ == "__main__":
    main()

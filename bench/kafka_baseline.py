"""The raw baseline: aiokafka produce -> consume of 1 KB JSON events on the local broker.

No Pactline code on the path: later benchmarks report their figures as ratios to this one,
measured in the same run on the same broker. Prints one JSON object on stdout and writes it
to .local/bench/kafka_baseline.json; progress goes to stderr.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from pactline_messaging import endpoints

BOOTSTRAP = endpoints.kafka_bootstrap()
EVENTS = int(os.environ.get("PACTLINE_BENCH_EVENTS", "20000"))
EVENT_BYTES = 1024
TOPIC = "pactline.bench.raw-baseline"
OUT = Path(__file__).resolve().parents[1] / ".local" / "bench" / "kafka_baseline.json"


def event(seq: int) -> bytes:
    """A 1 KB JSON event carrying its send time, padded to exactly EVENT_BYTES."""
    body = {"seq": seq, "sent_ns": time.time_ns(), "type": "BenchEvent", "pad": ""}
    raw = json.dumps(body, separators=(",", ":")).encode()
    body["pad"] = "x" * (EVENT_BYTES - len(raw))
    return json.dumps(body, separators=(",", ":")).encode()


async def ensure_topic() -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=BOOTSTRAP)
    await admin.start()
    try:
        if TOPIC not in await admin.list_topics():
            await admin.create_topics([NewTopic(TOPIC, 3, 1, topic_configs={"retention.ms": "3600000"})])
    finally:
        await admin.close()


async def run() -> dict:
    await ensure_topic()
    consumer = AIOKafkaConsumer(
        TOPIC,
        bootstrap_servers=BOOTSTRAP,
        group_id=f"bench-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="latest",
        enable_auto_commit=False,
    )
    await consumer.start()
    while not consumer.assignment():  # joined the group: nothing sent from now on is missed
        await consumer.getmany(timeout_ms=100)
    for tp in consumer.assignment():
        await consumer.seek_to_end(tp)
        await consumer.position(tp)
    producer = AIOKafkaProducer(bootstrap_servers=BOOTSTRAP, acks="all", enable_idempotence=True, linger_ms=5)
    await producer.start()

    latencies: list[int] = []

    async def consume() -> None:
        while len(latencies) < EVENTS:
            for records in (await consumer.getmany(timeout_ms=1000, max_records=2000)).values():
                now = time.time_ns()
                latencies.extend(now - json.loads(r.value)["sent_ns"] for r in records)
            await consumer.commit()

    started = time.perf_counter()
    reader = asyncio.create_task(consume())
    batch = []
    for seq in range(EVENTS):
        batch.append(await producer.send(TOPIC, event(seq), key=str(seq % 64).encode()))
        if len(batch) == 1000:
            await asyncio.gather(*batch)
            batch.clear()
            if (seq + 1) % (EVENTS // 5) == 0:
                print(f"sent {seq + 1}/{EVENTS}, received {len(latencies)}", file=sys.stderr)
    await asyncio.gather(*batch)
    await asyncio.wait_for(reader, 120)
    elapsed = time.perf_counter() - started
    await producer.stop()
    await consumer.stop()
    ordered = sorted(latencies)
    return {
        "benchmark": "kafka_raw_baseline",
        "events": EVENTS,
        "event_bytes": EVENT_BYTES,
        "events_per_s": round(EVENTS / elapsed, 1),
        "latency_ms": {
            "p50": round(statistics.median(ordered) / 1e6, 2),
            "p99": round(ordered[int(len(ordered) * 0.99) - 1] / 1e6, 2),
        },
        "producer": {"acks": "all", "enable_idempotence": True, "linger_ms": 5},
    }


def main() -> None:
    result = asyncio.run(run())
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result))


if __name__ == "__main__":
    main()

"""The raw baseline: aiokafka produce -> consume of 1 KB JSON events on the local broker.

No Pactline code on the path: later benchmarks report their figures as ratios to this one,
measured in the same run on the same broker. Two figures:

- throughput: PACTLINE_BENCH_EVENTS events (default 20000) produced as fast as the idempotent
  producer takes them (acks=all, linger 5 ms) while one consumer reads them; the median of
  MEASURED_PASSES passes, run once the broker is warm (``warm_up``);
- open-loop round trip: events sent at a fixed rate (half the throughput just measured) for
  PACTLINE_BENCH_OPEN_LOOP_S seconds (default 5), latency from the send to the consumer's
  receipt, so a slow side cannot hide queueing. ``round_trip`` is also imported by the
  pipeline bench to measure the raw round trip at the pipeline's own rate.

The topic is ``bench.raw-baseline``, outside the product's ``pactline.*`` topics. Prints one
JSON object on stdout and writes it to .local/bench/kafka_baseline.json; progress to stderr.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
import uuid
from pathlib import Path

from aiokafka.admin import NewTopic

from pactline_messaging import endpoints, kafka_admin, kafka_consumer, kafka_producer

BOOTSTRAP = endpoints.kafka_bootstrap()
EVENTS = int(os.environ.get("PACTLINE_BENCH_EVENTS", "20000"))
OPEN_LOOP_S = float(os.environ.get("PACTLINE_BENCH_OPEN_LOOP_S", "5"))
EVENT_BYTES = 1024
WARMUP_MIN_PASSES = 3
WARMUP_MAX_PASSES = int(os.environ.get("PACTLINE_BENCH_WARMUP_PASSES", "6"))
WARM_GAIN = 1.10
"""After WARMUP_MIN_PASSES, a warm-up pass less than 10% faster than the one before it: the
broker is warm."""
MEASURED_PASSES = 3
TOPIC = "bench.raw-baseline"
PARTITIONS = 3
TICK_S = 0.002
OUT = Path(__file__).resolve().parents[1] / ".local" / "bench" / "kafka_baseline.json"


def event(seq: int) -> bytes:
    """A 1 KB JSON event carrying its send time, padded to exactly EVENT_BYTES."""
    body = {"seq": seq, "sent_ns": time.time_ns(), "type": "BenchEvent", "pad": ""}
    raw = json.dumps(body, separators=(",", ":")).encode()
    body["pad"] = "x" * (EVENT_BYTES - len(raw))
    return json.dumps(body, separators=(",", ":")).encode()


def percentiles_ms(latencies_ns: list[int]) -> dict[str, float]:
    ordered = sorted(latencies_ns)
    if not ordered:
        return {"p50": float("nan"), "p99": float("nan")}

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] / 1e6, 2)

    return {"p50": at(0.50), "p99": at(0.99)}


async def ensure_topic(name: str = TOPIC, partitions: int = PARTITIONS) -> None:
    admin = kafka_admin(BOOTSTRAP)
    await admin.start()
    try:
        if name not in await admin.list_topics():
            await admin.create_topics([NewTopic(name, partitions, 1, topic_configs={"retention.ms": "3600000"})])
    finally:
        await admin.close()


class RawPair:
    """A producer and a consumer group joined at the topic's end."""

    async def __aenter__(self) -> RawPair:
        await ensure_topic()
        self.consumer = kafka_consumer(
            TOPIC,
            bootstrap=BOOTSTRAP,
            group_id=f"bench-{uuid.uuid4().hex[:8]}",
            auto_offset_reset="latest",
            enable_auto_commit=False,
        )
        await self.consumer.start()
        while not self.consumer.assignment():  # joined the group: nothing sent from now on is missed
            await self.consumer.getmany(timeout_ms=100)
        for tp in self.consumer.assignment():
            await self.consumer.seek_to_end(tp)
            await self.consumer.position(tp)
        self.producer = kafka_producer(BOOTSTRAP, acks="all", enable_idempotence=True, linger_ms=5)
        await self.producer.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.producer.stop()
        await self.consumer.stop()

    async def receive(self, count: int, latencies: list[int]) -> None:
        while len(latencies) < count:
            for records in (await self.consumer.getmany(timeout_ms=1000, max_records=2000)).values():
                now = time.time_ns()
                latencies.extend(now - json.loads(r.value)["sent_ns"] for r in records)
            await self.consumer.commit()


async def throughput(events: int = EVENTS) -> dict:
    async with RawPair() as pair:
        latencies: list[int] = []
        started = time.perf_counter()
        reader = asyncio.create_task(pair.receive(events, latencies))
        batch = []
        for seq in range(events):
            batch.append(await pair.producer.send(TOPIC, event(seq), key=str(seq % 64).encode()))
            if len(batch) == 1000:
                await asyncio.gather(*batch)
                batch.clear()
                if (seq + 1) % max(1, events // 5) == 0:
                    print(f"sent {seq + 1}/{events}, received {len(latencies)}", file=sys.stderr)
        await asyncio.gather(*batch)
        await asyncio.wait_for(reader, 120)
        elapsed = time.perf_counter() - started
    return {"events": events, "events_per_s": round(events / elapsed, 1), "latency_ms": percentiles_ms(latencies)}


async def round_trip(rate: float, seconds: float = OPEN_LOOP_S) -> dict:
    """Open loop: ``rate`` events/s for ``seconds``, whatever the consumer does; latency
    from the send to the receipt."""
    count = max(200, int(rate * seconds))
    async with RawPair() as pair:
        latencies: list[int] = []
        reader = asyncio.create_task(pair.receive(count, latencies))
        acks = []
        started = time.perf_counter()
        sent = 0
        while sent < count:
            due = min(count, int((time.perf_counter() - started) * rate) + 1)
            for seq in range(sent, due):
                acks.append(await pair.producer.send(TOPIC, event(seq), key=str(seq % 64).encode()))
            sent = due
            await asyncio.sleep(TICK_S)
        await asyncio.gather(*acks)
        await asyncio.wait_for(reader, 120)
    return {"rate_per_s": round(rate, 1), "events": count, "latency_ms": percentiles_ms(latencies)}


def warmed(rates: list[float], max_passes: int = WARMUP_MAX_PASSES) -> bool:
    """Whether the warm-up is over after passes at ``rates`` (events/s, in order): at least
    WARMUP_MIN_PASSES have run and the last gained less than WARM_GAIN over the one before it
    (one noisy pass cannot end it early), or ``max_passes`` passes have run."""
    if len(rates) >= max_passes:
        return True
    return len(rates) >= WARMUP_MIN_PASSES and rates[-1] < rates[-2] * WARM_GAIN


async def warm_up() -> list[float]:
    """Unmeasured throughput passes until the broker is warm. A broker just started runs its
    JVM's hot paths interpreted until they are compiled: measured cold, the baseline came out
    at 55 to 65% of its warm figure (6,172, then 9,067, then 14,274 events/s in three passes
    on a broker just started), while every later benchmark runs on the warm broker."""
    rates: list[float] = []
    while not warmed(rates):
        rates.append((await throughput())["events_per_s"])
        print(f"warm-up pass {len(rates)}: {rates[-1]} events/s (not measured)", file=sys.stderr)
    return rates


def median_pass(passes: list[dict]) -> dict:
    """The pass with the median throughput (an odd number of passes)."""
    return sorted(passes, key=lambda p: p["events_per_s"])[len(passes) // 2]


async def run() -> dict:
    warm_up_rates = await warm_up()
    passes = []
    for n in range(MEASURED_PASSES):
        passes.append(await throughput())
        print(f"measured pass {n + 1}/{MEASURED_PASSES}: {passes[-1]['events_per_s']} events/s", file=sys.stderr)
    measured = median_pass(passes)
    print(f"raw throughput {measured['events_per_s']}/s (median); open loop at half of it", file=sys.stderr)
    open_loop = await round_trip(measured["events_per_s"] / 2)
    return {
        "benchmark": "kafka_raw_baseline",
        "event_bytes": EVENT_BYTES,
        **measured,
        "passes_events_per_s": [p["events_per_s"] for p in passes],
        "warm_up_events_per_s": warm_up_rates,
        "open_loop": open_loop,
        "producer": {"acks": "all", "enable_idempotence": True, "linger_ms": 5},
        "machine": {"cpus": os.cpu_count(), "load_avg_1m": round(os.getloadavg()[0], 2)},
    }


def main() -> None:
    result = asyncio.run(run())
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result))


if __name__ == "__main__":
    main()

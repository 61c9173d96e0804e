"""Scoring: rebuild throughput (drop-and-replay from offset 0) and audit replay throughput,
as ratios to the raw Kafka baseline measured earlier in the same `make bench`.

The events live in topics of their own (prefix `bench.scoring-v2-<count>.`), never in the product's
topics: PACTLINE_BENCH_SCORING_VERDICTS (default 1 000 000) VerdictIssued events of 200 agents
bought by 10 buyers each, the 2 000 PactAccepted they need, and one EscrowSettled per 50
verdicts. The content is a fixed function of the count, so a later run finds the topics
already filled and reuses them (the topics keep 7 days). Progress goes to stderr, the result
(one JSON object) to stdout and .local/bench/scoring_rebuild.json.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from pactline_events import (
    AcceptedEscrow,
    ClauseResult,
    DimensionResult,
    EscrowSettled,
    EventSigningKey,
    PactAccepted,
    PendingEvent,
    VerdictIssued,
    decode,
    encode,
    producers_of,
)
from pactline_events.signing import insert_signature
from pactline_events.topics import ACCEPTANCES, ESCROW, VERDICTS
from pactline_messaging import (
    DeadLetterPublisher,
    endpoints,
    event_keys,
    idempotent_producer,
    kafka_admin,
    kafka_consumer,
    open_pool,
)
from pactline_pacts import pact_hash, parse_pact
from pactline_scoring.app import SPEC
from pactline_scoring.formula import FormulaParams
from pactline_scoring.projection import ScoringProjection
from pactline_scoring.rebuilding import catch_up, replay_runner

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / ".local" / "bench"
BOOTSTRAP = endpoints.kafka_bootstrap()
DATABASE_URL = endpoints.database_url()
VERDICTS_N = int(os.environ.get("PACTLINE_BENCH_SCORING_VERDICTS", "1000000"))
PREFIX = f"bench.scoring-v2-{VERDICTS_N}."  # v2: VerdictIssued v2 payloads
AGENTS, BUYERS, SETTLE_EVERY = 200, 10, 50
T0 = datetime(2026, 1, 1, tzinfo=UTC)
TOPICS = tuple(
    dataclasses.replace(t, name=PREFIX + t.name, retention_ms=7 * 86_400_000) for t in (ACCEPTANCES, VERDICTS, ESCROW)
)
PACT = parse_pact((ROOT / "examples" / "pacts" / "customer-support.yaml").read_bytes(), "application/yaml")
CLAUSES = [(c.id, c.dimension, c.severity, c.weight) for c in PACT.clauses]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def event_uuid(kind: int, n: int) -> uuid.UUID:
    return uuid.UUID(int=(0x0190 << 112) | (0x7 << 76) | (0b10 << 62) | (kind << 48) | n)


def unsigned_bytes(payload, stream_id: str, n: int, kind: int, at: datetime) -> tuple[bytes, EventSigningKey | None]:
    """The event's canonical bytes without a signature (its key id set), and the key of the
    producer of its type that signs it, as the services would have (the projection verifies)."""
    pending = PendingEvent(
        event_id=event_uuid(kind, n),
        occurred_at=at,
        stream_id=stream_id,
        correlation_id=event_uuid(9, n),
        payload=payload,
    )
    producer = producers_of(payload.event_type)[0]
    key = event_keys.signing_key(producer)
    unsigned = pending.seal(producer=producer, stream_seq=1, prev_hash="0" * 64, key_id=key.key_id if key else None)
    return encode(unsigned), key


def signed_bytes(unsigned: bytes, key: EventSigningKey | None) -> bytes:
    """What the producer would put on the log: ``unsigned`` with its Ed25519 signature."""
    return insert_signature(unsigned, key.private_key.sign(unsigned).hex()) if key else unsigned


def envelope_bytes(payload, stream_id: str, n: int, kind: int, at: datetime) -> bytes:
    return signed_bytes(*unsigned_bytes(payload, stream_id, n, kind, at))


def acceptance_bytes(n: int) -> tuple[str, bytes]:
    agent, buyer = n // BUYERS, n % BUYERS
    payload = PactAccepted(
        acceptance_id=f"acc-{n}",
        pact_id="pct-1",
        pact_version=1,
        pact_hash=pact_hash(PACT),
        document=PACT,
        agent_id=f"agent-{agent}",
        agent_model_family="openai",
        operator_id=f"op-{agent}",
        provider_address="0x" + f"{agent + 1:040x}",
        buyer_id=f"buyer-{buyer}",
        buyer_address="0x" + f"{buyer + 1:040x}".replace("0", "a", 1),
        escrow=AcceptedEscrow(mode="aggregate", price_per_task=250_000, pool_size=10**12),
        accepted_at=T0,
        expires_at=T0 + timedelta(days=3650),
    )
    return f"acceptance-acc-{n}", envelope_bytes(payload, f"acceptance-acc-{n}", n, 1, T0)


class VerdictTemplate:
    """Canonical bytes of a verdict with placeholders: filling them keeps the bytes canonical
    (values are plain ASCII; keys, hence their order, do not change). Each verdict is the first
    event of its own stream, so no hash chain has to be computed."""

    def __init__(self, outcome: str) -> None:
        results = tuple(
            ClauseResult(
                clause_id=cid,
                kind="rubric",
                severity=sev,
                weight=w,
                dimension=dim,
                outcome=("FAIL" if cid == "fast-reply" and outcome == "FAIL" else "PASS"),
            )
            for cid, dim, sev, w in CLAUSES
        )
        passed = sum(r.weight for r in results if r.outcome == "PASS")
        dimensions: dict[str, list[int]] = {}
        for r in results:
            entry = dimensions.setdefault(r.dimension, [0, 0, 0])
            entry[0] += 1
            entry[1 if r.outcome == "PASS" else 2] += r.weight
        payload = VerdictIssued(
            verdict_id="v-TASKID",
            task_id="TASKID",
            acceptance_id="ACCID",
            agent_id="AGENTID",
            pact_id="pct-1",
            pact_hash=pact_hash(PACT),
            outcome=outcome,
            clause_results=results,
            dimension_results=tuple(
                DimensionResult(
                    dimension=d,
                    outcome="FAIL" if f else "PASS",
                    clauses=n,
                    passed_weight=p,
                    failed_weight=f,
                    inconclusive_weight=0,
                )
                for d, (n, p, f) in sorted(dimensions.items())
            ),
            passed_weight=passed,
            evaluated_weight=100,
            weighted_score="1" if passed == 100 else f"0.{passed:02d}",
            evidence_digest="0x" + "e" * 64,
            provenance="gateway",
            jury_status="answered",
            evaluator_version="bench-1",
            escrow_mode="aggregate",
            price=777_777_777,
        )
        # Unsigned: each filled verdict is signed on its own (a template's signature covers
        # the template's bytes only).
        unsigned, self.key = unsigned_bytes(payload, "evaluation-TASKID", 0, 2, T0)
        raw = unsigned.decode()
        raw = raw.replace(str(event_uuid(2, 0)), "EVENTID").replace(str(event_uuid(9, 0)), "CORRID")
        self.text = raw.replace("2026-01-01T00:00:00.000000Z", "WHEN")

    def fill(self, n: int, acceptance: int, price: int, at: str) -> bytes:
        unsigned = (
            self.text.replace("EVENTID", str(event_uuid(2, n)))
            .replace("CORRID", str(event_uuid(9, n)))
            .replace("TASKID", f"task-{n}")
            .replace("ACCID", f"acc-{acceptance}")
            .replace("AGENTID", f"agent-{acceptance // BUYERS}")
            .replace("777777777", str(price))
            .replace("WHEN", at)
            .encode()
        )
        return signed_bytes(unsigned, self.key)


def timestamp(n: int) -> datetime:
    return T0 + timedelta(seconds=n * 2)  # a million verdicts over ~23 days: decay and caps at work


async def topics_ready(admin: AIOKafkaAdminClient, expected: int) -> bool:
    existing = set(await admin.list_topics())
    if not all(t.name in existing for t in TOPICS):
        return False
    consumer = kafka_consumer(bootstrap=BOOTSTRAP)
    await consumer.start()
    try:
        parts = [TopicPartition(t.name, p) for t in TOPICS for p in range(t.partitions)]
        ends = await consumer.end_offsets(parts)
        return sum(ends.values()) == expected
    finally:
        await consumer.stop()


async def generate() -> int:
    settlements = VERDICTS_N // SETTLE_EVERY
    expected = AGENTS * BUYERS + VERDICTS_N + settlements
    admin = kafka_admin(BOOTSTRAP)
    await admin.start()
    try:
        if await topics_ready(admin, expected):
            log(f"reusing {expected} events in {PREFIX}*")
            return expected
        existing = set(await admin.list_topics())
        stale = [t.name for t in TOPICS if t.name in existing]
        if stale:
            await admin.delete_topics(stale)
            await asyncio.sleep(2)
        await admin.create_topics([NewTopic(t.name, t.partitions, 1, topic_configs=t.configs) for t in TOPICS])
    finally:
        await admin.close()
    producer = idempotent_producer(BOOTSTRAP, "bench-scoring")
    await producer.start()
    acc_topic, ver_topic, esc_topic = (t.name for t in TOPICS)
    started = time.perf_counter()
    try:
        for n in range(AGENTS * BUYERS):
            key, value = acceptance_bytes(n)
            await producer.send(acc_topic, value, key=key.encode())
        templates = {"PASS": VerdictTemplate("PASS"), "FAIL": VerdictTemplate("FAIL")}
        decode(templates["FAIL"].fill(1, 1, 250_000, "2026-01-01T00:00:02.000000Z"))  # the template is valid
        pending = []
        for n in range(VERDICTS_N):
            acceptance = (n * 7919) % (AGENTS * BUYERS)
            outcome = "FAIL" if n % 11 == 0 else "PASS"
            at = timestamp(n).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            value = templates[outcome].fill(n, acceptance, 50_000 + (n % 20) * 25_000, at)
            pending.append(await producer.send(ver_topic, value, key=f"evaluation-task-{n}".encode()))
            if n % SETTLE_EVERY == SETTLE_EVERY - 1:
                settled = EscrowSettled(
                    acceptance_id=f"acc-{acceptance}",
                    mode="aggregate",
                    cause="batch",
                    task_ids=(f"task-{n}",),
                    released=250_000 if outcome == "PASS" else 0,
                    refunded=0 if outcome == "PASS" else 250_000,
                    batch_seq=n // SETTLE_EVERY + 1,
                    verdict_root="0x" + "ab" * 32,
                    chain_id=31337,
                    tx_hash="0x" + "cd" * 32,
                )
                stream = f"escrow-bench-{n}"
                await producer.send(
                    esc_topic,
                    envelope_bytes(settled, stream, n, 3, timestamp(n) + timedelta(seconds=1)),
                    key=stream.encode(),
                )
            if len(pending) >= 5000:
                await asyncio.gather(*pending)
                pending.clear()
            if (n + 1) % 100_000 == 0:
                log(f"generated {n + 1}/{VERDICTS_N} verdicts ({(n + 1) / (time.perf_counter() - started):.0f}/s)")
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    return expected


async def raw_consume(total: int) -> float:
    """Plain aiokafka read of the same topics, no decoding: the floor of any reader."""
    consumer = kafka_consumer(bootstrap=BOOTSTRAP, enable_auto_commit=False, group_id=None)
    await consumer.start()
    try:
        parts = [TopicPartition(t.name, p) for t in TOPICS for p in range(t.partitions)]
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        seen, started = 0, time.perf_counter()
        while seen < total:
            for records in (await consumer.getmany(timeout_ms=1000, max_records=10_000)).values():
                seen += len(records)
        return total / (time.perf_counter() - started)
    finally:
        await consumer.stop()


async def rebuild(total: int) -> float:
    schema = f"bench_scoring_{uuid.uuid4().hex[:8]}"
    pool = await open_pool(DATABASE_URL, schema, SPEC.migrations, max_size=4)
    producer = idempotent_producer(BOOTSTRAP, "bench-scoring-dlq")
    await producer.start()
    projection = ScoringProjection(FormulaParams(), topics=TOPICS, announce=False)
    # The runner, poll sizes and GC thresholds of `pactline scoring rebuild`.
    runner = replay_runner(projection, pool, BOOTSTRAP, DeadLetterPublisher(producer, "bench-scoring"))
    reported = 0

    def progress(done: int, _total: int) -> None:
        nonlocal reported
        if done >= reported + total // 10:
            log(f"rebuilt {done}/{total} ({done / (time.perf_counter() - started):.0f}/s)")
            reported = done

    try:
        started = time.perf_counter()
        await catch_up(runner, progress)
        elapsed = time.perf_counter() - started
        agents = await pool.fetchval("SELECT count(*) FROM agents")
        assert agents == AGENTS, f"expected {AGENTS} agents scored, got {agents}"
    finally:
        await producer.stop()
        await pool.execute(f"DROP SCHEMA {schema} CASCADE")
        await pool.close()
    return total / elapsed


async def replay_rate() -> tuple[float, int]:
    sys.path.insert(0, str(ROOT / "cli" / "src"))
    from pactline_cli.audit_replay import AuditReport, read_log, verify_and_fold

    started = time.perf_counter()
    records = await read_log(BOOTSTRAP, TOPICS)
    report = AuditReport()
    ledger = verify_and_fold(records, FormulaParams(), PREFIX, report)
    assert not report.broken, report.broken[:3]
    return len(records) / (time.perf_counter() - started), len(ledger.agents)


async def run() -> dict:
    total = await generate()
    raw = await raw_consume(total)
    log(f"raw consume of the bench topics: {raw:.0f} events/s")
    rebuilt = await rebuild(total)
    replayed, agents = await replay_rate()
    return {
        "events": total,
        "verdicts": VERDICTS_N,
        "agents": agents,
        "raw_consume_per_s": round(raw, 1),
        "rebuild_events_per_s": round(rebuilt, 1),
        "replay_events_per_s": round(replayed, 1),
    }


def main() -> None:
    baseline_file = RESULTS / "kafka_baseline.json"
    if not baseline_file.exists():
        sys.exit("run bench/kafka_baseline.py first (make bench does)")
    baseline = json.loads(baseline_file.read_text())
    result = asyncio.run(run())
    report = {
        "benchmark": "scoring_rebuild",
        **result,
        "ratio_to_baseline": {
            "rebuild": round(result["rebuild_events_per_s"] / baseline["events_per_s"], 3),
            "replay": round(result["replay_events_per_s"] / baseline["events_per_s"], 3),
        },
        "ratio_to_raw_consume_of_same_topics": {
            "rebuild": round(result["rebuild_events_per_s"] / result["raw_consume_per_s"], 3),
            "replay": round(result["replay_events_per_s"] / result["raw_consume_per_s"], 3),
        },
        "target": "rebuild >= 0.5 x baseline",
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "scoring_rebuild.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report))


if __name__ == "__main__":
    main()

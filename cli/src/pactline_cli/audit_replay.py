"""The auditor's replay: read the whole log with a consumer of its own, verify every event's
hash and every stream's chain, every event's signature, producer and topic (against the trust
store: ``pactline_events.signing``), recompute every trust score with the published formula,
and compare with the Trust Oracle. Writes nothing anywhere (no consumer group, no database).
"""

from __future__ import annotations

import asyncio
import dataclasses
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
from aiokafka import TopicPartition

from pactline_events import (
    EVENT_TOPICS,
    ChainBroken,
    ChainVerifier,
    EventError,
    EventVerifier,
    TopicSpec,
    decode,
    parse_json,
)
from pactline_messaging import event_keys, kafka_consumer
from pactline_scoring.formula import FORMULA_VERSION, FormulaParams
from pactline_scoring.ledger import TrustLedger, snapshot_digest

FOLDED_TOPICS = ("pactline.acceptances.v1", "pactline.verdicts.v1", "pactline.escrow.v1")


@dataclass(frozen=True)
class Record:
    topic: str
    partition: int
    offset: int
    value: bytes


@dataclass
class AuditReport:
    events_read: int = 0
    chains_verified: int = 0
    streams: int = 0
    redeliveries: int = 0
    folded: int = 0
    agents: int = 0
    as_of: str | None = None
    digest: str | None = None
    oracle_digest: str | None = None
    mismatches: list[str] = field(default_factory=list)
    broken: list[str] = field(default_factory=list)
    rate_events_per_s: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.mismatches and not self.broken

    def to_json(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "ok": self.ok}


def prefixed(prefix: str) -> tuple[TopicSpec, ...]:
    return tuple(dataclasses.replace(spec, name=prefix + spec.name) for spec in EVENT_TOPICS)


async def read_log(kafka: str, topics: tuple[TopicSpec, ...], progress: bool = False) -> list[Record]:
    """Every record of ``topics`` from offset 0 up to the end offsets at the start of the read."""
    consumer = kafka_consumer(
        bootstrap=kafka,
        enable_auto_commit=False,
        group_id=None,
        isolation_level="read_committed",
        client_id="pactline-audit",
    )
    await consumer.start()
    try:
        existing = await consumer.topics()  # a log that never used a topic has nothing to verify in it
        partitions = [TopicPartition(t.name, p) for t in topics if t.name in existing for p in range(t.partitions)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        left = {tp for tp in partitions if ends[tp] > 0}
        out: list[Record] = []
        while left:
            for tp, records in (await consumer.getmany(*left, timeout_ms=1000, max_records=5000)).items():
                for r in records:
                    if r.offset < ends[tp]:
                        out.append(Record(tp.topic, tp.partition, r.offset, r.value))
                if records and records[-1].offset + 1 >= ends[tp]:
                    left.discard(tp)
            if progress and len(out) % 100_000 < 5000:
                print(f"read {len(out)} events", file=sys.stderr)
        return out
    finally:
        await consumer.stop()


def verify_and_fold(
    records: list[Record],
    params: FormulaParams,
    prefix: str,
    report: AuditReport,
    signatures: EventVerifier | None = None,
) -> TrustLedger:
    """Chains stream by stream (a stream may span topics: order by its own seq), then the fold.

    With ``signatures``, a forged or misrouted event is reported (naming it) and left out of
    its chain and of the fold."""
    parsed = []
    for rec in records:
        try:
            data = parse_json(rec.value)
            parsed.append((str(data["stream_id"]), int(data["stream_seq"]), rec))
        except (ValueError, KeyError, TypeError):
            report.broken.append(f"{rec.topic}[{rec.partition}]@{rec.offset}: not an event (unparseable JSON)")
    parsed.sort(key=lambda item: (item[0], item[1]))
    routes = {prefix + spec.name: spec.event_types for spec in EVENT_TOPICS}
    verifier = ChainVerifier(verifier=signatures, routes=routes)
    ledger = TrustLedger(params)
    folded_topics = {prefix + name for name in FOLDED_TOPICS}
    for stream_id, seq, rec in parsed:
        where = f"{rec.topic}[{rec.partition}]@{rec.offset}"
        try:
            if verifier.add(rec.value, topic=rec.topic) is None:
                continue  # an exact redelivery: the same event again, counted once
            envelope = decode(rec.value)
        except ChainBroken as exc:
            event_id = parse_json(rec.value).get("event_id")
            report.broken.append(f"{where} event {event_id}: {exc}")
            continue
        except EventError as exc:
            report.broken.append(f"{where} stream {stream_id} seq {seq}: {exc}")
            continue
        if rec.topic in folded_topics:
            ledger.fold(envelope)
    report.chains_verified = verifier.verified
    report.redeliveries = verifier.redeliveries
    report.streams = len(verifier.heads)
    report.folded = ledger.events
    return ledger


def params_from(published: dict[str, Any]) -> FormulaParams:
    if published.get("formula_version") != FORMULA_VERSION:
        raise ValueError(
            f"the oracle runs formula {published.get('formula_version')!r}; this replay implements {FORMULA_VERSION!r}"
        )
    names = {f.name for f in dataclasses.fields(FormulaParams)}
    return FormulaParams(**{k: v for k, v in published.items() if k in names})


async def replay(
    kafka: str,
    oracle: httpx.AsyncClient,
    *,
    prefix: str = "",
    as_of: datetime | None = None,
    progress: bool = False,
    wait_s: float = 30.0,
    signatures: EventVerifier | None = None,
) -> AuditReport:
    """``signatures`` defaults to this process's trust store (``PACTLINE_EVENT_TRUSTED_KEYS_FILE``)."""
    report = AuditReport()
    signatures = signatures if signatures is not None else event_keys.verifier()
    formula = (await oracle.get("/v1/formula")).raise_for_status().json()
    params = params_from(formula)
    started = time.perf_counter()
    records = await read_log(kafka, prefixed(prefix), progress)
    report.events_read = len(records)
    ledger = verify_and_fold(records, params, prefix, report, signatures)
    report.rate_events_per_s = round(len(records) / max(time.perf_counter() - started, 1e-9), 1)
    when = as_of or ledger.log_time
    if when is None:
        return report
    snapshot = ledger.snapshot(when)
    report.as_of, report.digest, report.agents = snapshot["as_of"], snapshot_digest(snapshot), len(snapshot["agents"])
    ours = _offsets(records, prefix)
    deadline = time.monotonic() + wait_s
    while True:  # the oracle may still be folding what we read: compare at the same position
        status = (await oracle.get("/v1/status")).raise_for_status().json()
        theirs = {k: v for k, v in status["position"]["offsets"].items() if k.split(":")[0] in ours["topics"]}
        if theirs == ours["offsets"] or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.5)
    if theirs != ours["offsets"]:
        report.mismatches.append(f"the oracle is at log position {theirs}, the replay read {ours['offsets']}")
    answer = (await oracle.get("/v1/snapshot", params={"as_of": when.isoformat()})).raise_for_status().json()
    report.oracle_digest = answer["digest"]
    if answer["digest"] != report.digest:
        report.mismatches.extend(_differences(snapshot["agents"], answer["snapshot"]["agents"]))
        if answer["snapshot"].get("params_digest") != snapshot["params_digest"]:
            report.mismatches.append("the formula parameters differ")
        if not report.mismatches:
            report.mismatches.append("snapshot digests differ")
    return report


def _offsets(records: list[Record], prefix: str) -> dict[str, Any]:
    topics = {prefix + name for name in FOLDED_TOPICS}
    offsets: dict[str, int] = {}
    for rec in records:
        if rec.topic in topics:
            key = f"{rec.topic}:{rec.partition}"
            offsets[key] = max(offsets.get(key, 0), rec.offset + 1)
    return {"topics": topics, "offsets": dict(sorted(offsets.items()))}


def _differences(ours: dict[str, Any], theirs: dict[str, Any]) -> list[str]:
    out = []
    for agent in sorted(ours.keys() | theirs.keys()):
        a, b = ours.get(agent), theirs.get(agent)
        if a is None or b is None:
            out.append(f"agent {agent}: {'only the oracle' if a is None else 'only the replay'} has a score")
            continue
        for key in sorted(a.keys() | b.keys()):
            if a.get(key) != b.get(key):
                out.append(f"agent {agent}: {key} replay={a.get(key)!r} oracle={b.get(key)!r}")
    return out

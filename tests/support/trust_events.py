"""Builders of the events scoring reads (PactAccepted, VerdictIssued, EscrowSettled), as
envelopes with chained streams, for the scoring tests."""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

from pactline_events import (
    GENESIS_HASH,
    AcceptedEscrow,
    ClauseResult,
    DimensionResult,
    Envelope,
    EscrowSettled,
    EventPayload,
    PactAccepted,
    PendingEvent,
    VerdictIssued,
    event_hash,
)
from pactline_pacts import pact_hash, parse_pact

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "pacts"
PACT = parse_pact((EXAMPLES / "customer-support.yaml").read_bytes(), "application/yaml")
PACT_HASH = pact_hash(PACT)
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
OPERATOR_ADDRESS = "0x" + "11" * 20

# (clause id, dimension, severity, weight) of the customer-support pact
CLAUSES = (
    ("no-pii-leak", "security", "must", 20),
    ("no-forbidden-promises", "safety", "must", 10),
    ("no-internal-links", "security", "should", 5),
    ("fast-reply", "latency", "should", 10),
    ("cheap-reply", "cost", "should", 5),
    ("reply-length", "format_compliance", "should", 5),
    ("helpful", "accuracy", "should", 30),
    ("safe-and-respectful", "safety", "must", 15),
)


def _id(*parts: object) -> UUID:
    return UUID(bytes=hashlib.sha256("/".join(map(str, parts)).encode()).digest()[:16], version=4)


@functools.cache
def acceptance(
    acceptance_id: str, agent_id: str, buyer_id: str, *, operator_id: str = "op-1", price: int = 1_000_000
) -> PactAccepted:
    buyer_address = (
        OPERATOR_ADDRESS if buyer_id == operator_id else "0x" + hashlib.sha256(buyer_id.encode()).hexdigest()[:40]
    )
    return PactAccepted(
        acceptance_id=acceptance_id,
        pact_id="pct-1",
        pact_version=1,
        pact_hash=PACT_HASH,
        document=PACT,
        agent_id=agent_id,
        agent_model_family="openai",
        operator_id=operator_id,
        provider_address=OPERATOR_ADDRESS,
        buyer_id=buyer_id,
        buyer_address=buyer_address,
        escrow=AcceptedEscrow(mode="per_task", price_per_task=max(price, 1)),
        accepted_at=T0 - timedelta(days=1),
        expires_at=T0 + timedelta(days=365),
    )


def verdict(
    task_id: str,
    acceptance_id: str,
    agent_id: str,
    *,
    outcome: str = "PASS",
    price: int = 1_000_000,
    clause_outcomes: dict[str, str] | None = None,
) -> VerdictIssued:
    """A verdict on the customer-support pact; every clause has ``outcome`` unless overridden."""
    default = "PASS" if outcome == "PASS" else outcome
    outcomes = {cid: default for cid, *_ in CLAUSES} | (clause_outcomes or {})
    results = tuple(
        ClauseResult(clause_id=cid, kind="rubric", severity=sev, weight=w, dimension=dim, outcome=outcomes[cid])
        for cid, dim, sev, w in CLAUSES
    )
    by_dimension: dict[str, dict[str, int]] = {}
    for r in results:
        entry = by_dimension.setdefault(r.dimension, {"clauses": 0, "PASS": 0, "FAIL": 0, "INCONCLUSIVE": 0})
        entry["clauses"] += 1
        entry[str(r.outcome)] += r.weight
    dimension_results = tuple(
        DimensionResult(
            dimension=dim,
            outcome="FAIL" if e["FAIL"] else "INCONCLUSIVE" if e["INCONCLUSIVE"] else "PASS",
            clauses=e["clauses"],
            passed_weight=e["PASS"],
            failed_weight=e["FAIL"],
            inconclusive_weight=e["INCONCLUSIVE"],
        )
        for dim, e in sorted(by_dimension.items())
    )
    passed = sum(r.weight for r in results if r.outcome == "PASS")
    return VerdictIssued(
        verdict_id=f"v-{task_id}",
        task_id=task_id,
        acceptance_id=acceptance_id,
        agent_id=agent_id,
        pact_id="pct-1",
        pact_hash=PACT_HASH,
        outcome=outcome,
        clause_results=results,
        dimension_results=dimension_results,
        passed_weight=passed,
        evaluated_weight=100,
        weighted_score="1" if passed == 100 else f"0.{passed:02d}",
        evidence_digest="0x" + hashlib.sha256(task_id.encode()).hexdigest(),
        provenance="gateway",
        jury_status="answered",
        evaluator_version="test-1",
        escrow_mode="per_task",
        price=price,
    )


def settlement(acceptance_id: str, task_ids: tuple[str, ...], *, released: int = 0, refunded: int = 0) -> EscrowSettled:
    return EscrowSettled(
        acceptance_id=acceptance_id,
        mode="per_task",
        cause="completed" if released else "rejected",
        task_ids=task_ids,
        released=released,
        refunded=refunded,
        chain_id=31337,
        tx_hash="0x" + hashlib.sha256(("tx", *task_ids).__repr__().encode()).hexdigest(),
    )


def stream_of(payload: EventPayload) -> str:
    if isinstance(payload, PactAccepted):
        return f"acceptance-{payload.acceptance_id}"
    if isinstance(payload, VerdictIssued):
        return f"evaluation-{payload.task_id}"
    if isinstance(payload, EscrowSettled):
        return f"escrow-{payload.acceptance_id}"
    raise TypeError(type(payload).__name__)


@dataclass
class Log:
    """Seals payloads into properly chained envelopes, stream by stream, like an outbox would."""

    prefix: str = ""
    chained: bool = True  # False: skip hashing, for pure-model tests that never verify chains
    heads: dict[str, tuple[int, str]] = field(default_factory=dict)
    events: list[Envelope] = field(default_factory=list)

    def add(self, payload: EventPayload, at: datetime, producer: str = "test") -> Envelope:
        stream = self.prefix + stream_of(payload)
        seq, prev = self.heads.get(stream, (0, GENESIS_HASH))
        envelope = PendingEvent(
            event_id=_id(self.prefix, stream, seq + 1),
            occurred_at=at,
            stream_id=stream,
            correlation_id=_id("corr", stream),
            payload=payload,
        ).seal(producer=producer, stream_seq=seq + 1, prev_hash=prev)
        self.heads[stream] = (seq + 1, event_hash(envelope) if self.chained else GENESIS_HASH)
        self.events.append(envelope)
        return envelope

    def add_all(self, items: list[tuple[EventPayload, datetime]]) -> list[Envelope]:
        return [self.add(payload, at) for payload, at in items]

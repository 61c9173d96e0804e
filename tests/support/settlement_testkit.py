"""Builders of the events settlement reads and writes, for pure and end-to-end tests."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pactline_events import (
    AcceptedEscrow,
    ClauseResult,
    DimensionResult,
    Envelope,
    EscrowFunded,
    EscrowSettled,
    PactAccepted,
    PendingEvent,
    TaskCompleted,
    VerdictIssued,
    derived_event_id,
)
from pactline_pacts import pact_hash, parse_pact

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "pacts"
DOCUMENT = parse_pact((EXAMPLES / "customer-support.yaml").read_text(), "application/yaml")
WINDOW = DOCUMENT.dispute_window_seconds
PROVIDER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
BUYER = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"
EVIDENCE = "0x" + "ee" * 32
OUTPUT = "order #12 ships today"
OUTPUT_DIGEST = hashlib.sha256(OUTPUT.encode()).hexdigest()


def envelope(payload, stream_id: str, seq: int = 1, at: datetime = T0, producer: str = "test") -> Envelope:
    return PendingEvent(
        event_id=derived_event_id(at, producer, stream_id, seq),
        occurred_at=at,
        stream_id=stream_id,
        correlation_id=uuid.UUID(int=1),
        payload=payload,
    ).seal(producer=producer, stream_seq=seq, prev_hash="0" * 64)


def accepted(
    acceptance_id: str = "acc-1",
    mode: str = "per_task",
    price: int = 50_000,
    buyer: str = BUYER,
    provider: str = PROVIDER,
    agent_id: str = "agent-1",
    buyer_id: str = "buyer-1",
    document=DOCUMENT,
) -> PactAccepted:
    return PactAccepted(
        acceptance_id=acceptance_id,
        pact_id="pact-1",
        pact_version=1,
        pact_hash=pact_hash(document),
        document=document,
        agent_id=agent_id,
        agent_model_family="anthropic",
        operator_id="op-1",
        provider_address=provider,
        buyer_id=buyer_id,
        buyer_address=buyer,
        escrow=AcceptedEscrow(mode=mode, price_per_task=price, pool_size=price * 1000 if mode == "aggregate" else None),
        accepted_at=T0,
        expires_at=T0 + timedelta(days=7),
    )


def completed(task_id: str, acceptance_id: str = "acc-1", job_id: str | None = None, output: str = OUTPUT):
    return TaskCompleted(
        task_id=task_id,
        acceptance_id=acceptance_id,
        pact_id="pact-1",
        agent_id="agent-1",
        input="where is my order?",
        output=output,
        latency_ms=100,
        cost=10,
        tokens=20,
        escrow_job_id=job_id,
        idempotency_key=f"key-{task_id}",
        output_digest=hashlib.sha256(output.encode()).hexdigest(),
        provenance="buyer_only",
    )


def verdict(
    task_id: str,
    outcome: str,
    acceptance_id: str = "acc-1",
    mode: str = "per_task",
    job_id: str | None = None,
    price: int = 50_000,
    evidence: str = EVIDENCE,
    output_digest: str | None = OUTPUT_DIGEST,
    verdict_id: str | None = None,
) -> VerdictIssued:
    clause = ClauseResult(
        clause_id="c-1", kind="regex_required", severity="must", weight=100, dimension="accuracy", outcome=outcome
    )
    return VerdictIssued(
        verdict_id=verdict_id or f"v-{task_id}",
        task_id=task_id,
        acceptance_id=acceptance_id,
        agent_id="agent-1",
        pact_id="pact-1",
        pact_hash="ab" * 32,
        outcome=outcome,
        clause_results=(clause,),
        dimension_results=(
            DimensionResult(
                dimension="accuracy",
                outcome=outcome,
                clauses=1,
                passed_weight=100 if outcome == "PASS" else 0,
                failed_weight=100 if outcome == "FAIL" else 0,
                inconclusive_weight=100 if outcome == "INCONCLUSIVE" else 0,
            ),
        ),
        passed_weight=100 if outcome == "PASS" else 0,
        evaluated_weight=100,
        weighted_score="1" if outcome == "PASS" else "0",
        evidence_digest=evidence,
        output_digest=output_digest,
        provenance="buyer_only",
        jury_status="not_needed",
        evaluator_version="test",
        escrow_mode=mode,
        price=price,
        escrow_job_id=job_id,
    )


def funded_job(acceptance_id: str, job_id: str, task_id: str, amount: int, tx: int, log: int = 0) -> EscrowFunded:
    return EscrowFunded(
        acceptance_id=acceptance_id,
        mode="per_task",
        amount=amount,
        chain_id=31337,
        contract_address="0x" + "1" * 40,
        token_address="0x" + "2" * 40,
        job_id=job_id,
        task_id=task_id,
        funder=BUYER,
        tx_hash="0x" + tx.to_bytes(32, "big").hex(),
        block_number=tx,
        log_index=log,
    )


def settled_job(acceptance_id: str, job_id: str, task_id: str, released: int, refunded: int, cause: str, tx: int):
    return EscrowSettled(
        acceptance_id=acceptance_id,
        mode="per_task",
        cause=cause,
        task_ids=(task_id,),
        released=released,
        refunded=refunded,
        job_id=job_id,
        chain_id=31337,
        tx_hash="0x" + tx.to_bytes(32, "big").hex(),
        block_number=tx,
        log_index=0,
    )

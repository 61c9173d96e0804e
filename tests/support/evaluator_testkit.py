"""Builders for the evaluator's tests: clauses, task evidence, pacts and tasks as events."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from pactline_evaluator.domain import Policy
from pactline_evaluator.evidence import TaskEvidence
from pactline_evaluator.sampling import SamplingPolicy
from pactline_events import AcceptedEscrow, PactAccepted, TaskCompleted, ToolCall
from pactline_pacts import pact_hash, validate_pact
from pactline_pacts.clauses import CLAUSE_MODELS

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
POLICY = Policy(SamplingPolicy("sampling-2026-11", Decimal("0.5")), timedelta(minutes=10))


def clause(kind: str, **fields: Any) -> Any:
    base = {"id": "c", "severity": "must", "weight": 100, "dimension": "accuracy", "kind": kind}
    return CLAUSE_MODELS[kind].model_validate({**base, **fields})


def evidence(output: str = "", **changes: Any) -> TaskEvidence:
    base: dict[str, Any] = {
        "task_id": "tsk-1",
        "input": "question",
        "output": output,
        "output_digest": hashlib.sha256(output.encode()).hexdigest(),
        "tool_names": (),
        "latency_ms": 100,
        "cost": 1000,
        "output_tokens": None,
        "total_tokens": 50,
        "reference": None,
        "provenance": "gateway",
    }
    return TaskEvidence(**{**base, **changes})


def pact_document(clauses: list[dict[str, Any]], threshold: str = "0.8") -> Any:
    return validate_pact(
        {
            "format": "pactline.pact/v1",
            "name": "test-pact",
            "version": 1,
            "title": "Test pact",
            "clauses": clauses,
            "pass_rule": {"threshold": threshold},
            "dispute_window_seconds": 86_400,
            "escrow": {"modes": ["aggregate"], "min_task_price": 1000},
        }
    )


def accepted(clauses: list[dict[str, Any]], threshold: str = "0.8", acceptance_id: str = "acc-1") -> PactAccepted:
    document = pact_document(clauses, threshold)
    return PactAccepted(
        acceptance_id=acceptance_id,
        pact_id="pct-1",
        pact_version=1,
        pact_hash=pact_hash(document),
        document=document,
        agent_id="agt-1",
        agent_model_family="openai",
        operator_id="op-1",
        provider_address="0x" + "11" * 20,
        buyer_id="buyer-1",
        buyer_address="0x" + "22" * 20,
        escrow=AcceptedEscrow(mode="aggregate", price_per_task=100_000, pool_size=1_000_000),
        accepted_at=T0,
        expires_at=T0 + timedelta(days=30),
    )


def completed(
    output: str = "fine", task_id: str = "tsk-1", acceptance_id: str = "acc-1", **changes: Any
) -> TaskCompleted:
    base: dict[str, Any] = {
        "task_id": task_id,
        "acceptance_id": acceptance_id,
        "pact_id": "pct-1",
        "agent_id": "agt-1",
        "input": "question",
        "output": output,
        "tool_calls": (),
        "latency_ms": 100,
        "cost": 1000,
        "tokens": 50,
        "reference": None,
        "idempotency_key": f"key-{task_id}",
        "output_digest": hashlib.sha256(output.encode("utf-8", "surrogatepass")).hexdigest(),
    }
    base.update(changes)
    if isinstance(base["tool_calls"], (list, tuple)):
        base["tool_calls"] = tuple(ToolCall(name=n) if isinstance(n, str) else n for n in base["tool_calls"])
    return TaskCompleted(**base)


def deterministic(cid: str, kind: str, weight: int, severity: str = "must", **fields: Any) -> dict[str, Any]:
    return {"id": cid, "kind": kind, "weight": weight, "severity": severity, "dimension": "accuracy", **fields}


DETERMINISTIC_CLAUSES = [
    deterministic("schema", "json_schema", 20, schema={"type": "object", "required": ["answer"]}),
    deterministic("cites", "regex_required", 20, pattern="#[0-9]+"),
    deterministic("polite", "not_contains", 10, severity="should", values=["idiot"]),
    deterministic("fast", "max_latency_ms", 10, severity="should", limit_ms=2000),
    deterministic("short", "length_bounds", 10, severity="should", max=4000),
    deterministic("no-pii", "no_pii", 30),
]
"""Six deterministic clauses (no jury) the benchmarks evaluate: bench/evaluator_verdicts.py and
bench/e2e_loop.py measure the same pact."""


def rubric(cid: str, weight: int, severity: str = "must", threshold: str = "0.7") -> dict[str, Any]:
    return {
        "id": cid,
        "kind": "rubric",
        "weight": weight,
        "severity": severity,
        "dimension": "accuracy",
        "criterion": f"criterion of {cid}",
        "pass_threshold": threshold,
    }

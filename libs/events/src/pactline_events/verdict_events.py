"""The evaluator's verdict on one task: every clause result, the evidence digest, the outcome.

Version 2 (docs/evaluation.md) adds what an auditor needs to recompute and prove a verdict:
each clause's measured value and whether it was evaluated at all (sampling), per-dimension
results, the exact weights behind the score, the evidence digest as the Merkle root of the
clause results, the evaluated output's digest, the evidence's provenance and the sampling
policy. Version 1 payloads are upcast on read (upcasters.verdict_issued_v1_to_v2).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from .envelope import EventPayload
from .types import Amount, Bytes32Hex, DecimalStr, EscrowMode, Identifier, Outcome, Sha256Hex, Uint256Str

EvidenceScheme = Literal["clause-merkle-v1", "sha256-v1"]
"""``clause-merkle-v1``: the evidence digest is the Merkle root of the clause results
(docs/evaluation.md, "Evidence digest"). ``sha256-v1``: an opaque digest carried over from a
version 1 verdict; no clause proof can be checked against it."""

Provenance = Literal["gateway", "countersigned", "buyer_only"]
JuryStatus = Literal["not_needed", "answered", "timed_out"]


class ClauseResult(BaseModel):
    """One clause's result. ``measured`` is what was measured (a number, a count, a position,
    never a copy of the agent's output); ``evaluated`` is false for a ``should`` rubric clause
    the sampling policy left out of this task, which then counts in no score."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    clause_id: Identifier
    kind: str = Field(min_length=1, max_length=64)
    severity: Literal["must", "should"]
    weight: int = Field(ge=0, le=100)
    dimension: str = Field(min_length=1, max_length=64)
    outcome: Outcome
    measured: str | None = Field(default=None, max_length=200)
    detail: str = Field(default="", max_length=2000)
    evaluated: bool = True


class DimensionResult(BaseModel):
    """The evaluated clauses of one dimension: their weights by outcome and the dimension's
    outcome (FAIL if any failed, else INCONCLUSIVE if any is, else PASS)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    dimension: str = Field(min_length=1, max_length=64)
    outcome: Outcome
    clauses: int = Field(ge=1)
    passed_weight: int = Field(ge=0, le=100)
    failed_weight: int = Field(ge=0, le=100)
    inconclusive_weight: int = Field(ge=0, le=100)


class SamplingRecord(BaseModel):
    """The platform's sampling policy that chose which ``should`` rubric clauses were judged."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    policy_version: str = Field(min_length=1, max_length=64)
    should_rubric_rate: DecimalStr


class VerdictIssued(EventPayload):
    """The independent evaluation of one task against its pact."""

    event_type = "VerdictIssued"
    schema_version = 2

    verdict_id: Identifier
    task_id: Identifier
    acceptance_id: Identifier
    agent_id: Identifier
    pact_id: Identifier
    pact_hash: Sha256Hex
    outcome: Outcome
    clause_results: tuple[ClauseResult, ...] = Field(min_length=1)
    dimension_results: tuple[DimensionResult, ...]
    passed_weight: int = Field(ge=0, le=100, description="Sum of the weights of evaluated clauses that passed")
    evaluated_weight: int = Field(ge=0, le=100, description="Sum of the weights of evaluated clauses")
    weighted_score: DecimalStr = Field(description="passed_weight / evaluated_weight, 4 places, rounded down")
    evidence_digest: Bytes32Hex
    evidence_scheme: EvidenceScheme = "clause-merkle-v1"
    output_digest: Sha256Hex | None = Field(default=None, description="SHA-256 of the evaluated output (UTF-8)")
    provenance: Provenance = Field(description="How the task's measurements were obtained")
    jury_status: JuryStatus
    evaluator_version: str = Field(min_length=1, max_length=64)
    panel_version: str | None = None
    sampling: SamplingRecord | None = None
    escrow_mode: EscrowMode
    price: Amount
    escrow_job_id: Uint256Str | None = None

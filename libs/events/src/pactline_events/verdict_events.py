"""The evaluator's verdict on one task: every clause result, the evidence digest, the outcome."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from .envelope import EventPayload
from .types import Amount, DecimalStr, EscrowMode, Identifier, Outcome, Sha256Hex, Uint256Str


class ClauseResult(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    clause_id: Identifier
    kind: str
    severity: str = Field(pattern=r"^(must|should)$")
    weight: int = Field(ge=0)
    dimension: str
    outcome: Outcome
    detail: str = Field(default="", max_length=2000)


class VerdictIssued(EventPayload):
    """The independent evaluation of one task against its pact."""

    event_type = "VerdictIssued"

    verdict_id: Identifier
    task_id: Identifier
    acceptance_id: Identifier
    agent_id: Identifier
    pact_id: Identifier
    pact_hash: Sha256Hex
    outcome: Outcome
    clause_results: tuple[ClauseResult, ...]
    weighted_score: DecimalStr
    evidence_digest: Sha256Hex
    evaluator_version: str = Field(min_length=1, max_length=64)
    panel_version: str | None = None
    escrow_mode: EscrowMode
    price: Amount
    escrow_job_id: Uint256Str | None = None

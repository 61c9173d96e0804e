"""Events of the jury: the evaluator's requests to judge rubric clauses, and the panel's answers."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from .envelope import EventPayload
from .types import Amount, DecimalStr, Identifier, ModelFamily, Outcome, Sha256Hex


class RubricItem(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    clause_id: Identifier
    criterion: str = Field(min_length=1, max_length=4000)
    pass_threshold: DecimalStr


class JuryRequested(EventPayload):
    """The evaluator asks the jury to judge a task's rubric clauses."""

    event_type = "JuryRequested"

    request_id: Identifier
    task_id: Identifier
    acceptance_id: Identifier
    agent_model_family: ModelFamily
    rubric: tuple[RubricItem, ...] = Field(min_length=1)
    input: str
    output: str
    reference: str | None = None
    evidence_digest: Sha256Hex


class Judgment(BaseModel):
    """One judge's reply; the raw reply itself stays in the jury's store, the digest travels."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    judge_id: Identifier
    model: str = Field(min_length=1, max_length=200)
    family: ModelFamily
    outcome: Outcome
    score: DecimalStr | None = None
    prompt_hash: Sha256Hex
    reply_digest: Sha256Hex | None = None
    cost: Amount = 0


class RubricResult(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    clause_id: Identifier
    outcome: Outcome
    score: DecimalStr | None = None
    judgments: tuple[Judgment, ...]


class JuryDeliberated(EventPayload):
    event_type = "JuryDeliberated"

    request_id: Identifier
    task_id: Identifier
    acceptance_id: Identifier
    panel_version: str = Field(min_length=1, max_length=64)
    results: tuple[RubricResult, ...]

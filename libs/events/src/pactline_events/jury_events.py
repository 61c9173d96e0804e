"""Events of the jury: the evaluator's requests to judge rubric clauses, and the panel's answers.

JuryDeliberated v2 carries everything the log needs to explain an outcome on its own: each
judge's vote, validity and flags, the agreement and quorum of every clause, the reason of an
INCONCLUSIVE, the judges left off the panel and why, and the injection screen's evidence.
v1 payloads are lifted by ``upcasters.jury_deliberated_v1_to_v2``. The new fields have
defaults that claim least (nothing excluded, nothing found, not simulated), so a test double
may publish a minimal JuryDeliberated; the jury itself always sets every field.
"""

from __future__ import annotations

from enum import StrEnum

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


class JudgmentFlag(StrEnum):
    """Why a judgment was discarded or what was noticed about it (docs/jury.md, "Flags")."""

    CANARY_ECHO = "canary_echo"  # the reply repeats the per-request canary: discarded
    PLANTED_ECHO = "planted_echo"  # the reply copies text from the agent's output: discarded
    UNPARSEABLE = "unparseable"  # not exactly one JSON object of the required shape
    SCORE_MISMATCH = "score_mismatch"  # verdict contradicts the score against the threshold
    TIMEOUT = "timeout"
    RATE_LIMITED = "rate_limited"
    PROVIDER_ERROR = "provider_error"
    CIRCUIT_OPEN = "circuit_open"


class InconclusiveReason(StrEnum):
    PANEL_BELOW_QUORUM = "panel_below_quorum"  # too few judges could be seated
    VOTES_BELOW_QUORUM = "votes_below_quorum"  # too few valid votes came back
    TIE = "tie"
    LOW_AGREEMENT = "low_agreement"
    FLAGGED_WITHOUT_PANEL_MAJORITY = "flagged_without_panel_majority"
    JURY_ERROR = "jury_error"  # the jury itself failed repeatedly on this request


class ExclusionReason(StrEnum):
    OWN_FAMILY = "own_family"
    BENCHED = "benched"  # under the calibration kappa until recalibrated
    OVER_BUDGET = "over_budget"


class InjectionKind(StrEnum):
    INSTRUCTION = "instruction"  # text aimed at a judge or evaluator
    FAKE_VERDICT = "fake_verdict"  # JSON that looks like a verdict
    FAKE_DELIMITER = "fake_delimiter"  # imitation of the prompt's fences
    ROLE_TURN = "role_turn"  # fake system/assistant turns, chat-template tokens
    ZERO_WIDTH = "zero_width"
    UNICODE_TAG = "unicode_tag"  # U+E0000..U+E007F, invisible
    BIDI_CONTROL = "bidi_control"
    HOMOGLYPH = "homoglyph"  # letters of another script that look Latin, mixed in a word
    ENCODED_PAYLOAD = "encoded_payload"  # base64/hex text that decodes to an instruction


class Judgment(BaseModel):
    """One judge's reply; the raw reply itself stays in the jury's store, the digest travels."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    judge_id: Identifier
    model: str = Field(min_length=1, max_length=200)
    family: ModelFamily
    outcome: Outcome = Field(description="The judge's vote; INCONCLUSIVE when it gave no valid vote")
    score: DecimalStr | None = None
    prompt_hash: Sha256Hex
    reply_digest: Sha256Hex | None = None
    cost: Amount = Field(0, description="Micro-USD (USDC minor units) charged for this judgment")
    valid: bool = Field(True, description="Whether the vote counted")
    flags: tuple[JudgmentFlag, ...] = ()
    latency_ms: int | None = Field(None, description="Wall time of the judge's call(s); null in v1 events", ge=0)
    simulated: bool = Field(False, description="Answered by the project's simulated judge server")


class RubricResult(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    clause_id: Identifier
    outcome: Outcome
    score: DecimalStr | None = None
    judgments: tuple[Judgment, ...]
    agreement: DecimalStr | None = Field(None, description="Share of valid votes with the majority; null if none/v1")
    valid_votes: int | None = Field(None, ge=0, description="null in v1 events")
    quorum: int | None = Field(None, ge=1, description="Valid votes needed; null in v1 events")
    reason: InconclusiveReason | None = Field(None, description="Why INCONCLUSIVE; null otherwise")


class ExcludedJudge(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    judge_id: Identifier
    model: str = Field(min_length=1, max_length=200)
    family: ModelFamily
    reason: ExclusionReason


class InjectionFinding(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: InjectionKind
    offset: int = Field(ge=0, description="Code point offset in the agent's output")
    evidence: str = Field(max_length=400, description="Excerpt, invisible characters written as \\u{...}")


class JuryDeliberated(EventPayload):
    event_type = "JuryDeliberated"
    schema_version = 2

    request_id: Identifier
    task_id: Identifier
    acceptance_id: Identifier
    panel_version: str = Field(min_length=1, max_length=64)
    results: tuple[RubricResult, ...]
    excluded_judges: tuple[ExcludedJudge, ...] = ()
    injection_findings: tuple[InjectionFinding, ...] = ()
    fence_token: str | None = Field(
        None, max_length=64, description="The per-request delimiter, revealed after deliberation; null in v1 events"
    )
    canary: str | None = Field(None, max_length=64, description="The per-request canary, revealed after; null in v1")
    cost: Amount = Field(0, description="Micro-USD spent on this request by all judges")
    simulated: bool = Field(False, description="True if any judgment came from the simulated judge server")

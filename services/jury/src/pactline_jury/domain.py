"""The jury's decisions, pure: who sits on a panel, and what the panel's replies amount to.

No IO: the calls' results, the fence token, the canary and the benched judges are inputs, so
a deliberation is a function of what the judges said (docs/jury.md).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from pactline_events.jury_events import (
    ExcludedJudge,
    ExclusionReason,
    InconclusiveReason,
    InjectionFinding,
    Judgment,
    JudgmentFlag,
    JuryDeliberated,
    JuryRequested,
    RubricResult,
)
from pactline_events.types import ModelFamily, Outcome

from .aggregation import Ballot, decide_clause, decimal_text
from .judge_reply import Vote, read_reply
from .panel import JudgeConfig, Panel
from .screen import Finding

MILLION = 1_000_000
BYTES_PER_TOKEN_ESTIMATE = 3  # conservative: English runs ~4 bytes a token, CJK ~3


@dataclass(frozen=True)
class CallResult:
    """What came back from one judge for one clause (from the IO edge)."""

    content: str | None
    failure: JudgmentFlag | None  # timeout, rate_limited, provider_error or circuit_open
    latency_ms: int
    prompt_tokens: int = 0
    completion_tokens: int = 0
    simulated: bool = False


@dataclass(frozen=True)
class Seating:
    seated: tuple[JudgeConfig, ...]
    excluded: tuple[ExcludedJudge, ...]


@dataclass(frozen=True)
class JudgmentRecord:
    """One stored judgment: everything an auditor needs, the raw reply included."""

    clause_id: str
    judge: JudgeConfig
    prompt_hash: str
    raw_reply: str | None
    vote: Vote | None
    flags: tuple[JudgmentFlag, ...]
    latency_ms: int
    prompt_tokens: int
    completion_tokens: int
    cost: int
    simulated: bool

    def to_event(self) -> Judgment:
        return Judgment(
            judge_id=self.judge.judge_id,
            model=self.judge.model,
            family=self.judge.family,
            outcome=self.vote.verdict if self.vote else Outcome.INCONCLUSIVE,
            score=decimal_text(self.vote.score) if self.vote else None,
            prompt_hash=self.prompt_hash,
            reply_digest=reply_digest(self.raw_reply),
            cost=self.cost,
            valid=self.vote is not None,
            flags=self.flags,
            latency_ms=self.latency_ms,
            simulated=self.simulated,
        )


def reply_digest(raw: str | None) -> str | None:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest() if raw is not None else None


def cost_of(judge: JudgeConfig, prompt_tokens: int, completion_tokens: int) -> int:
    """Micro-USD, rounded up: ceil((in * in_price + out * out_price) / 1e6)."""
    return -(-(prompt_tokens * judge.input_price + completion_tokens * judge.output_price) // MILLION)


def estimate_tokens(messages: Sequence[Mapping[str, str]]) -> int:
    size = sum(len(m["content"].encode("utf-8")) for m in messages)
    return -(-size // BYTES_PER_TOKEN_ESTIMATE) + 8 * len(messages)


def estimated_cost(judge: JudgeConfig, prompts: Sequence[Sequence[Mapping[str, str]]]) -> int:
    """The most one judge can cost for ``prompts``: every reply at its token limit."""
    return sum(cost_of(judge, estimate_tokens(p), judge.max_output_tokens) for p in prompts)


def seat_panel(
    panel: Panel, agent_family: ModelFamily, benched: frozenset[str], estimates: Mapping[str, int]
) -> Seating:
    """Judges in configuration order, leaving off the agent's own family, the benched, and
    whoever would take the request's estimated cost over the task budget."""
    seated: list[JudgeConfig] = []
    excluded: list[ExcludedJudge] = []
    spent = 0

    def leave_off(judge: JudgeConfig, reason: ExclusionReason) -> None:
        excluded.append(ExcludedJudge(judge_id=judge.judge_id, model=judge.model, family=judge.family, reason=reason))

    for judge in panel.judges:
        if judge.family == agent_family:
            leave_off(judge, ExclusionReason.OWN_FAMILY)
        elif judge.judge_id in benched:
            leave_off(judge, ExclusionReason.BENCHED)
        elif spent + estimates[judge.judge_id] > panel.policy.task_budget:
            leave_off(judge, ExclusionReason.OVER_BUDGET)
        else:
            spent += estimates[judge.judge_id]
            seated.append(judge)
    return Seating(tuple(seated), tuple(excluded))


def record_judgment(
    judge: JudgeConfig,
    clause_threshold: Decimal,
    clause_id: str,
    prompt_hash: str,
    call: CallResult,
    *,
    canary: str,
    output: str,
    planted: Sequence[str],
) -> JudgmentRecord:
    if call.failure is not None:
        vote, flags = None, (call.failure,)
    else:
        read = read_reply(call.content, threshold=clause_threshold, canary=canary, output=output, planted=planted)
        vote, flags = read.vote, read.flags
    return JudgmentRecord(
        clause_id=clause_id,
        judge=judge,
        prompt_hash=prompt_hash,
        raw_reply=call.content,
        vote=vote,
        flags=flags,
        latency_ms=call.latency_ms,
        prompt_tokens=call.prompt_tokens,
        completion_tokens=call.completion_tokens,
        cost=cost_of(judge, call.prompt_tokens, call.completion_tokens),
        simulated=judge.simulated or call.simulated,
    )


def finding_event(finding: Finding) -> InjectionFinding:
    return InjectionFinding(kind=finding.kind, offset=finding.offset, evidence=finding.evidence[:400])


def deliberate(
    request: JuryRequested,
    *,
    panel: Panel,
    seating: Seating,
    records: Sequence[JudgmentRecord],
    findings: Sequence[Finding],
    fence: str,
    canary: str,
) -> JuryDeliberated:
    """The panel's answer for every rubric clause of ``request``."""
    flagged = bool(findings)
    results = []
    for item in request.rubric:
        mine = [r for r in records if r.clause_id == item.clause_id]
        ballots = [Ballot(r.vote.verdict, r.vote.score) for r in mine if r.vote is not None]
        decision = decide_clause(ballots, seated=len(seating.seated), flagged=flagged, policy=panel.policy)
        results.append(
            RubricResult(
                clause_id=item.clause_id,
                outcome=decision.outcome,
                score=decimal_text(decision.score) if decision.score is not None else None,
                judgments=tuple(r.to_event() for r in mine),
                agreement=decimal_text(decision.agreement) if decision.agreement is not None else None,
                valid_votes=decision.valid_votes,
                quorum=decision.quorum,
                reason=decision.reason,
            )
        )
    return JuryDeliberated(
        request_id=request.request_id,
        task_id=request.task_id,
        acceptance_id=request.acceptance_id,
        panel_version=panel.panel_version,
        results=tuple(results),
        excluded_judges=seating.excluded,
        injection_findings=tuple(finding_event(f) for f in findings),
        fence_token=fence,
        canary=canary,
        cost=sum(r.cost for r in records),
        simulated=panel.simulated or any(r.simulated for r in records),
    )


def give_up(request: JuryRequested, *, panel: Panel) -> JuryDeliberated:
    """After the jury itself failed on a request again and again: INCONCLUSIVE, so no task waits forever."""
    results = tuple(
        RubricResult(
            clause_id=item.clause_id,
            outcome=Outcome.INCONCLUSIVE,
            judgments=(),
            agreement=None,
            valid_votes=0,
            quorum=panel.policy.quorum,
            reason=InconclusiveReason.JURY_ERROR,
        )
        for item in request.rubric
    )
    return JuryDeliberated(
        request_id=request.request_id,
        task_id=request.task_id,
        acceptance_id=request.acceptance_id,
        panel_version=panel.panel_version,
        results=results,
        excluded_judges=(),
        injection_findings=(),
        fence_token=None,
        canary=None,
        cost=0,
        simulated=panel.simulated,
    )

"""The pure decision: from a pact, a completed task and what the jury said, the events to emit.

No IO, no clock: ``now`` and every input are arguments, so the same inputs always give
byte-identical payloads (docs/evaluation.md). Two steps per task: the first call asks the jury
(JuryRequested) when rubric clauses are to be judged, a later call (the jury answered, or the
deadline passed) issues the verdict; a task with nothing to judge gets its verdict at once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from pactline_events import (
    ClauseResult,
    DimensionResult,
    EventPayload,
    JuryRequested,
    Outcome,
    PactAccepted,
    RubricItem,
    SamplingRecord,
    TaskCompleted,
    VerdictIssued,
    canonical_json,
)
from pactline_pacts import RubricClause
from pactline_pacts.fields import decimal_text

from . import pass_rule
from .checks import run_check
from .checks.result import MAX_DETAIL, CheckResult, clip
from .evidence import provenance_of, task_evidence
from .evidence_tree import evidence_root
from .provenance import Dispute, apply_dispute, apply_provenance
from .sampling import SamplingPolicy, is_sampled

EVALUATOR_VERSION = "1.1.0"
"""Changes whenever a check, a detector or the pass rule changes what a verdict says.
1.1.0: a provider's dispute and a call the gateway lost (agent_error interrupted) are applied."""


class TaskNotUnderPact(ValueError):
    def __init__(self, task_id: str, task_acceptance: str, acceptance_id: str) -> None:
        super().__init__(f"task {task_id} belongs to acceptance {task_acceptance}, not {acceptance_id}")
        self.task_id = task_id


@dataclass(frozen=True, slots=True)
class Policy:
    """The platform's evaluation policy: sampling and how long the jury may take."""

    sampling: SamplingPolicy
    jury_timeout: timedelta


@dataclass(frozen=True, slots=True)
class RubricOutcome:
    """The panel's result for one rubric clause, as JuryDeliberated carries it."""

    outcome: Outcome
    score: str | None = None


@dataclass(frozen=True, slots=True)
class JuryAnswer:
    answered_at: datetime
    panel_version: str
    results: Mapping[str, RubricOutcome] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Evaluation:
    """One task under its pact; ``completed_at`` is the TaskCompleted event's time, ``dispute``
    the provider's dispute of the report when one has been received."""

    pact: PactAccepted
    task: TaskCompleted
    completed_at: datetime
    dispute: Dispute | None = None

    @property
    def interrupted(self) -> bool:
        """The gateway lost the call in a crash: its answer is unknown (docs/evaluation.md)."""
        error = getattr(self.task, "agent_error", None)
        return error is not None and error.kind == "interrupted"

    def __post_init__(self) -> None:
        if self.task.acceptance_id != self.pact.acceptance_id:
            raise TaskNotUnderPact(self.task.task_id, self.task.acceptance_id, self.pact.acceptance_id)

    def deadline(self, policy: Policy) -> datetime:
        return self.completed_at + policy.jury_timeout


def _short_id(prefix: str, task_id: str) -> str:
    return f"{prefix}-{hashlib.sha256(task_id.encode()).hexdigest()[:32]}"


def verdict_id(task_id: str) -> str:
    return _short_id("vrd", task_id)


def jury_request_id(task_id: str) -> str:
    return _short_id("jry", task_id)


def judged_rubric_clauses(evaluation: Evaluation, policy: Policy) -> tuple[RubricClause, ...]:
    """``must`` rubric clauses always; ``should`` ones when sampled. If sampling would leave the
    task with no evaluated clause at all, every rubric clause is judged."""
    clauses = evaluation.pact.document.clauses
    rubrics = tuple(c for c in clauses if isinstance(c, RubricClause))
    judged = tuple(
        c for c in rubrics if c.severity == "must" or is_sampled(policy.sampling, evaluation.task.task_id, c.id)
    )
    if not judged and len(rubrics) == len(clauses):
        return rubrics
    return judged


def decide(evaluation: Evaluation, jury: JuryAnswer | None, now: datetime, policy: Policy) -> tuple[EventPayload, ...]:
    """The events this moment calls for.

    ``jury`` is None while nothing has been heard: before the deadline that means the jury is
    to be asked (if anything is to be judged), at or after it that the jury timed out. An
    answer given after the deadline is late and changes nothing (no events).
    """
    deadline = evaluation.deadline(policy)
    if evaluation.interrupted:  # nothing to judge: no clause of a lost call can be decided
        return (_verdict(evaluation, (), None, deadline, policy, now),)
    judged = judged_rubric_clauses(evaluation, policy)
    if jury is not None and jury.answered_at > deadline:
        return ()
    if judged and jury is None and now < deadline:
        return (_jury_request(evaluation, judged),)
    return (_verdict(evaluation, judged, jury, deadline, policy, now),)


def dispute_applies(evaluation: Evaluation, decided_at: datetime) -> bool:
    """A dispute counts when the evaluator has it and it is dated no later than the verdict."""
    return evaluation.dispute is not None and evaluation.dispute.disputed_at <= decided_at


INTERRUPTED_DETAIL = (
    "the gateway lost this call (agent_error interrupted): the agent's answer is unknown and the latency only says "
    "how long the call stayed open unrecorded, so no clause can be decided"
)


def _jury_request(evaluation: Evaluation, judged: tuple[RubricClause, ...]) -> JuryRequested:
    task = evaluation.task
    return JuryRequested(
        request_id=jury_request_id(task.task_id),
        task_id=task.task_id,
        acceptance_id=task.acceptance_id,
        agent_model_family=evaluation.pact.agent_model_family,
        rubric=tuple(
            RubricItem(clause_id=c.id, criterion=c.criterion, pass_threshold=decimal_text(c.pass_threshold))
            for c in judged
        ),
        input=task.input,
        output=task.output,
        reference=task.reference,
        evidence_digest=jury_evidence_digest(task),
    )


def jury_evidence_digest(task: TaskCompleted) -> str:
    """SHA-256 of the canonical JSON of what the jury judges: task id, input, output, reference."""
    return hashlib.sha256(
        canonical_json(
            {"task_id": task.task_id, "input": task.input, "output": task.output, "reference": task.reference}
        )
    ).hexdigest()


def _rubric_result(clause: RubricClause, jury: JuryAnswer | None, deadline: datetime) -> CheckResult:
    if jury is None:
        when = deadline.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return CheckResult(Outcome.INCONCLUSIVE, None, f"the jury did not answer before the deadline {when}")
    answer = jury.results.get(clause.id)
    if answer is None:
        return CheckResult(Outcome.INCONCLUSIVE, None, f"the panel ({jury.panel_version}) returned no result")
    threshold = decimal_text(clause.pass_threshold)
    said = f"panel {jury.panel_version}: {answer.outcome.value}"
    if answer.score is None:
        return CheckResult(answer.outcome, None, f"{said}, no score (threshold {threshold})")
    try:
        score = Decimal(answer.score)
    except InvalidOperation:
        return CheckResult(Outcome.INCONCLUSIVE, None, f"{said} with an unreadable score")
    said = f"{said}, score {answer.score} (threshold {threshold})"
    # A result whose score contradicts its outcome is not trusted either way.
    if (answer.outcome is Outcome.PASS and score < clause.pass_threshold) or (
        answer.outcome is Outcome.FAIL and score >= clause.pass_threshold
    ):
        return CheckResult(Outcome.INCONCLUSIVE, answer.score, f"{said}: the score contradicts the outcome")
    return CheckResult(answer.outcome, answer.score, said)


def _clause_results(
    evaluation: Evaluation,
    judged: tuple[RubricClause, ...],
    jury: JuryAnswer | None,
    deadline: datetime,
    policy: Policy,
    decided_at: datetime,
) -> tuple[ClauseResult, ...]:
    evidence = task_evidence(evaluation.task)
    judged_ids = {c.id for c in judged}
    dispute = evaluation.dispute if dispute_applies(evaluation, decided_at) else None
    results = []
    for clause in evaluation.pact.document.clauses:
        evaluated = True
        if evaluation.interrupted:
            result = CheckResult(Outcome.INCONCLUSIVE, None, INTERRUPTED_DETAIL)
        elif isinstance(clause, RubricClause):
            if clause.id in judged_ids:
                result = _rubric_result(clause, jury, deadline)
            else:
                evaluated = False
                result = CheckResult(
                    Outcome.INCONCLUSIVE,
                    None,
                    f"not sampled for this task (policy {policy.sampling.version}, "
                    f"should rubric rate {policy.sampling.rate_text}); not counted",
                )
        else:
            result = apply_provenance(clause.kind, run_check(clause, evidence), evidence.provenance)
            result = apply_dispute(clause.kind, result, dispute)
        results.append(
            ClauseResult(
                clause_id=clause.id,
                kind=clause.kind,
                severity=clause.severity,
                weight=clause.weight,
                dimension=clause.dimension,
                outcome=result.outcome,
                measured=result.measured,
                detail=clip(result.detail, MAX_DETAIL),
                evaluated=evaluated,
            )
        )
    return tuple(results)


def dimension_results(results: tuple[ClauseResult, ...]) -> tuple[DimensionResult, ...]:
    by_dimension: dict[str, list[ClauseResult]] = {}
    for result in results:
        if result.evaluated:
            by_dimension.setdefault(result.dimension, []).append(result)
    out = []
    for dimension in sorted(by_dimension):
        group = by_dimension[dimension]
        weight = {o: sum(r.weight for r in group if r.outcome is o) for o in Outcome}
        outcome = (
            Outcome.FAIL if weight[Outcome.FAIL] or any(r.outcome is Outcome.FAIL for r in group)
            else Outcome.INCONCLUSIVE if any(r.outcome is Outcome.INCONCLUSIVE for r in group)
            else Outcome.PASS
        )  # fmt: skip
        out.append(
            DimensionResult(
                dimension=dimension,
                outcome=outcome,
                clauses=len(group),
                passed_weight=weight[Outcome.PASS],
                failed_weight=weight[Outcome.FAIL],
                inconclusive_weight=weight[Outcome.INCONCLUSIVE],
            )
        )
    return tuple(out)


def _verdict(
    evaluation: Evaluation,
    judged: tuple[RubricClause, ...],
    jury: JuryAnswer | None,
    deadline: datetime,
    policy: Policy,
    decided_at: datetime,
) -> VerdictIssued:
    pact, task = evaluation.pact, evaluation.task
    results = _clause_results(evaluation, judged, jury, deadline, policy, decided_at)
    scored = [pass_rule.Scored(r.severity, r.weight, r.outcome, r.evaluated) for r in results]
    passed, total = pass_rule.weights(scored)
    has_should_rubric = any(isinstance(c, RubricClause) and c.severity == "should" for c in pact.document.clauses)
    return VerdictIssued(
        verdict_id=verdict_id(task.task_id),
        task_id=task.task_id,
        acceptance_id=task.acceptance_id,
        agent_id=pact.agent_id,
        pact_id=pact.pact_id,
        pact_hash=pact.pact_hash,
        outcome=pass_rule.outcome(scored, pact.document.pass_rule.threshold),
        clause_results=results,
        dimension_results=dimension_results(results),
        passed_weight=passed,
        evaluated_weight=total,
        weighted_score=pass_rule.score_text(passed, total),
        evidence_digest=evidence_root(task.task_id, task.output_digest, results),
        output_digest=task.output_digest,
        provenance=provenance_of(task),
        jury_status="not_needed" if not judged else "answered" if jury is not None else "timed_out",
        evaluator_version=EVALUATOR_VERSION,
        panel_version=jury.panel_version if judged and jury is not None else None,
        sampling=SamplingRecord(policy_version=policy.sampling.version, should_rubric_rate=policy.sampling.rate_text)
        if has_should_rubric
        else None,
        escrow_mode=pact.escrow.mode,
        price=pact.escrow.price_per_task,
        escrow_job_id=task.escrow_job_id,
    )

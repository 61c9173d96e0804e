"""decide(): given a pact and a task (and what the jury said), then these events. Pure."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from decimal import Decimal

import pytest

from evaluator_testkit import POLICY, T0, accepted, completed, deterministic, rubric
from pactline_evaluator import domain
from pactline_evaluator.domain import Evaluation, JuryAnswer, Policy, RubricOutcome, TaskNotUnderPact, decide
from pactline_evaluator.evidence_tree import evidence_root
from pactline_evaluator.provenance import Dispute
from pactline_evaluator.sampling import SamplingPolicy
from pactline_events import AgentError, JuryRequested, Outcome, VerdictIssued, canonical_json

DEADLINE = T0 + POLICY.jury_timeout
CHECKS_ONLY = [
    deterministic("cites-order", "regex_required", 50, pattern="#[0-9]+"),
    deterministic("fast", "max_latency_ms", 30, severity="should", limit_ms=500),
    deterministic("no-pii", "no_pii", 20),
]
WITH_RUBRIC = [*CHECKS_ONLY[:2], rubric("helpful", 20)]


def evaluation(clauses, output="order #12 ships today", threshold="0.8", **task) -> Evaluation:
    return Evaluation(accepted(clauses, threshold), completed(output, **task), T0)


def answer(at=T0 + timedelta(minutes=1), **results) -> JuryAnswer:
    return JuryAnswer(at, "panel-7", {cid: RubricOutcome(Outcome(o), s) for cid, (o, s) in results.items()})


def only(events, kind):
    assert len(events) == 1
    assert isinstance(events[0], kind)
    return events[0]


def test_a_task_with_only_checks_gets_its_verdict_at_once():
    verdict = only(decide(evaluation(CHECKS_ONLY), None, T0, POLICY), VerdictIssued)
    assert verdict.outcome is Outcome.PASS
    assert [(r.clause_id, r.outcome, r.measured) for r in verdict.clause_results] == [
        ("cites-order", Outcome.PASS, "match at 6"),
        ("fast", Outcome.PASS, "100"),
        ("no-pii", Outcome.PASS, "0 found"),
    ]
    assert (verdict.passed_weight, verdict.evaluated_weight, verdict.weighted_score) == (100, 100, "1")
    assert (verdict.jury_status, verdict.panel_version, verdict.sampling) == ("not_needed", None, None)
    assert verdict.evidence_digest == evidence_root(verdict.task_id, verdict.output_digest, verdict.clause_results)
    assert verdict.verdict_id == domain.verdict_id("tsk-1")
    assert (verdict.escrow_mode.value, verdict.price) == ("aggregate", 100_000)


def test_a_failed_must_check_fails_the_task_and_says_why():
    verdict = only(decide(evaluation(CHECKS_ONLY, output="ships today"), None, T0, POLICY), VerdictIssued)
    assert verdict.outcome is Outcome.FAIL
    assert verdict.clause_results[0].detail == "the pattern matches nowhere in the output"
    assert [(d.dimension, d.outcome, d.failed_weight) for d in verdict.dimension_results] == [
        ("accuracy", Outcome.FAIL, 50)
    ]


def test_rubric_clauses_first_ask_the_jury():
    request = only(decide(evaluation(WITH_RUBRIC), None, T0, POLICY), JuryRequested)
    assert [(i.clause_id, i.criterion, i.pass_threshold) for i in request.rubric] == [
        ("helpful", "criterion of helpful", "0.7")
    ]
    assert request.agent_model_family.value == "openai"
    assert request.request_id == domain.jury_request_id("tsk-1")
    assert (request.output, request.input) == ("order #12 ships today", "question")


def test_the_jury_answer_completes_the_verdict():
    events = decide(evaluation(WITH_RUBRIC), answer(helpful=("PASS", "0.9")), T0 + timedelta(minutes=1), POLICY)
    verdict = only(events, VerdictIssued)
    assert verdict.outcome is Outcome.PASS
    assert (verdict.jury_status, verdict.panel_version) == ("answered", "panel-7")
    helpful = verdict.clause_results[2]
    assert (helpful.outcome, helpful.measured) == (Outcome.PASS, "0.9")
    assert "score 0.9 (threshold 0.7)" in helpful.detail


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        (("FAIL", "0.2"), Outcome.FAIL),
        (("INCONCLUSIVE", None), Outcome.INCONCLUSIVE),
        (("PASS", "0.5"), Outcome.INCONCLUSIVE),  # a score under the threshold contradicts PASS
        (("FAIL", "0.95"), Outcome.INCONCLUSIVE),
    ],
)
def test_the_panel_outcome_is_taken_only_when_its_score_agrees(said, expected):
    verdict = only(decide(evaluation(WITH_RUBRIC), answer(helpful=said), T0, POLICY), VerdictIssued)
    assert verdict.clause_results[2].outcome is expected


def test_a_rubric_the_panel_left_out_is_inconclusive():
    verdict = only(decide(evaluation(WITH_RUBRIC), answer(), T0, POLICY), VerdictIssued)
    assert verdict.clause_results[2].outcome is Outcome.INCONCLUSIVE
    assert verdict.outcome is Outcome.INCONCLUSIVE  # a must clause could go either way


def test_no_answer_by_the_deadline_is_inconclusive_at_the_deadline():
    assert isinstance(
        decide(evaluation(WITH_RUBRIC), None, DEADLINE - timedelta(microseconds=1), POLICY)[0], JuryRequested
    )
    verdict = only(decide(evaluation(WITH_RUBRIC), None, DEADLINE, POLICY), VerdictIssued)
    assert verdict.jury_status == "timed_out"
    assert verdict.outcome is Outcome.INCONCLUSIVE
    assert "did not answer before the deadline 2026-11-01T12:10:00.000000Z" in verdict.clause_results[2].detail


def test_an_answer_after_the_deadline_changes_nothing_and_one_at_it_counts():
    late = answer(at=DEADLINE + timedelta(microseconds=1), helpful=("PASS", "0.9"))
    assert decide(evaluation(WITH_RUBRIC), late, DEADLINE + timedelta(hours=1), POLICY) == ()
    on_time = answer(at=DEADLINE, helpful=("PASS", "0.9"))
    assert only(decide(evaluation(WITH_RUBRIC), on_time, DEADLINE, POLICY), VerdictIssued).outcome is Outcome.PASS


def test_should_rubrics_are_judged_only_when_sampled_and_otherwise_not_counted():
    clauses = [deterministic("cites-order", "regex_required", 60, pattern="#[0-9]+"), rubric("tone", 40, "should")]
    never = Policy(SamplingPolicy("p", Decimal("0")), POLICY.jury_timeout)
    verdict = only(decide(evaluation(clauses, threshold="1"), None, T0, never), VerdictIssued)
    tone = verdict.clause_results[1]
    assert (tone.evaluated, tone.outcome) == (False, Outcome.INCONCLUSIVE)
    assert "not sampled" in tone.detail
    assert (verdict.outcome, verdict.evaluated_weight) == (Outcome.PASS, 60)
    assert verdict.sampling.policy_version == "p"
    always = Policy(SamplingPolicy("p", Decimal("1")), POLICY.jury_timeout)
    assert only(decide(evaluation(clauses), None, T0, always), JuryRequested).rubric[0].clause_id == "tone"


def test_must_rubrics_are_always_judged_and_a_task_is_never_left_with_nothing_evaluated():
    never = Policy(SamplingPolicy("p", Decimal("0")), POLICY.jury_timeout)
    must = only(decide(evaluation([rubric("a", 50), rubric("b", 50, "should")]), None, T0, never), JuryRequested)
    assert [i.clause_id for i in must.rubric] == ["a"]
    lone = only(
        decide(evaluation([rubric("a", 50, "should"), rubric("b", 50, "should")]), None, T0, never), JuryRequested
    )
    assert [i.clause_id for i in lone.rubric] == ["a", "b"]


def test_a_buyer_only_report_of_an_absurd_latency_is_inconclusive_not_a_fail():
    verdict = only(decide(evaluation(CHECKS_ONLY, latency_ms=10**12), None, T0, POLICY), VerdictIssued)
    fast = verdict.clause_results[1]
    assert (fast.outcome, fast.measured) == (Outcome.INCONCLUSIVE, "1000000000000")
    assert verdict.provenance == "buyer_only"
    assert verdict.outcome is Outcome.INCONCLUSIVE  # 70 or 100 against a threshold of 80


def test_the_same_inputs_give_byte_identical_payloads():
    def once():
        events = decide(evaluation(WITH_RUBRIC), answer(helpful=("PASS", "0.9")), T0, POLICY)
        return [canonical_json(e.model_dump(mode="json")) for e in events]

    assert once() == once()


def test_a_task_of_another_acceptance_is_refused():
    with pytest.raises(TaskNotUnderPact, match="acc-2"):
        Evaluation(accepted(CHECKS_ONLY), completed(acceptance_id="acc-2"), T0)


# Disputes and lost calls (docs/evaluation.md, "Evidence provenance", rules 3 and 4) -------------


def disputed(clauses, at, **task) -> Evaluation:
    return dataclasses.replace(evaluation(clauses, **task), dispute=Dispute(at, "op-1"))


def test_a_dispute_received_before_the_verdict_makes_the_measured_clauses_inconclusive():
    # Given a buyer-only report whose latency passes, disputed while the jury deliberates
    disputed_task = disputed(WITH_RUBRIC, T0 + timedelta(seconds=30))
    # When the jury's answer completes the verdict
    verdict = only(
        decide(disputed_task, answer(helpful=("PASS", "0.9")), T0 + timedelta(minutes=1), POLICY), VerdictIssued
    )
    # Then the measured clause is INCONCLUSIVE (PASS would have stood), the others are decided
    outcomes = {r.clause_id: r.outcome for r in verdict.clause_results}
    assert outcomes == {"cites-order": Outcome.PASS, "fast": Outcome.INCONCLUSIVE, "helpful": Outcome.PASS}
    assert "disputed this report's measurements" in verdict.clause_results[1].detail
    assert verdict.clause_results[1].measured == "100"  # the reported figure stays on record


def test_a_dispute_dated_after_the_verdicts_time_changes_nothing():
    late = disputed(WITH_RUBRIC, T0 + timedelta(minutes=2))
    verdict = only(decide(late, answer(helpful=("PASS", "0.9")), T0 + timedelta(minutes=1), POLICY), VerdictIssued)
    assert verdict.clause_results[1].outcome is Outcome.PASS
    # A task decided at once (nothing to judge) is decided at the task's own time: a dispute,
    # which always comes later, never reaches it.
    at_once = only(decide(disputed(CHECKS_ONLY, T0 + timedelta(seconds=1)), None, T0, POLICY), VerdictIssued)
    assert at_once.outcome is Outcome.PASS


def test_a_call_the_gateway_lost_is_inconclusive_in_every_clause_without_asking_the_jury():
    lost = evaluation(
        WITH_RUBRIC,
        output="",
        provenance="gateway",
        latency_ms=301_000,
        agent_error=AgentError(kind="interrupted", message="the gateway restarted"),
    )
    verdict = only(decide(lost, None, T0, POLICY), VerdictIssued)
    assert verdict.outcome is Outcome.INCONCLUSIVE
    assert {r.outcome for r in verdict.clause_results} == {Outcome.INCONCLUSIVE}
    assert all("agent_error interrupted" in r.detail for r in verdict.clause_results)
    assert verdict.jury_status == "not_needed"
    # Another agent error is the agent's own failure: evaluated as recorded.
    timed_out = dataclasses.replace(lost, task=lost.task.model_copy(update={"agent_error": AgentError(kind="timeout")}))
    assert isinstance(decide(timed_out, None, T0, POLICY)[0], JuryRequested)

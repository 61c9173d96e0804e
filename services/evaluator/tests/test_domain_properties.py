"""Properties of decide() over random pacts and tasks: it is deterministic, an output that
satisfies every clause never fails, and one that breaks a must clause never passes."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from evaluator_testkit import POLICY, T0, accepted, completed
from pactline_evaluator.domain import Evaluation, JuryAnswer, RubricOutcome, decide
from pactline_evaluator.evaluating import payload_text
from pactline_events import JuryRequested, Outcome, TaskCompleted, VerdictIssued, canonical_json

# Each template: the clause (given whether the task will satisfy it) and what the task needs.
# The task is a JSON object {"text": ..., "n": ...} plus measurements, tools and jury answers.
TEMPLATES = [
    "contains",
    "not_contains",
    "regex",
    "length",
    "latency",
    "cost",
    "tools",
    "pii",
    "schema",
    "exact",
    "rubric",
]


def build(template: str, ok: bool, cid: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(clause fields, task contributions)."""
    if template == "contains":
        return {"kind": "contains", "values": ["alpha"]}, {"words": ["alpha"] if ok else []}
    if template == "not_contains":
        return {"kind": "not_contains", "values": ["omega"]}, {"words": [] if ok else ["omega"]}
    if template == "regex":
        return {"kind": "regex_required", "pattern": "ID-[0-9]{3}"}, {"words": ["ID-123"] if ok else []}
    if template == "length":
        return {"kind": "length_bounds", "max": 100_000 if ok else 1}, {}
    if template == "latency":
        return {"kind": "max_latency_ms", "limit_ms": 1000}, {"latency_ms": 10 if ok else 5000}
    if template == "cost":
        return {"kind": "max_cost", "limit_minor_units": 1000}, {"cost": 10 if ok else 5000}
    if template == "tools":
        return {"kind": "allowed_tools", "tools": ["search"]}, {"tools": ["search"] if ok else ["shell"]}
    if template == "pii":
        return {"kind": "no_pii"}, {"words": [] if ok else ["jane@example.com"]}
    if template == "schema":
        schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
        return {"kind": "json_schema", "schema": schema}, {"n": 5 if ok else "five"}
    if template == "exact":
        # Its own member of the output, so the schema template's "n" cannot interfere with it.
        return {"kind": "exact_match", "output_pointer": "/m"}, {"reference": "5" if ok else "6"}
    return {"kind": "rubric", "criterion": "helpful", "pass_threshold": "0.7"}, {
        "jury": {cid: ("PASS", "0.9") if ok else ("FAIL", "0.1")}
    }


@st.composite
def scenarios(draw):
    chosen = draw(st.lists(st.sampled_from(TEMPLATES), min_size=1, max_size=6, unique=True))
    cuts = sorted(draw(st.lists(st.integers(1, 99), min_size=len(chosen) - 1, max_size=len(chosen) - 1, unique=True)))
    weights = [b - a for a, b in zip([0, *cuts], [*cuts, 100], strict=True)]
    clauses, satisfied, task = [], [], {"words": [], "tools": [], "jury": {}, "n": 5}
    for index, (template, weight) in enumerate(zip(chosen, weights, strict=True)):
        ok = draw(st.booleans())
        severity = draw(st.sampled_from(["must", "should"]))
        cid = f"c{index}"
        fields, needs = build(template, ok, cid)
        clauses.append({"id": cid, "severity": severity, "weight": weight, "dimension": "accuracy", **fields})
        satisfied.append((severity, ok))
        for key, value in needs.items():
            if key in ("words", "tools"):
                task[key] += value
            elif key == "jury":
                task["jury"].update(value)
            else:
                task[key] = value
    threshold = draw(st.sampled_from(["0", "0.5", "0.8", "1"]))
    return clauses, satisfied, task, threshold


def run(clauses, task, threshold) -> tuple[VerdictIssued, bytes]:
    output = json.dumps({"text": " ".join(["reply", *task["words"]]), "n": task["n"], "m": 5})
    evaluation = Evaluation(
        accepted(clauses, threshold),
        completed(
            output,
            latency_ms=task.get("latency_ms", 10),
            cost=task.get("cost", 10),
            tool_calls=task["tools"],
            reference=task.get("reference"),
        ),
        T0,
    )
    events = decide(evaluation, None, T0, POLICY)
    if isinstance(events[0], JuryRequested):
        jury = JuryAnswer(T0, "panel-1", {k: RubricOutcome(Outcome(o), s) for k, (o, s) in task["jury"].items()})
        events = decide(evaluation, jury, T0, POLICY)
    (verdict,) = events
    assert isinstance(verdict, VerdictIssued)
    return verdict, canonical_json(verdict.model_dump(mode="json"))


@settings(max_examples=150, deadline=None)
@given(scenarios())
def test_verdicts_are_deterministic_and_follow_the_clauses(scenario):
    clauses, satisfied, task, threshold = scenario
    verdict, payload = run(clauses, task, threshold)
    assert run(clauses, task, threshold)[1] == payload
    if all(ok for _, ok in satisfied):
        assert verdict.outcome is not Outcome.FAIL
        assert verdict.outcome is Outcome.PASS  # sampling never leaves a must out; every result passed
    if any(severity == "must" and not ok for severity, ok in satisfied):
        assert verdict.outcome is not Outcome.PASS


@settings(max_examples=150, deadline=None)
@given(
    scenarios(),
    st.text(max_size=40),
    st.one_of(st.none(), st.text(max_size=10)),
    st.sampled_from(["gateway", "buyer_only"]),
)
def test_a_task_decides_the_same_as_the_text_it_is_stored_as(scenario, extra, reference, provenance):
    """A run of tasks is decided from the payloads just stored (evaluating.start); a parked or
    replayed task from the stored text. Both give the same task, so the same verdict bytes."""
    clauses, _, task, threshold = scenario
    output = json.dumps({"text": " ".join(["reply", *task["words"], extra]), "n": task["n"], "m": 5})
    payload = completed(
        output,
        tool_calls=task["tools"],
        reference=reference,
        provenance=provenance,
        latency_ms=task.get("latency_ms", 10),
    )
    stored = TaskCompleted.model_validate_json(payload_text(payload))
    assert stored == payload
    pact = accepted(clauses, threshold)
    decided = [decide(Evaluation(pact, t, T0), None, T0, POLICY)[0] for t in (payload, stored)]
    assert canonical_json(decided[0].model_dump(mode="json")) == canonical_json(decided[1].model_dump(mode="json"))

"""Whose word may produce a FAIL: the buyer alone never can, on measured clauses."""

from __future__ import annotations

import pytest

from evaluator_testkit import clause, completed, evidence
from pactline_evaluator.checks import run_check
from pactline_evaluator.evidence import PROVENANCE_FIELD, provenance_of, task_evidence
from pactline_evaluator.provenance import MEASURED_KINDS, apply_provenance, can_fail
from pactline_events import Outcome

SLOW = ("max_latency_ms", {"limit_ms": 100}, {"latency_ms": 10**12})
PRICEY = ("max_cost", {"limit_minor_units": 100}, {"cost": 10**12})
HUNGRY = ("max_tokens", {"limit_tokens": 10, "scope": "total"}, {"total_tokens": 10**9})
FORBIDDEN_CALL = ("forbidden_tools", {"tools": ["rm"]}, {"tool_names": ("rm",)})


def _judge(case, provenance):
    kind, fields, changes = case
    return apply_provenance(kind, run_check(clause(kind, **fields), evidence(**changes)), provenance)


@pytest.mark.parametrize("case", [SLOW, PRICEY, HUNGRY, FORBIDDEN_CALL], ids=lambda c: c[0])
@pytest.mark.parametrize(("provenance", "outcome"), [("gateway", Outcome.FAIL), ("countersigned", Outcome.FAIL)])
def test_measured_failures_are_decisive_with_platform_or_countersigned_evidence(case, provenance, outcome):
    assert _judge(case, provenance).outcome is outcome


@pytest.mark.parametrize("case", [SLOW, PRICEY, HUNGRY, FORBIDDEN_CALL], ids=lambda c: c[0])
def test_a_buyer_only_report_cannot_produce_a_measured_fail(case):
    result = _judge(case, "buyer_only")
    assert result.outcome is Outcome.INCONCLUSIVE
    assert "buyer alone" in result.detail
    assert "would fail" in result.detail


def test_a_buyer_only_report_still_confirms_a_pass_and_output_clauses_still_fail():
    fast = ("max_latency_ms", {"limit_ms": 100}, {"latency_ms": 5})
    assert _judge(fast, "buyer_only").outcome is Outcome.PASS
    leaked = apply_provenance("no_pii", run_check(clause("no_pii"), evidence("a@example.com")), "buyer_only")
    assert leaked.outcome is Outcome.FAIL  # the output's digest is the provider's own commitment


def test_only_gateway_and_countersigned_are_decisive():
    assert all(can_fail(kind, "gateway") and can_fail(kind, "countersigned") for kind in MEASURED_KINDS)
    assert not any(can_fail(kind, "buyer_only") for kind in MEASURED_KINDS)


def test_v1_tasks_without_the_field_count_as_buyer_only():
    assert not hasattr(completed(), PROVENANCE_FIELD)
    assert task_evidence(completed()).provenance == "buyer_only"


class _V2Task:
    """Stand-in for TaskCompleted v2 (issue 10), which adds the provenance field."""

    def __init__(self, provenance):
        self.provenance = provenance


@pytest.mark.parametrize(
    ("value", "expected"),
    [("gateway", "gateway"), ("countersigned", "countersigned"), ("buyer_only", "buyer_only"), ("other", "buyer_only")],
)
def test_provenance_is_read_from_the_v2_field_and_unknown_values_count_as_buyer_only(value, expected):
    assert provenance_of(_V2Task(value)) == expected

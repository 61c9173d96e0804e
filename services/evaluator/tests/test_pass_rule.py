"""The pass rule: must clauses gate, weights decide, INCONCLUSIVE only when it could matter."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pactline_evaluator.pass_rule import Scored, outcome, score_text, weights
from pactline_events import Outcome

P, F, U = Outcome.PASS, Outcome.FAIL, Outcome.INCONCLUSIVE  # U: undecided


def s(severity: str, weight: int, result: Outcome, evaluated: bool = True) -> Scored:
    return Scored(severity, weight, result, evaluated)


@pytest.mark.parametrize(
    ("results", "threshold", "expected"),
    [
        ([s("must", 60, P), s("should", 40, P)], "1", P),
        ([s("must", 60, F), s("should", 40, P)], "0", F),  # a failed must clause always fails
        ([s("must", 60, P), s("should", 40, F)], "0.6", P),  # exactly at the threshold
        ([s("must", 60, P), s("should", 40, F)], "0.6001", F),
        ([s("must", 60, U), s("should", 40, P)], "0.5", U),  # an undecided must clause could go either way
        ([s("must", 60, P), s("should", 10, U), s("should", 30, P)], "0.9", P),  # 90 even if it fails
        ([s("must", 60, P), s("should", 10, U), s("should", 30, F)], "0.8", F),  # 70 even if it passes
        ([s("must", 60, P), s("should", 20, U), s("should", 20, P)], "0.9", U),  # 80 or 100
        # A should clause left out by sampling counts in neither the score nor the total.
        ([s("must", 60, P), s("should", 40, U, evaluated=False)], "1", P),
        ([s("should", 100, U, evaluated=False)], "0", U),
    ],
)
def test_outcome(results, threshold, expected):
    assert outcome(results, Decimal(threshold)) is expected


def test_weights_and_score_are_exact_and_rounded_down():
    results = [s("must", 1, P), s("should", 2, F), s("should", 97, P, evaluated=False)]
    assert weights(results) == (1, 3)
    assert score_text(1, 3) == "0.3333"
    assert score_text(2, 3) == "0.6666"
    assert score_text(100, 100) == "1"
    assert score_text(0, 0) == "0"

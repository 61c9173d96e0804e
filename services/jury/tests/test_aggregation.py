"""Aggregation: majority, quorum, agreement, the flagged-output rule, median and trimmed mean."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pactline_events.jury_events import InconclusiveReason as R
from pactline_events.types import Outcome
from pactline_jury.aggregation import Ballot, central_score, decide_clause, decimal_text, median, trimmed_mean
from pactline_jury.panel import PanelPolicy

P, F, INC = Outcome.PASS, Outcome.FAIL, Outcome.INCONCLUSIVE
POLICY = PanelPolicy(quorum=2, min_agreement="0.6")


def ballots(*verdicts):
    return [Ballot(v, Decimal("0.9") if v is P else Decimal("0.1")) for v in verdicts]


@pytest.mark.parametrize(
    ("votes", "seated", "flagged", "outcome", "reason"),
    [
        ((F, F, P), 3, False, F, None),  # one always-pass judge cannot flip a FAIL
        ((P, P, F), 3, False, P, None),
        ((P, P), 3, False, P, None),  # one judge timed out, the other two decide
        ((P,), 3, False, INC, R.VOTES_BELOW_QUORUM),  # a lone vote is not a panel
        ((), 3, False, INC, R.VOTES_BELOW_QUORUM),  # every judge down
        ((P,), 1, False, INC, R.PANEL_BELOW_QUORUM),
        ((P, F), 3, False, INC, R.TIE),
        ((P, P, P, F, F), 5, False, P, None),  # 0.6 meets min_agreement 0.6
        ((P, P), 5, True, INC, R.FLAGGED_WITHOUT_PANEL_MAJORITY),  # compromised minority on a flagged output
        ((P, P), 5, False, P, None),  # the same votes on a clean output
        ((P, P, P), 5, True, P, None),  # a majority of every seated judge may pass a flagged output
        ((F, F), 5, True, F, None),  # the flagged rule only ever blocks a PASS
    ],
)
def test_rules(votes, seated, flagged, outcome, reason):
    decision = decide_clause(ballots(*votes), seated=seated, flagged=flagged, policy=POLICY)
    assert (decision.outcome, decision.reason) == (outcome, reason)
    assert decision.valid_votes == len(votes)
    assert decision.quorum == 2


def test_low_agreement_is_inconclusive():
    policy = PanelPolicy(quorum=2, min_agreement="0.75")
    decision = decide_clause(ballots(P, P, F), seated=3, flagged=False, policy=policy)
    assert (decision.outcome, decision.reason, decimal_text(decision.agreement)) == (INC, R.LOW_AGREEMENT, "0.6667")


def test_median_below_five_votes_trimmed_mean_from_five():
    assert central_score([Decimal("0.1"), Decimal("0.9"), Decimal("0.8")], POLICY) == Decimal("0.8000")
    five = [Decimal(x) for x in ("0", "0.7", "0.8", "0.9", "1")]  # drops 0 and 1
    assert central_score(five, POLICY) == Decimal("0.8000")
    assert median([Decimal("0.2"), Decimal("0.5")]) == Decimal("0.35")
    ten = [Decimal(n) / 10 for n in range(10)]  # drops 0, 0.1 and 0.8, 0.9
    assert trimmed_mean(ten, Decimal("0.2")) == Decimal("0.45")


@given(st.lists(st.sampled_from([P, F]), max_size=9), st.integers(min_value=0, max_value=12), st.booleans())
def test_never_pass_without_a_strict_majority_of_valid_votes(votes, extra_seats, flagged):
    seated = len(votes) + extra_seats
    decision = decide_clause(ballots(*votes), seated=seated, flagged=flagged, policy=POLICY)
    passes = votes.count(P)
    if decision.outcome is P:
        assert passes > len(votes) - passes
        assert len(votes) >= POLICY.quorum
        if flagged:
            assert 2 * passes > seated
    if decision.outcome is INC:
        assert decision.reason is not None
    else:
        assert decision.reason is None


@given(st.lists(st.decimals(min_value=0, max_value=1, places=3), min_size=1, max_size=12))
def test_central_score_stays_within_the_votes(scores):
    score = central_score(scores, POLICY)
    assert min(scores) - Decimal("0.0001") <= score <= max(scores) + Decimal("0.0001")
    assert "E" not in decimal_text(score)

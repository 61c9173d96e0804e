"""From the judges' votes on one clause to the clause's outcome, score and agreement.

Pure, Decimal only. The rules, in order (docs/jury.md, "Aggregation"):
1. fewer seated judges than the quorum: INCONCLUSIVE (panel_below_quorum);
2. fewer valid votes than the quorum: INCONCLUSIVE (votes_below_quorum);
3. as many PASS as FAIL: INCONCLUSIVE (tie);
4. the majority's share of the valid votes under min_agreement: INCONCLUSIVE (low_agreement);
5. a PASS majority on a flagged output that is not also a majority of every seated judge
   (invalid, discarded and silent judges count against it): INCONCLUSIVE
   (flagged_without_panel_majority). So a compromised minority can never carry it to PASS.
Otherwise the majority decides. The score is the median of the valid scores, or their trimmed
mean once there are ``trimmed_mean_min_votes`` of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_EVEN, Decimal

from pactline_events.jury_events import InconclusiveReason
from pactline_events.types import Outcome

from .panel import PanelPolicy

PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class Ballot:
    """A valid vote; judges without one are counted through ``seated``."""

    verdict: Outcome
    score: Decimal


@dataclass(frozen=True)
class ClauseDecision:
    outcome: Outcome
    score: Decimal | None
    agreement: Decimal | None
    valid_votes: int
    quorum: int
    reason: InconclusiveReason | None


def quantize(value: Decimal) -> Decimal:
    return value.quantize(PLACES, rounding=ROUND_HALF_EVEN)


def decimal_text(value: Decimal) -> str:
    """Plain positional notation (never an exponent), as the events' DecimalStr requires."""
    return format(value, "f")


def median(values: Sequence[Decimal]) -> Decimal:
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[mid]
    return (ordered[mid - 1] + ordered[mid]) / 2


def trimmed_mean(values: Sequence[Decimal], ratio: Decimal) -> Decimal:
    ordered = sorted(values)
    cut = int((Decimal(len(ordered)) * ratio).to_integral_value(rounding=ROUND_FLOOR))
    kept = ordered[cut : len(ordered) - cut]
    return sum(kept, Decimal(0)) / len(kept)


def central_score(scores: Sequence[Decimal], policy: PanelPolicy) -> Decimal | None:
    if not scores:
        return None
    if len(scores) >= policy.trimmed_mean_min_votes:
        return quantize(trimmed_mean(scores, Decimal(policy.trim_ratio)))
    return quantize(median(scores))


def decide_clause(ballots: Sequence[Ballot], *, seated: int, flagged: bool, policy: PanelPolicy) -> ClauseDecision:
    quorum = policy.quorum
    valid = len(ballots)
    passes = sum(1 for b in ballots if b.verdict is Outcome.PASS)
    fails = valid - passes
    score = central_score([b.score for b in ballots], policy)
    agreement = quantize(Decimal(max(passes, fails)) / valid) if valid else None

    def inconclusive(reason: InconclusiveReason) -> ClauseDecision:
        return ClauseDecision(Outcome.INCONCLUSIVE, score, agreement, valid, quorum, reason)

    if seated < quorum:
        return inconclusive(InconclusiveReason.PANEL_BELOW_QUORUM)
    if valid < quorum:
        return inconclusive(InconclusiveReason.VOTES_BELOW_QUORUM)
    if passes == fails:
        return inconclusive(InconclusiveReason.TIE)
    # Compared unrounded, so 2 of 3 meets a 0.6667 threshold exactly when 2/3 does.
    if Decimal(max(passes, fails)) / valid < Decimal(policy.min_agreement):
        return inconclusive(InconclusiveReason.LOW_AGREEMENT)
    if passes > fails and flagged and 2 * passes <= seated:
        return inconclusive(InconclusiveReason.FLAGGED_WITHOUT_PANEL_MAJORITY)
    outcome = Outcome.PASS if passes > fails else Outcome.FAIL
    return ClauseDecision(outcome, score, agreement, valid, quorum, None)

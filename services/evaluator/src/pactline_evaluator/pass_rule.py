"""The pass rule over clause results (docs/evaluation.md, "Pass rule"); exact integer and
decimal arithmetic only."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from pactline_events import Outcome
from pactline_pacts.fields import decimal_text


@dataclass(frozen=True, slots=True)
class Scored:
    """What the rule reads of one clause result."""

    severity: str
    weight: int
    outcome: Outcome
    evaluated: bool


def _passes(results: Sequence[Scored], threshold: Decimal, inconclusive_passes: bool) -> bool:
    def ok(result: Scored) -> bool:
        return result.outcome is Outcome.PASS or (inconclusive_passes and result.outcome is Outcome.INCONCLUSIVE)

    counted = [r for r in results if r.evaluated]
    if any(r.severity == "must" and not ok(r) for r in counted):
        return False
    passed = sum(r.weight for r in counted if ok(r))
    total = sum(r.weight for r in counted)
    return passed >= threshold * total


def outcome(results: Sequence[Scored], threshold: Decimal) -> Outcome:
    """PASS when even the worst case (every INCONCLUSIVE failing) passes, FAIL when even the
    best case (every INCONCLUSIVE passing) fails, INCONCLUSIVE otherwise."""
    if not any(r.evaluated for r in results):
        return Outcome.INCONCLUSIVE
    if _passes(results, threshold, inconclusive_passes=False):
        return Outcome.PASS
    if not _passes(results, threshold, inconclusive_passes=True):
        return Outcome.FAIL
    return Outcome.INCONCLUSIVE


def weights(results: Sequence[Scored]) -> tuple[int, int]:
    """(passed weight, evaluated weight)."""
    counted = [r for r in results if r.evaluated]
    return sum(r.weight for r in counted if r.outcome is Outcome.PASS), sum(r.weight for r in counted)


def score_text(passed: int, total: int) -> str:
    """passed / total with 4 decimal places, rounded down; "0" when nothing was evaluated."""
    if total == 0:
        return "0"
    return decimal_text((Decimal(passed) / Decimal(total)).quantize(Decimal("0.0001"), rounding=ROUND_DOWN))

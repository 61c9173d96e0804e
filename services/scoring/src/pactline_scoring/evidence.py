"""What one event says about an agent, before decay and caps: the formula's inputs.

Pure: payloads and event times in, integer micro-unit contributions out (docs/scoring.md,
"From events to evidence").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from pactline_events import EscrowSettled, PactAccepted, VerdictIssued

from .formula import ECONOMIC, MICRO, QUALITY_DIMENSIONS, FormulaParams

RELIABILITY = "reliability"


class Contribution(NamedTuple):
    """Raw evidence for one dimension, in micro-units: passes, failures and erased passes.

    Contributions and evidence are named tuples, not frozen dataclasses: a rebuild makes
    several per event, and a tuple is built several times faster (immutable all the same).
    """

    dimension: str
    passed: int = 0
    failed: int = 0
    burned: int = 0


class Evidence(NamedTuple):
    """One verdict or settlement, reduced to what the formula reads."""

    event_id: str
    kind: str  # "verdict" or "settlement"
    acceptance_id: str
    agent_id: str | None  # the verdict's own agent_id; None for settlements
    occurred_at: datetime
    contributions: tuple[Contribution, ...]


@dataclass(frozen=True)
class AcceptanceFacts:
    """Who stands behind an acceptance: the agent, the buyer, and whether it is self-dealt."""

    acceptance_id: str
    agent_id: str
    buyer_id: str
    self_dealt: bool


def acceptance_facts(payload: PactAccepted) -> AcceptanceFacts:
    # An operator buying from its own agent, under its own id or its own address, proves nothing.
    self_dealt = (
        payload.buyer_id == payload.operator_id or payload.buyer_address.lower() == payload.provider_address.lower()
    )
    return AcceptanceFacts(payload.acceptance_id, payload.agent_id, payload.buyer_id, self_dealt)


def escrow_weight(price: int, params: FormulaParams, parts: int, whole: int) -> int:
    """floor(10^6 * p^2 / (p^2 + P^2) * parts / whole): dust stakes weigh quadratically little."""
    square = price * price
    return (MICRO * square * parts) // ((square + params.price_half * params.price_half) * whole)


def verdict_evidence(event_id: str, occurred_at: datetime, verdict: VerdictIssued, params: FormulaParams) -> Evidence:
    """Only a PASS earns credit; FAIL and INCONCLUSIVE verdicts contribute their failures only.

    Per dimension, the verdict's weight p^2/(p^2+P^2) is split between passes and failures in
    the ratio of the clause weights. INCONCLUSIVE clauses are left out, except in reliability,
    where they count as failures next to the outcome itself (weight ``outcome_weight``); so are
    clauses the evaluator's sampling did not evaluate (``evaluated`` false).
    """
    passed_w = dict.fromkeys(QUALITY_DIMENSIONS, 0)
    failed_w = dict.fromkeys(QUALITY_DIMENSIONS, 0)
    earns = verdict.outcome == "PASS"
    for result in verdict.clause_results:
        dim, weight, outcome = result.dimension, result.weight, result.outcome
        if dim not in passed_w or weight == 0 or not result.evaluated:
            continue  # an unknown dimension, or a clause sampling left out, feeds nothing
        if outcome == "PASS":
            if earns:
                passed_w[dim] += weight
        elif outcome == "FAIL" or dim == RELIABILITY:
            failed_w[dim] += weight
    if earns:
        passed_w[RELIABILITY] += params.outcome_weight
    else:
        failed_w[RELIABILITY] += params.outcome_weight
    square = verdict.price * verdict.price
    denominator = square + params.price_half * params.price_half
    contributions = []
    for dim in QUALITY_DIMENSIONS:
        wp, wf = passed_w[dim], failed_w[dim]
        whole = (wp + wf) * denominator
        if whole == 0:
            continue
        # escrow_weight(price, params, w, wp + wf), with the shared factors computed once
        passed = (MICRO * square * wp) // whole
        failed = (MICRO * square * wf) // whole
        if passed or failed:
            contributions.append(Contribution(dim, passed, failed))
    return Evidence(event_id, "verdict", verdict.acceptance_id, verdict.agent_id, occurred_at, tuple(contributions))


def settlement_evidence(event_id: str, occurred_at: datetime, settled: EscrowSettled) -> Evidence:
    """Released escrow is economic commitment; refunded escrow counts against it and erases
    as many micro-units of positive evidence in every quality dimension (lost escrow speeds
    forgetting). Held escrow is not settled and counts for nothing yet."""
    contributions: list[Contribution] = []
    if settled.released or settled.refunded:
        contributions.append(Contribution(ECONOMIC, passed=settled.released, failed=settled.refunded))
    if settled.refunded:
        contributions.extend(Contribution(dim, burned=settled.refunded) for dim in QUALITY_DIMENSIONS)
    return Evidence(event_id, "settlement", settled.acceptance_id, None, occurred_at, tuple(contributions))

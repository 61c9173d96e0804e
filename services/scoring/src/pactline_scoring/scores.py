"""Reading a score: decayed, capped evidence totals at an as_of time -> dimensions, composite,
confidence and tier. Pure integer arithmetic (docs/scoring.md, "From totals to a score")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pactline_events.types import format_timestamp

from .formula import DIMENSIONS, MICRO, TIERS, WEIGHT_TOTAL, FormulaParams, growth, seconds_since_epoch
from .lower_bound import lower_bound_micro


def micro_str(value: int) -> str:
    """Millionths as a decimal string with six places: 146446 -> "0.146446"."""
    sign = "-" if value < 0 else ""
    whole, frac = divmod(abs(value), MICRO)
    return f"{sign}{whole}.{frac:06d}"


@dataclass(frozen=True)
class Totals:
    """Sums over an agent's cells of capped evidence, each term scaled by G(its time)."""

    passed: int = 0
    failed: int = 0
    burned: int = 0


@dataclass(frozen=True)
class DimensionFigures:
    alpha: int  # micro-units: decayed passes left after erasures
    beta: int  # micro-units: the prior's k plus decayed failures
    mean: int  # millionths
    lower_bound: int  # millionths
    evidence: int  # micro-units of decayed evidence (alpha + beta - k)
    confidence: int  # millionths

    def to_json(self) -> dict[str, str]:
        return {
            "alpha": micro_str(self.alpha),
            "beta": micro_str(self.beta),
            "mean": micro_str(self.mean),
            "lower_bound": micro_str(self.lower_bound),
            "evidence": micro_str(self.evidence),
        }


@dataclass(frozen=True)
class Counters:
    verdicts: int = 0
    self_dealt_verdicts: int = 0
    settlements: int = 0
    buyers: int = 0
    released: int = 0
    refunded: int = 0


@dataclass(frozen=True)
class AgentScore:
    agent_id: str
    as_of: datetime
    composite: int
    confidence: int
    tier: str
    dimensions: dict[str, DimensionFigures]
    counters: Counters

    def to_json(self) -> dict[str, Any]:
        """The agent's entry in a snapshot (and the body of the Trust Oracle's answers)."""
        return {
            "agent_id": self.agent_id,
            "as_of": format_timestamp(self.as_of),
            "composite": self.composite,
            "confidence": self.confidence,
            "tier": self.tier,
            "dimensions": {dim: fig.to_json() for dim, fig in self.dimensions.items()},
            "verdicts": self.counters.verdicts,
            "self_dealt_verdicts": self.counters.self_dealt_verdicts,
            "settlements": self.counters.settlements,
            "buyers": self.counters.buyers,
            "released": self.counters.released,
            "refunded": self.counters.refunded,
        }


def tier_of(composite: int, confidence: int, has_evidence: bool, params: FormulaParams) -> str:
    if not has_evidence:
        return "unrated"
    if confidence < params.provisional_below:
        return "provisional"
    return next(name for name, floor in TIERS if composite >= floor)


def evaluate(
    agent_id: str, totals: dict[str, Totals], counters: Counters, as_of: datetime, params: FormulaParams
) -> AgentScore:
    """The score of one agent at ``as_of`` from totals that hold only evidence up to ``as_of``."""
    seconds = seconds_since_epoch(as_of)
    g = growth(max(seconds, 0), params.half_life_s)
    q = MICRO * g  # a dimension's alpha in units is a_num / q
    figures: dict[str, DimensionFigures] = {}
    composite_sum = confidence_sum = 0
    has_evidence = False
    for dim in DIMENSIONS:
        t = totals.get(dim, Totals())
        a_num = max(0, t.passed - t.burned)
        b_num = t.failed + params.prior_failures_micro * g
        evidence_num = a_num + t.failed
        lower = lower_bound_micro(a_num, b_num, q)
        confidence = (MICRO * evidence_num) // (evidence_num + params.confidence_half_micro * g)
        figures[dim] = DimensionFigures(
            alpha=a_num // g,
            beta=b_num // g,
            mean=(MICRO * a_num) // (a_num + b_num),
            lower_bound=lower,
            evidence=evidence_num // g,
            confidence=confidence,
        )
        weight = params.weights[dim]
        composite_sum += weight * lower
        confidence_sum += weight * confidence
        has_evidence = has_evidence or evidence_num > 0
    scale = WEIGHT_TOTAL * MICRO // 1000
    composite = composite_sum // scale
    confidence = confidence_sum // scale
    return AgentScore(
        agent_id=agent_id,
        as_of=as_of,
        composite=composite,
        confidence=confidence,
        tier=tier_of(composite, confidence, has_evidence, params),
        dimensions=figures,
        counters=counters,
    )

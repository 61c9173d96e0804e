"""The published trust formula's version, parameters and time scale (docs/scoring.md).

Everything here is integer arithmetic an auditor can redo in any language with big integers:
evidence is counted in micro-units (10^-6 of one unit), time in whole seconds since the epoch.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

from pactline_events import sha256_hex

FORMULA_VERSION = "pactline-trust/1"
MICRO = 1_000_000
"""Evidence, lower bounds and confidences are integers in millionths."""

QUALITY_DIMENSIONS: tuple[str, ...] = (
    "accuracy",
    "safety",
    "reliability",
    "latency",
    "cost",
    "format_compliance",
    "security",
)
"""The dimensions a pact clause can feed (pactline_pacts.clauses.Dimension)."""
ECONOMIC = "economic_commitment"
DIMENSIONS: tuple[str, ...] = (*QUALITY_DIMENSIONS, ECONOMIC)

DEFAULT_WEIGHTS: dict[str, int] = {
    "accuracy": 25,
    "safety": 20,
    "reliability": 15,
    "security": 10,
    "economic_commitment": 10,
    "format_compliance": 8,
    "latency": 7,
    "cost": 5,
}
WEIGHT_TOTAL = 100

EPOCH = datetime(2025, 1, 1, tzinfo=UTC)
"""Time zero of the growth function; verdicts and settlements before it count for nothing."""

TIERS: tuple[tuple[str, int], ...] = (("platinum", 800), ("gold", 600), ("silver", 400), ("bronze", 0))


class InvalidFormulaParams(ValueError):
    """A configured parameter would break a published property of the formula."""


@dataclass(frozen=True)
class FormulaParams:
    """Every number the formula uses. Published at GET /v1/formula; its digest is in each snapshot."""

    half_life_s: int = 30 * 86_400
    """Evidence loses half its weight every half-life; it is also the length of a cap period."""
    prior_failures_micro: int = 2 * MICRO
    """k: the prior is Beta(0, k), so an agent with no evidence scores 0 and decay pulls towards 0."""
    price_half: int = 100_000
    """P (USDC minor units): a verdict at price p weighs p^2 / (p^2 + P^2) units."""
    buyer_cap_micro: int = MICRO // 2
    """C: evidence one buyer can add to one dimension per cap period, valued at the period's end."""
    burn_cap_micro: int = MICRO // 2
    """B: positive evidence one buyer's lost escrow can erase per dimension per cap period."""
    outcome_weight: int = 100
    """Weight of the verdict's outcome among the reliability results."""
    confidence_half_micro: int = 10 * MICRO
    """Evidence (units) at which a dimension's confidence is one half."""
    provisional_below: int = 250
    """Confidence (0-1000) under which the tier is 'provisional' whatever the composite."""
    weights: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))

    def __post_init__(self) -> None:
        if set(self.weights) != set(DIMENSIONS) or sum(self.weights.values()) != WEIGHT_TOTAL:
            raise InvalidFormulaParams(f"weights must name exactly {DIMENSIONS} and add up to {WEIGHT_TOTAL}")
        if any(w < 0 for w in self.weights.values()):
            raise InvalidFormulaParams("weights must not be negative")
        positive = ("half_life_s", "prior_failures_micro", "price_half", "confidence_half_micro", "outcome_weight")
        for name in positive:
            if getattr(self, name) <= 0:
                raise InvalidFormulaParams(f"{name} must be positive, got {getattr(self, name)}")
        for name in ("buyer_cap_micro", "burn_cap_micro", "provisional_below"):
            if getattr(self, name) < 0:
                raise InvalidFormulaParams(f"{name} must not be negative, got {getattr(self, name)}")

    def published(self) -> dict[str, object]:
        """The parameters as JSON data (what GET /v1/formula shows and the digest covers)."""
        return {"formula_version": FORMULA_VERSION, "epoch": "2025-01-01T00:00:00.000000Z", **asdict(self)}

    @property
    def digest(self) -> str:
        return sha256_hex(self.published())


def seconds_since_epoch(when: datetime) -> int:
    """Whole seconds from EPOCH to ``when`` (floored; negative before the epoch)."""
    delta = when - EPOCH
    return delta.days * 86_400 + delta.seconds


def growth(seconds: int, half_life_s: int) -> int:
    """G(n) = 2^q * (H + r) with n = q*H + r: doubles every half-life, linear in between.

    Evidence of time t is stored as weight * G(t) and read at time T as that / G(T), so every
    piece of evidence shrinks by the same factor as time passes (which keeps 'time alone never
    raises a score' exact) and halves every H seconds.
    """
    if seconds < 0:
        raise ValueError("growth is defined from the epoch on")
    q, r = divmod(seconds, half_life_s)
    return (half_life_s + r) << q


def period_of(seconds: int, half_life_s: int) -> int:
    """The cap period (one half-life long, counted from the epoch) that contains ``seconds``."""
    return seconds // half_life_s


def period_end_growth(period: int, half_life_s: int) -> int:
    """G at the end of ``period``: caps are valued there, so they bind the same way all period."""
    return half_life_s << (period + 1)

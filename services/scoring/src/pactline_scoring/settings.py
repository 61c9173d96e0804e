"""scoring configuration from the environment (PACTLINE_*): the shared service settings, read once."""

from __future__ import annotations

import dataclasses

from pydantic import Field

from pactline_events import TopicSpec
from pactline_events.topics import ACCEPTANCES, ESCROW, VERDICTS
from pactline_service import ServiceSettings

from .formula import FormulaParams

_DEFAULTS = FormulaParams()


class ScoringSettings(ServiceSettings):
    """The formula's parameters (published at GET /v1/formula), the oracle's limits, and where to read."""

    scoring_half_life_s: int = Field(_DEFAULTS.half_life_s, ge=3600, description="PACTLINE_SCORING_HALF_LIFE_S")
    scoring_buyer_cap_micro: int = Field(
        _DEFAULTS.buyer_cap_micro, ge=0, description="PACTLINE_SCORING_BUYER_CAP_MICRO"
    )
    scoring_burn_cap_micro: int = Field(_DEFAULTS.burn_cap_micro, ge=0, description="PACTLINE_SCORING_BURN_CAP_MICRO")
    scoring_price_half: int = Field(_DEFAULTS.price_half, ge=1, description="PACTLINE_SCORING_PRICE_HALF")
    scoring_announce: bool = Field(True, description="PACTLINE_SCORING_ANNOUNCE: emit TrustScoreUpdated")
    scoring_topic_prefix: str = Field(
        "",
        max_length=100,
        description="PACTLINE_SCORING_TOPIC_PREFIX: read prefixed copies of the topics (tests, bench)",
    )
    scoring_rate_per_s: float = Field(20.0, gt=0, description="PACTLINE_SCORING_RATE_PER_S: requests per client IP")
    scoring_rate_burst: int = Field(40, ge=1, description="PACTLINE_SCORING_RATE_BURST")

    def formula(self) -> FormulaParams:
        return FormulaParams(
            half_life_s=self.scoring_half_life_s,
            buyer_cap_micro=self.scoring_buyer_cap_micro,
            burn_cap_micro=self.scoring_burn_cap_micro,
            price_half=self.scoring_price_half,
        )

    def topics(self) -> tuple[TopicSpec, ...]:
        return tuple(
            dataclasses.replace(spec, name=self.scoring_topic_prefix + spec.name)
            for spec in (ACCEPTANCES, VERDICTS, ESCROW)
        )

"""Events of scoring: an agent's trust score changed."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from .envelope import EventPayload
from .types import DecimalStr, Identifier, Sha256Hex, UtcDatetime


class DimensionScore(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    alpha: DecimalStr
    beta: DecimalStr
    mean: DecimalStr
    lower_bound: DecimalStr | None = Field(
        default=None, description="Lower credible bound the composite is built from; null only in upcast v1 events"
    )


class TrustScoreUpdated(EventPayload):
    """An agent's published trust figures changed (docs/scoring.md).

    v2 adds the lower bounds, confidence, tier and the digest of the formula's parameters;
    v1 events are upcast with those left null (v1 never carried them).
    """

    event_type = "TrustScoreUpdated"
    schema_version = 2

    agent_id: Identifier
    formula_version: str = Field(min_length=1, max_length=32)
    composite: int = Field(ge=0, le=1000)
    dimensions: dict[str, DimensionScore]
    verdict_count: int = Field(ge=0)
    as_of: UtcDatetime = Field(description="Event time of the last event folded into the score")
    confidence: int | None = Field(default=None, ge=0, le=1000)
    tier: str | None = Field(default=None, pattern=r"^(unrated|provisional|bronze|silver|gold|platinum)$")
    params_digest: Sha256Hex | None = Field(default=None, description="SHA-256 of the formula parameters used")

"""Events of scoring: an agent's trust score changed."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from .envelope import EventPayload
from .types import DecimalStr, Identifier, UtcDatetime


class DimensionScore(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    alpha: DecimalStr
    beta: DecimalStr
    mean: DecimalStr


class TrustScoreUpdated(EventPayload):
    event_type = "TrustScoreUpdated"

    agent_id: Identifier
    formula_version: str = Field(min_length=1, max_length=32)
    composite: int = Field(ge=0, le=1000)
    dimensions: dict[str, DimensionScore]
    verdict_count: int = Field(ge=0)
    as_of: UtcDatetime = Field(description="Event time of the last event folded into the score")

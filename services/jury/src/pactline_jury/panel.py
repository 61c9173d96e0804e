"""The panel's configuration: judges (litellm model strings) and the policy that aggregates them.

Owned by the platform: read from a file and the environment (settings.load_panel), never from
a pact or an operator. Every field is an integer or a decimal string, so the configuration has
one canonical JSON form and ``panel_version`` names exactly the panel that judged.
"""

from __future__ import annotations

import os
from decimal import Decimal
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from pactline_events import sha256_hex
from pactline_events.types import DecimalStr, Identifier, ModelFamily

EnvName = str  # the NAME of an environment variable; a secret's value never sits in config


class JudgeConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    judge_id: Identifier
    model: str = Field(min_length=1, max_length=200, description='litellm model string, e.g. "openai/gpt-4o-mini"')
    family: ModelFamily
    api_base: str | None = Field(None, description="Endpoint, for local or self-hosted servers (vLLM, Ollama)")
    api_base_env: EnvName | None = Field(None, description="Variable that overrides api_base when set")
    api_key_env: EnvName | None = Field(None, description="Variable holding the API key")
    provider: str | None = Field(
        None,
        max_length=100,
        description="Circuit-breaker key; default: endpoint host and model, else the litellm provider",
    )
    timeout_ms: int = Field(20_000, ge=50, le=600_000, description="Deadline for the whole judgment, retries included")
    input_price: int = Field(ge=0, description="Micro-USD per million input tokens")
    output_price: int = Field(ge=0, description="Micro-USD per million output tokens")
    max_output_tokens: int = Field(300, ge=16, le=4096)
    json_mode: Literal["auto", "on", "off"] = Field(
        "auto",
        description="Ask for response_format json_object: when litellm says the model supports it, always, never",
    )
    simulated: bool = Field(False, description="Answered by the project's simulated judge server")

    @field_validator("api_base_env", "api_key_env")
    @classmethod
    def _env_name(cls, value: str | None) -> str | None:
        if value is not None and not value.replace("_", "").isalnum():
            raise ValueError(f"{value!r} is not an environment variable name")
        return value

    def endpoint(self) -> str | None:
        if self.api_base_env and os.environ.get(self.api_base_env):
            return os.environ[self.api_base_env]
        return self.api_base

    def provider_key(self) -> str:
        """Failures of one provider open one breaker for all its judges, not for the others."""
        if self.provider:
            return self.provider
        endpoint = self.endpoint()
        if endpoint:  # one server may host several models (vLLM, the simulated judges): one breaker each
            return f"{urlsplit(endpoint).netloc or endpoint}/{self.model}"
        return self.model.split("/", 1)[0] if "/" in self.model else self.model


class PanelPolicy(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    quorum: int = Field(2, ge=1, description="Valid votes a clause needs; fewer is INCONCLUSIVE")
    min_agreement: DecimalStr = Field("0.6", description="Share of valid votes the majority needs")
    trim_ratio: DecimalStr = Field("0.2", description="Dropped from each end for the trimmed mean")
    trimmed_mean_min_votes: int = Field(5, ge=3, description="Below this the score is the median")
    task_budget: int = Field(50_000, ge=0, description="Micro-USD a request may cost at most (estimated up front)")
    max_concurrent_calls: int = Field(16, ge=1, le=1000)
    calls_per_second: int = Field(50, ge=1, description="Per provider, leaky bucket")
    retry_attempts: int = Field(3, ge=1, le=10)
    retry_wait_ms: int = Field(200, ge=1, description="First backoff; exponential with full jitter")
    retry_max_wait_ms: int = Field(2_000, ge=1)
    breaker_threshold: int = Field(5, ge=1, description="Consecutive failures that open a provider's breaker")
    breaker_ttl_s: int = Field(30, ge=1)
    min_kappa: DecimalStr = Field("0.6", description="Calibration kappa under which a judge is benched")

    @field_validator("min_agreement", "trim_ratio")
    @classmethod
    def _unit(cls, value: str) -> str:
        if not Decimal(0) <= Decimal(value) <= Decimal(1):
            raise ValueError("must be between 0 and 1")
        return value

    @field_validator("trim_ratio")
    @classmethod
    def _below_half(cls, value: str) -> str:
        if Decimal(value) >= Decimal("0.5"):
            raise ValueError("must be below 0.5, or nothing is left to average")
        return value


class Panel(BaseModel):
    """A whole panel. At least three judges from at least three model families."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9._-]+$")
    policy: PanelPolicy = PanelPolicy()
    judges: tuple[JudgeConfig, ...] = Field(min_length=3)

    @model_validator(mode="after")
    def _distinct(self) -> Panel:
        ids = [j.judge_id for j in self.judges]
        if len(set(ids)) != len(ids):
            raise ValueError(f"judge ids must be unique, got {ids}")
        families = {j.family for j in self.judges}
        if len(families) < 3:
            raise ValueError(f"a panel needs judges from at least three model families, got {sorted(families)}")
        return self

    @property
    def panel_version(self) -> str:
        """``<version>+<first 12 hex of SHA-256 of the canonical JSON of the whole panel>``."""
        return f"{self.version}+{sha256_hex(self.model_dump(mode='json'))[:12]}"

    @property
    def simulated(self) -> bool:
        return any(j.simulated for j in self.judges)

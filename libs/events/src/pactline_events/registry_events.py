"""Events produced by pact-registry: agents, pacts, acceptances and completed tasks."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from pactline_pacts import PactDocument

from .envelope import EventPayload
from .types import Amount, EscrowMode, EvmAddress, Identifier, ModelFamily, Sha256Hex, Uint256Str, UtcDatetime


class AgentRegistered(EventPayload):
    event_type = "AgentRegistered"
    schema_version = 2

    agent_id: Identifier
    name: str = Field(min_length=1, max_length=200)
    operator_id: Identifier
    operator_address: EvmAddress
    model_family: ModelFamily


class PactPublished(EventPayload):
    event_type = "PactPublished"

    pact_id: Identifier
    version: int = Field(ge=1)
    agent_id: Identifier
    operator_id: Identifier
    pact_hash: Sha256Hex = Field(description="SHA-256 of the canonical JSON of `document`")
    document: PactDocument = Field(description="The pact document (docs/pacts.md)")


class AcceptedEscrow(BaseModel):
    """The escrow terms a buyer accepted (within what the pact's escrow section offers)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    mode: EscrowMode
    token: str = Field(default="USDC", pattern=r"^[A-Z0-9]{2,12}$")
    price_per_task: Amount
    pool_size: Amount | None = Field(default=None, description="Aggregate mode: the funded pool")
    max_tasks: int | None = Field(default=None, ge=1)


class PactAccepted(EventPayload):
    """Carries everything evaluator, scoring and settlement need; none asks the registry."""

    event_type = "PactAccepted"

    acceptance_id: Identifier
    pact_id: Identifier
    pact_version: int = Field(ge=1)
    pact_hash: Sha256Hex
    document: PactDocument
    agent_id: Identifier
    agent_model_family: ModelFamily
    operator_id: Identifier
    provider_address: EvmAddress
    buyer_id: Identifier
    buyer_address: EvmAddress
    escrow: AcceptedEscrow
    accepted_at: UtcDatetime
    expires_at: UtcDatetime


class AcceptanceRevoked(EventPayload):
    """An acceptance was ended before its expiry; the registry takes no further task under it."""

    event_type = "AcceptanceRevoked"

    acceptance_id: Identifier
    revoked_by: Identifier = Field(description="The principal (buyer, operator or admin) who revoked it")
    reason: str = Field(default="", max_length=1000)


class ToolCall(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    arguments: dict[str, Any] = Field(default_factory=dict)


class TaskCompleted(EventPayload):
    """A task the agent completed under an acceptance, as the buyer reported it."""

    event_type = "TaskCompleted"

    task_id: Identifier
    acceptance_id: Identifier
    pact_id: Identifier
    agent_id: Identifier
    input: str
    output: str
    tool_calls: tuple[ToolCall, ...] = ()
    latency_ms: int = Field(ge=0)
    cost: Amount
    tokens: int = Field(ge=0)
    reference: str | None = None
    escrow_job_id: Uint256Str | None = Field(
        default=None, description="per_task mode: the ERC-8183 job the buyer created and funded"
    )
    idempotency_key: str = Field(min_length=1, max_length=200)
    output_digest: Sha256Hex

    @field_validator("tool_calls", mode="before")
    @classmethod
    def _tuple(cls, value: Any) -> Any:
        return tuple(value) if isinstance(value, list) else value

"""Events about agents, pacts, acceptances, completed tasks and API keys.

pact-registry produces all of them except the gateway-measured ``TaskCompleted`` events, which
the gateway writes on its own streams (``gateway-<acceptance_id>``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from pactline_pacts import PactDocument

from .envelope import EventPayload
from .types import Amount, EscrowMode, EvmAddress, Identifier, ModelFamily, Sha256Hex, Uint256Str, UtcDatetime

# Counts and durations that are measured, not money: integers within the JSON-safe range.
Measure = Annotated[int, Field(ge=0, le=2**53 - 1)]


class AgentRegistered(EventPayload):
    event_type = "AgentRegistered"
    schema_version = 2

    agent_id: Identifier
    name: str = Field(min_length=1, max_length=200)
    operator_id: Identifier
    operator_address: EvmAddress
    model_family: ModelFamily


class AgentEndpointRegistered(EventPayload):
    """The operator says where its agent answers. The gateway calls only endpoints registered
    this way (a later event for the same agent replaces the earlier one)."""

    event_type = "AgentEndpointRegistered"

    agent_id: Identifier
    operator_id: Identifier
    base_url: str = Field(
        min_length=8,
        max_length=2048,
        pattern=r"^https?://[^\s/?#@]+(/[^\s?#]*)?$",
        description="OpenAI-compatible base URL; the gateway posts to <base_url>/chat/completions",
    )
    api: Literal["openai-chat-completions"] = "openai-chat-completions"


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


class Provenance(StrEnum):
    """How a task's measurements were obtained (docs/evaluation.md, "Evidence provenance")."""

    GATEWAY = "gateway"  # measured by the platform's gateway on the call itself
    COUNTERSIGNED = "countersigned"  # reported by the buyer, countersigned by the provider (EIP-712)
    BUYER_ONLY = "buyer_only"  # reported by the buyer alone


class TokenSource(StrEnum):
    """Where the token counts come from."""

    REPORTED = "reported"  # the buyer's report
    AGENT_USAGE = "agent_usage"  # the ``usage`` the agent returned, as the gateway saw it
    ESTIMATE = "estimate"  # the gateway's tokenizer-free estimate (docs/gateway.md)


class Countersignature(BaseModel):
    """The provider's EIP-712 signature over the task report (docs/evaluation.md)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    scheme: Literal["eip712-pactline-task-report-v1"] = "eip712-pactline-task-report-v1"
    signer: EvmAddress = Field(description="The operator's registered address the signature recovers to")
    signature: str = Field(pattern=r"^0x[0-9a-f]{130}$", description="65 bytes r || s || v, lowercase 0x-hex")


class AgentError(BaseModel):
    """What went wrong on the gateway's call to the agent. A failed call is evidence too."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["timeout", "unreachable", "http_status", "malformed_response", "too_large", "interrupted"]
    status: int | None = Field(default=None, ge=100, le=599, description="The agent's HTTP status, when it sent one")
    message: str = Field(default="", max_length=1000)


class TaskCompleted(EventPayload):
    """A task the agent completed under an acceptance: its input, output, tool calls and
    measurements, and how the measurements were obtained (``provenance``).

    v2 adds ``provenance``, ``first_token_ms``, ``input_tokens``/``output_tokens``,
    ``token_source``, ``countersignature`` and ``agent_error``; a v1 event reads as a
    buyer-only report.
    """

    event_type = "TaskCompleted"
    schema_version = 2

    task_id: Identifier
    acceptance_id: Identifier
    pact_id: Identifier
    agent_id: Identifier
    input: str
    output: str
    tool_calls: tuple[ToolCall, ...] = ()
    latency_ms: Measure = Field(description="Total latency: request sent to the last byte of the answer")
    first_token_ms: Measure | None = Field(default=None, description="Request sent to the first token")
    cost: Amount
    tokens: Measure = Field(description="Input plus output tokens")
    input_tokens: Measure | None = None
    output_tokens: Measure | None = None
    token_source: TokenSource = TokenSource.REPORTED
    reference: str | None = None
    escrow_job_id: Uint256Str | None = Field(
        default=None, description="per_task mode: the ERC-8183 job the buyer created and funded"
    )
    idempotency_key: str = Field(min_length=1, max_length=200)
    output_digest: Sha256Hex = Field(description="SHA-256 of the output's UTF-8 bytes; the per-task deliverable")
    # The default claims least: a report that says nothing is the buyer's alone.
    provenance: Provenance = Provenance.BUYER_ONLY
    countersignature: Countersignature | None = None
    agent_error: AgentError | None = None

    @field_validator("tool_calls", mode="before")
    @classmethod
    def _tuple(cls, value: Any) -> Any:
        return tuple(value) if isinstance(value, list) else value

    @model_validator(mode="after")
    def _consistent(self) -> TaskCompleted:
        if (self.provenance is Provenance.COUNTERSIGNED) != (self.countersignature is not None):
            raise ValueError("a countersignature comes with provenance countersigned, and only with it")
        if self.agent_error is not None and self.provenance is not Provenance.GATEWAY:
            raise ValueError("agent_error is recorded by the gateway only")
        split = (self.input_tokens, self.output_tokens)
        if None not in split and sum(split) != self.tokens:  # type: ignore[arg-type]
            raise ValueError("tokens must equal input_tokens + output_tokens")
        if self.first_token_ms is not None and self.first_token_ms > self.latency_ms:
            raise ValueError("first_token_ms cannot exceed latency_ms")
        return self


class TaskDisputed(EventPayload):
    """The provider disputes the measurements of a buyer-only task report inside the pact's
    dispute window; the evaluator then counts the task's measured clauses INCONCLUSIVE."""

    event_type = "TaskDisputed"

    task_id: Identifier
    acceptance_id: Identifier
    agent_id: Identifier
    disputed_by: Identifier = Field(description="The agent's operator")
    reason: str = Field(min_length=1, max_length=1000)


class ApiKeyIssued(EventPayload):
    """An API key was created. Carries the key's HMAC (never the key) so services that
    authenticate callers themselves, like the gateway, need not ask the registry."""

    event_type = "ApiKeyIssued"

    key_id: str = Field(pattern=r"^[0-9a-f]{16}$")
    principal_id: Identifier
    role: Literal["admin", "operator", "buyer", "auditor"]
    scopes: tuple[Annotated[str, Field(pattern=r"^[a-z]+(:[a-z]+)?$")], ...]
    key_hmac: Sha256Hex = Field(description="HMAC-SHA256(pepper, key), the pepper from the environment")

    @field_validator("scopes", mode="before")
    @classmethod
    def _tuple(cls, value: Any) -> Any:
        return tuple(value) if isinstance(value, list) else value


class ApiKeyRevoked(EventPayload):
    """An API key was revoked; it authenticates nothing from now on."""

    event_type = "ApiKeyRevoked"

    key_id: str = Field(pattern=r"^[0-9a-f]{16}$")
    principal_id: Identifier
    revoked_by: Identifier

"""Request and response bodies of the registry's HTTP API (the OpenAPI document is built from them)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictInt

from pactline_events.types import EscrowMode, EvmAddress, ModelFamily
from pactline_pacts import limits as pact_limits

from .. import limits
from ..domain import Role, Scope

T = TypeVar("T")
_MAX_JSON_DEPTH = 32


def _plain_text(value: str) -> str:
    """Text stored in columns and events: valid Unicode (no lone surrogates), no NUL."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("contains an unpaired UTF-16 surrogate; send valid Unicode") from None
    if "\x00" in value:
        raise ValueError("contains a NUL character")
    return value


def _unicode(value: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("contains an unpaired UTF-16 surrogate; send valid Unicode") from None
    return value


def _json_data(value: Any, depth: int = 0) -> Any:
    """Tool-call arguments travel in hashed events: no floats, valid Unicode, bounded depth."""
    if depth > _MAX_JSON_DEPTH:
        raise ValueError(f"nested deeper than {_MAX_JSON_DEPTH} levels")
    if isinstance(value, float):
        raise ValueError("floats are not allowed (events hash exact values): send an integer or a decimal string")
    if isinstance(value, str):
        _unicode(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            _unicode(key)
            _json_data(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _json_data(item, depth + 1)
    return value


Name = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_plain_text)]
Text = Annotated[str, AfterValidator(_unicode)]
Money = Annotated[StrictInt, Field(ge=0, le=limits.MAX_MONEY, description="USDC minor units (6 decimals)")]
Price = Annotated[StrictInt, Field(ge=1, le=limits.MAX_MONEY, description="USDC minor units (6 decimals)")]
IdempotencyKey = Annotated[
    str, Field(min_length=1, max_length=200, pattern=r"^[\x21-\x7e]+$", description="Printable ASCII, no spaces")
]
Uint256 = Annotated[str, Field(pattern=r"^(0|[1-9][0-9]{0,77})$", description="uint256 as a decimal string")]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Page(BaseModel, Generic[T]):
    """One page of a list. Pass ``next_cursor`` back as ``cursor`` for the next; null means the end."""

    items: list[T]
    next_cursor: str | None


class FieldProblem(BaseModel):
    pointer: str = Field(description='JSON pointer (RFC 6901) into the part named by "in"; "" is the whole of it')
    message: str
    in_: str = Field(alias="in", description="body, query, path or header")


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable, machine-readable, e.g. pact_invalid, acceptance_expired")
    message: str
    fields: list[FieldProblem]


class ErrorBody(BaseModel):
    error: ErrorDetail


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "No key, an unknown key or a revoked key"},
    403: {"model": ErrorBody, "description": "The key's role, scopes or ownership do not allow this"},
    404: {"model": ErrorBody, "description": "No such resource"},
    409: {"model": ErrorBody, "description": "Conflicts with the current state"},
    413: {"model": ErrorBody, "description": "Too large"},
    422: {"model": ErrorBody, "description": "Invalid: each field at fault, with a pointer and a reason"},
    429: {"model": ErrorBody, "description": "This API key writes too fast: wait for Retry-After seconds"},
    503: {"model": ErrorBody, "description": "The chain's RPC did not answer: nothing was taken, retry later"},
}


# Identities -------------------------------------------------------------------------------


class PrincipalCreate(_Request):
    role: Role
    name: Name
    address: EvmAddress | None = Field(None, description="Required for operators and buyers (they sign on chain)")
    scopes: list[Scope] | None = Field(None, description="Scopes of the first key; default: all of the role's")
    label: Annotated[str, Field(max_length=200), AfterValidator(_plain_text)] = ""


class KeyCreate(_Request):
    principal_id: Annotated[str, Field(min_length=1, max_length=128), AfterValidator(_plain_text)]
    scopes: list[Scope] | None = Field(None, description="Default: all scopes of the principal's role")
    label: Annotated[str, Field(max_length=200), AfterValidator(_plain_text)] = ""


class PrincipalOut(BaseModel):
    principal_id: str
    role: Role
    name: str
    address: str | None
    created_at: datetime


class KeyOut(BaseModel):
    key_id: str
    principal_id: str
    scopes: list[Scope]
    label: str
    created_at: datetime
    revoked_at: datetime | None


class KeyCreated(KeyOut):
    api_key: str = Field(description="The key itself. Shown only in this response; store it now.")


class PrincipalCreated(BaseModel):
    principal: PrincipalOut
    key: KeyCreated


class Me(BaseModel):
    principal_id: str
    role: Role
    address: str | None
    scopes: list[Scope]


# Agents and pacts -------------------------------------------------------------------------


class AgentCreate(_Request):
    name: Name
    model_family: ModelFamily = Field(description="Judges of this family never sit on the agent's jury")
    operator_address: EvmAddress | None = Field(None, description="Default: the operator's own address")


class AgentEndpointIn(_Request):
    base_url: Annotated[str, Field(min_length=8, max_length=2048), AfterValidator(_plain_text)] = Field(
        description="OpenAI-compatible base URL; the gateway posts to <base_url>/chat/completions. https, "
        "public addresses only, unless the deployment allows otherwise (docs/gateway.md)"
    )


class AgentEndpointOut(BaseModel):
    agent_id: str
    base_url: str
    registered_at: datetime


class AgentOut(BaseModel):
    agent_id: str
    name: str
    operator_id: str
    operator_address: str
    model_family: ModelFamily
    registered_at: datetime


class PactOut(BaseModel):
    pact_id: str
    name: str
    agent_id: str
    operator_id: str
    latest_version: int
    versions: list[int]
    created_at: datetime


class PactVersionOut(BaseModel):
    pact_id: str
    name: str
    agent_id: str
    operator_id: str
    version: int
    pact_hash: str = Field(description="SHA-256 of the canonical JSON of the normalized document")
    document: dict[str, Any]
    published_at: datetime


# Acceptances and tasks --------------------------------------------------------------------


class EscrowTermsIn(_Request):
    mode: EscrowMode
    price_per_task: Price
    pool_size: Price | None = Field(None, description="aggregate: required, the pool the buyer funds; per_task: omit")
    max_tasks: Annotated[StrictInt, Field(ge=1, le=1_000_000_000)] | None = None
    expires_in_seconds: Annotated[
        StrictInt, Field(ge=pact_limits.MIN_EXPIRY_SECONDS, le=pact_limits.MAX_EXPIRY_SECONDS)
    ] = Field(description="At most the pact's escrow.max_expiry_seconds")


class AcceptanceCreate(_Request):
    pact_id: Annotated[str, Field(min_length=1, max_length=128), AfterValidator(_plain_text)]
    pact_version: Annotated[StrictInt, Field(ge=1, le=pact_limits.MAX_VERSION)] | None = Field(
        None, description="Default: the latest published version"
    )
    escrow: EscrowTermsIn


class EscrowOut(BaseModel):
    mode: EscrowMode
    token: str = "USDC"  # noqa: S105 - a currency, not a secret
    price_per_task: int
    pool_size: int | None
    max_tasks: int | None


class AcceptanceOut(BaseModel):
    acceptance_id: str
    pact_id: str
    pact_version: int
    pact_hash: str
    agent_id: str
    operator_id: str
    provider_address: str = Field(description="The agent operator's address: the provider of the escrow")
    buyer_id: str
    buyer_address: str
    escrow: EscrowOut
    accepted_at: datetime
    expires_at: datetime
    tasks_count: int
    revoked_at: datetime | None
    revoked_by: str | None


class RevokeRequest(_Request):
    reason: Annotated[str, Field(max_length=1000), AfterValidator(_plain_text)] = ""


class ToolCallIn(_Request):
    name: Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_unicode)]
    arguments: Annotated[dict[str, Any], AfterValidator(_json_data)] = Field(default_factory=dict)


class CountersignatureIn(_Request):
    signer: EvmAddress = Field(description="The operator's registered address")
    signature: str = Field(
        pattern=r"^0x[0-9a-f]{130}$", description="EIP-712 signature over the task report, 65 bytes as 0x-hex"
    )


Measure = Annotated[StrictInt, Field(ge=0, le=10**12)]


class TaskCreate(_Request):
    idempotency_key: IdempotencyKey = Field(description="The same key twice gives the same task, never two")
    input: Text = Field(description=f"At most {limits.MAX_TASK_INPUT_BYTES} UTF-8 bytes")
    output: Text = Field(description=f"At most {limits.MAX_TASK_OUTPUT_BYTES} UTF-8 bytes")
    tool_calls: list[ToolCallIn] = Field(default_factory=list, max_length=limits.MAX_TOOL_CALLS)
    latency_ms: Measure = Field(description="Total latency, milliseconds")
    first_token_ms: Measure | None = Field(None, description="Time to the first token, milliseconds")
    cost: Money = Field(description="What the task cost the agent, USDC minor units")
    tokens: Measure = Field(description="Input plus output tokens")
    input_tokens: Measure | None = None
    output_tokens: Measure | None = None
    reference: Text | None = Field(None, description=f"At most {limits.MAX_TASK_REFERENCE_BYTES} UTF-8 bytes")
    escrow_job_id: Uint256 | None = Field(
        None, description="per_task: required, the funded ERC-8183 job; aggregate: omit"
    )
    countersignature: CountersignatureIn | None = Field(
        None,
        description="The provider's EIP-712 signature over this report (docs/evaluation.md, 'Evidence provenance'); "
        "with it the task's provenance is countersigned, without it buyer_only",
    )


class DisputeCreate(_Request):
    reason: Annotated[str, Field(min_length=1, max_length=1000), AfterValidator(_plain_text)]


class DisputeOut(BaseModel):
    task_id: str
    disputed_by: str
    reason: str
    disputed_at: datetime


class TaskOut(BaseModel):
    task_id: str
    acceptance_id: str
    idempotency_key: str
    escrow_job_id: str | None
    provenance: str = Field(description="countersigned or buyer_only (gateway-measured tasks live in the gateway)")
    submitted_at: datetime
    dispute: DisputeOut | None = None
    task: dict[str, Any] = Field(description="The TaskCompleted payload as emitted")

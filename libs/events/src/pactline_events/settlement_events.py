"""Events of settlement (escrow on chain) and scoring (trust scores)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from .envelope import EventPayload
from .types import Amount, Bytes32Hex, DecimalStr, EscrowMode, EvmAddress, Identifier, Uint256Str, UtcDatetime


class EscrowFunded(EventPayload):
    """Settlement saw the buyer's funds locked on chain for an acceptance (job or pool)."""

    event_type = "EscrowFunded"

    acceptance_id: Identifier
    mode: EscrowMode
    amount: Amount
    chain_id: int = Field(ge=1)
    contract_address: EvmAddress
    token_address: EvmAddress
    escrow_ref: Uint256Str = Field(description="ERC-8183 job id or aggregate pool id")
    tx_hash: Bytes32Hex


class EscrowSettled(EventPayload):
    """Funds moved on chain for one task (per_task) or one batch (aggregate)."""

    event_type = "EscrowSettled"

    acceptance_id: Identifier
    mode: EscrowMode
    task_ids: tuple[Identifier, ...] = Field(min_length=1)
    released: Amount
    refunded: Amount
    held: Amount = 0
    batch_seq: int | None = Field(default=None, ge=1)
    verdict_root: Bytes32Hex | None = None
    chain_id: int = Field(ge=1)
    tx_hash: Bytes32Hex


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

"""Events of settlement: buyers' funds locked on chain and funds moved by verdicts."""

from __future__ import annotations

from pydantic import Field

from .envelope import EventPayload
from .types import Amount, Bytes32Hex, EscrowMode, EvmAddress, Identifier, Uint256Str


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

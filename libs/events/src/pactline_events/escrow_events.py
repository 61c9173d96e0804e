"""Events of settlement: facts the chain watcher read from the escrow contracts, after the
configured confirmation depth, on the acceptance's stream (``escrow-<acceptance_id>``).

Every one names the transaction and log it was read from (``tx_hash``, ``log_index``), so an
auditor can check it against the chain and a reader can tell two facts apart. docs/settlement.md
says how each contract event becomes one of these.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .envelope import EventPayload
from .types import Amount, Bytes32Hex, EscrowMode, EvmAddress, Identifier, Outcome, Uint256Str

SettlementCause = Literal["completed", "rejected", "expired", "batch"]
"""How the money moved: ``completed`` (per-task job paid to the provider), ``rejected`` (the
evaluator refunded a per-task job), ``expired`` (``claimRefund`` after the job's expiry),
``batch`` (one aggregate batch, both directions netted)."""


class _ChainFact(EventPayload):
    chain_id: int = Field(ge=1)
    tx_hash: Bytes32Hex
    block_number: int | None = Field(default=None, ge=0, description="None only on upcast v1 events")
    log_index: int | None = Field(default=None, ge=0, description="None only on upcast v1 events")


class EscrowFunded(_ChainFact):
    """The buyer's funds were locked on chain for an acceptance: a per-task job funded, or an
    aggregate pool opened or topped up (one event per funding)."""

    event_type = "EscrowFunded"
    schema_version = 2

    acceptance_id: Identifier
    mode: EscrowMode
    amount: Amount
    contract_address: EvmAddress
    token_address: EvmAddress
    job_id: Uint256Str | None = Field(default=None, description="per_task: the ERC-8183 job id")
    task_id: Identifier | None = Field(default=None, description="per_task: the task the job escrows")
    pool_id: Bytes32Hex | None = Field(default=None, description="aggregate: the pool id")
    funder: EvmAddress | None = Field(default=None, description="The buyer's address (None on upcast v1 events)")

    @model_validator(mode="after")
    def _one_reference(self) -> EscrowFunded:
        _check_reference(self.mode, self.job_id, self.pool_id)
        return self


class SettledLeaf(BaseModel):
    """One task's share of a batch: exactly the fields its Merkle leaf commits to."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    task_id: Identifier
    outcome: Outcome
    released: Amount
    refunded: Amount
    evidence_digest: Bytes32Hex


class EscrowSettled(_ChainFact):
    """Funds moved on chain for one task (per_task) or one batch of tasks (aggregate)."""

    event_type = "EscrowSettled"
    schema_version = 2

    acceptance_id: Identifier
    mode: EscrowMode
    cause: SettlementCause
    task_ids: tuple[Identifier, ...] = Field(min_length=1)
    released: Amount
    refunded: Amount
    job_id: Uint256Str | None = None
    pool_id: Bytes32Hex | None = None
    batch_seq: int | None = Field(default=None, ge=1)
    verdict_root: Bytes32Hex | None = None
    batch_chain: Bytes32Hex | None = Field(
        default=None, description="aggregate: the pool's batch chain head after this batch (docs/escrow.md)"
    )
    leaves: tuple[SettledLeaf, ...] = Field(
        default=(), description="aggregate: every task's leaf, in task_ids order (empty only on upcast v1 events)"
    )
    reason: Bytes32Hex | None = Field(default=None, description="per_task: the bytes32 reason given on chain")
    detail: str = Field(default="", max_length=1000, description="Why, in words (e.g. a deliverable mismatch)")

    @model_validator(mode="after")
    def _consistent(self) -> EscrowSettled:
        if len(set(self.task_ids)) != len(self.task_ids):
            raise ValueError("a task appears at most once in a settlement")
        if (self.cause == "batch") != (self.mode == EscrowMode.AGGREGATE):
            raise ValueError("aggregate settlements are batches, and only they are")
        if self.leaves:
            if tuple(leaf.task_id for leaf in self.leaves) != self.task_ids:
                raise ValueError("leaves must list task_ids, in the same order")
            if sum(leaf.released for leaf in self.leaves) != self.released:
                raise ValueError("released must equal the sum of the leaves' released amounts")
            if sum(leaf.refunded for leaf in self.leaves) != self.refunded:
                raise ValueError("refunded must equal the sum of the leaves' refunded amounts")
        if self.mode == EscrowMode.PER_TASK and len(self.task_ids) != 1:
            raise ValueError("a per_task settlement settles exactly one task")
        if self.job_id is not None or self.pool_id is not None:
            _check_reference(self.mode, self.job_id, self.pool_id)
        return self


class EscrowSubmitted(_ChainFact):
    """The provider submitted its deliverable (the task output's digest) for a per-task job."""

    event_type = "EscrowSubmitted"

    acceptance_id: Identifier
    task_id: Identifier
    job_id: Uint256Str
    provider: EvmAddress
    deliverable: Bytes32Hex
    contract_address: EvmAddress


class EscrowReclaimed(_ChainFact):
    """What was left in an expired aggregate pool went back to the buyer (``reclaim``)."""

    event_type = "EscrowReclaimed"

    acceptance_id: Identifier
    pool_id: Bytes32Hex
    buyer: EvmAddress
    amount: Amount
    contract_address: EvmAddress


def _check_reference(mode: EscrowMode, job_id: str | None, pool_id: str | None) -> None:
    if mode == EscrowMode.PER_TASK and (job_id is None or pool_id is not None):
        raise ValueError("a per_task escrow names its job_id and no pool_id")
    if mode == EscrowMode.AGGREGATE and (pool_id is None or job_id is not None):
        raise ValueError("an aggregate escrow names its pool_id and no job_id")

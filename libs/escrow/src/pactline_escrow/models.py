"""Typed views of on-chain escrow state and transaction results. Money is int minor units."""

from __future__ import annotations

from enum import IntEnum

from pydantic import BaseModel, ConfigDict, Field


class JobStatus(IntEnum):
    """AgenticCommerce.JobStatus, same order as the contract enum."""

    OPEN = 0
    FUNDED = 1
    SUBMITTED = 2
    COMPLETED = 3
    REJECTED = 4
    EXPIRED = 5


class PoolStatus(IntEnum):
    """AggregateEscrow.PoolStatus, same order as the contract enum."""

    NONE = 0
    ACTIVE = 1
    CLOSED = 2


class Job(BaseModel):
    model_config = ConfigDict(frozen=True)

    job_id: int
    client: str
    provider: str
    evaluator: str
    token: str
    budget: int
    expired_at: int
    status: JobStatus
    description: str


class Pool(BaseModel):
    """An aggregate pool. `remaining` is still escrowed; the `*_owed` amounts were settled (or
    reclaimed) and wait for their party's withdrawal."""

    model_config = ConfigDict(frozen=True)

    pool_id: bytes
    buyer: str
    provider: str
    evaluator: str
    token: str
    expired_at: int
    status: PoolStatus
    price_per_task: int
    funded: int
    released: int
    refunded: int
    remaining: int
    provider_owed: int
    buyer_owed: int
    last_batch_seq: int
    batch_chain: bytes


class BatchRecord(BaseModel):
    """What one settled batch adds to its pool's batch chain (AggregateEscrow.BatchRecord)."""

    model_config = ConfigDict(frozen=True)

    task_count: int = Field(ge=1, lt=2**32)
    released: int = Field(ge=0)
    refunded: int = Field(ge=0)
    verdict_root: bytes

    def as_tuple(self) -> tuple[int, int, int, bytes]:
        return (self.task_count, self.released, self.refunded, self.verdict_root)


class SettledBatch(BaseModel):
    """A BatchSettled event: the batch's record and the chain head after it."""

    model_config = ConfigDict(frozen=True)

    pool_id: bytes
    batch_seq: int
    record: BatchRecord
    chain: bytes
    tx_hash: str
    block_number: int


class TxResult(BaseModel):
    """A mined, successful transaction."""

    model_config = ConfigDict(frozen=True)

    tx_hash: str
    block_number: int
    gas_used: int

"""Typed views of on-chain escrow state and transaction results. Money is int minor units."""

from __future__ import annotations

from enum import IntEnum

from pydantic import BaseModel, ConfigDict


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
    model_config = ConfigDict(frozen=True)

    pool_id: bytes
    buyer: str
    provider: str
    evaluator: str
    token: str
    remaining: int
    expired_at: int
    last_batch_seq: int
    status: PoolStatus


class TxResult(BaseModel):
    """A mined, successful transaction."""

    model_config = ConfigDict(frozen=True)

    tx_hash: str
    block_number: int
    gas_used: int

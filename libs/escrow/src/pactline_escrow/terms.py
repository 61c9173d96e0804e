"""Checking escrow on chain against what an acceptance agreed to, for the registry's task intake.

A per_task task names an ERC-8183 job: `check_job` proves the job belongs to the acceptance
(client, provider, evaluator, token, budget) and is Funded and unexpired. An aggregate
acceptance is usable once its pool is funded: `check_pool` finds the buyer's pool for the
acceptance and compares its terms. Both return the on-chain state or raise a named error that
says which term differs; nothing here signs or sends anything.
"""

from __future__ import annotations

from typing import Annotated

from eth_utils import is_address, to_checksum_address
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from pactline_escrow.errors import EscrowReverted
from pactline_escrow.models import Job, JobStatus, Pool, PoolStatus
from pactline_escrow.reader import EscrowReader


def _address(value: str) -> str:
    if not is_address(value):
        raise ValueError(f"not an EVM address: {value!r}")
    return to_checksum_address(value)


Address = Annotated[str, AfterValidator(_address)]


class JobTerms(BaseModel):
    """What a per_task acceptance agreed to, as the job must carry it."""

    model_config = ConfigDict(frozen=True)

    client: Address = Field(description="The buyer's address")
    provider: Address = Field(description="The agent operator's address")
    evaluator: Address = Field(description="The platform's evaluator address")
    token: Address = Field(description="The accepted token's address (USDC)")
    budget: int = Field(ge=1, description="The accepted price per task, minor units")


class PoolTerms(BaseModel):
    """What an aggregate acceptance agreed to, as the buyer's pool must carry it."""

    model_config = ConfigDict(frozen=True)

    buyer: Address
    acceptance_id: bytes = Field(
        min_length=32, max_length=32, description="bytes32 of the acceptance (ids.bytes32_from_uuid)"
    )
    provider: Address
    evaluator: Address
    token: Address
    amount: int = Field(ge=1, description="The accepted pool size: the pool must have been funded with at least this")
    price_per_task: int = Field(ge=1)
    expires_at: int = Field(ge=0, description="Unix time the pool must last until (it may last longer)")


class TermMismatch(BaseModel):
    model_config = ConfigDict(frozen=True)

    term: str
    expected: str
    actual: str


class EscrowTermsError(Exception):
    """The escrow on chain does not back the acceptance."""


class JobNotFound(EscrowTermsError):
    def __init__(self, job_id: int) -> None:
        super().__init__(f"no escrow job {job_id} on chain")
        self.job_id = job_id


class JobTermsMismatch(EscrowTermsError):
    def __init__(self, job_id: int, mismatches: tuple[TermMismatch, ...]) -> None:
        terms = ", ".join(f"{m.term} is {m.actual}, expected {m.expected}" for m in mismatches)
        super().__init__(f"escrow job {job_id} does not match the acceptance: {terms}")
        self.job_id = job_id
        self.mismatches = mismatches


class JobNotFunded(EscrowTermsError):
    def __init__(self, job_id: int, status: JobStatus) -> None:
        super().__init__(f"escrow job {job_id} is {status.name}, not FUNDED")
        self.job_id = job_id
        self.status = status


class JobExpired(EscrowTermsError):
    def __init__(self, job_id: int, expired_at: int) -> None:
        super().__init__(f"escrow job {job_id} expired at {expired_at}; it can only be refunded")
        self.job_id = job_id
        self.expired_at = expired_at


class PoolNotFound(EscrowTermsError):
    def __init__(self, pool_id: bytes) -> None:
        super().__init__(f"no pool 0x{pool_id.hex()} on chain: the buyer has not funded one for this acceptance")
        self.pool_id = pool_id


class PoolTermsMismatch(EscrowTermsError):
    def __init__(self, pool_id: bytes, mismatches: tuple[TermMismatch, ...]) -> None:
        terms = ", ".join(f"{m.term} is {m.actual}, expected {m.expected}" for m in mismatches)
        super().__init__(f"pool 0x{pool_id.hex()} does not match the acceptance: {terms}")
        self.pool_id = pool_id
        self.mismatches = mismatches


class PoolNotActive(EscrowTermsError):
    def __init__(self, pool_id: bytes, status: PoolStatus, expired_at: int) -> None:
        super().__init__(f"pool 0x{pool_id.hex()} is {status.name} (expiry {expired_at}), not accepting batches")
        self.pool_id = pool_id
        self.status = status
        self.expired_at = expired_at


def _differences(pairs: dict[str, tuple[object, object]]) -> tuple[TermMismatch, ...]:
    return tuple(
        TermMismatch(term=term, expected=str(expected), actual=str(actual))
        for term, (expected, actual) in pairs.items()
        if expected != actual
    )


async def check_job(reader: EscrowReader, job_id: int, terms: JobTerms, *, allow_submitted: bool = False) -> Job:
    """The job, when it is Funded, unexpired and carries exactly `terms`.

    A job whose provider already submitted is still escrowed and unsettled; pass
    `allow_submitted=True` to accept it too (the provider may submit before the buyer reports
    the task). Raises `ChainMismatch`, `JobNotFound`, `JobTermsMismatch` (every differing term),
    `JobNotFunded` or `JobExpired`, checked in that order.
    """
    await reader.ensure_chain()
    try:
        job = await reader.get_job(job_id)
    except EscrowReverted as exc:
        if exc.error == "AgenticCommerceJobNotFound":
            raise JobNotFound(job_id) from exc
        raise
    mismatches = _differences(
        {
            "client": (terms.client, to_checksum_address(job.client)),
            "provider": (terms.provider, to_checksum_address(job.provider)),
            "evaluator": (terms.evaluator, to_checksum_address(job.evaluator)),
            "token": (terms.token, to_checksum_address(job.token)),
            "budget": (terms.budget, job.budget),
        }
    )
    if mismatches:
        raise JobTermsMismatch(job_id, mismatches)
    escrowed = {JobStatus.FUNDED, JobStatus.SUBMITTED} if allow_submitted else {JobStatus.FUNDED}
    if job.status not in escrowed:
        raise JobNotFunded(job_id, job.status)
    if await reader.now() >= job.expired_at:
        raise JobExpired(job_id, job.expired_at)
    return job


async def check_pool(reader: EscrowReader, terms: PoolTerms) -> Pool:
    """The buyer's pool for the acceptance, when it is active, unexpired and matches `terms`:
    same provider, evaluator, token and price per task, funded with at least `amount`, lasting
    at least until `expires_at`. The pool's `remaining` tells how many tasks it can still pay.

    Raises `ChainMismatch`, `PoolNotFound`, `PoolTermsMismatch` (every differing term) or
    `PoolNotActive`, checked in that order.
    """
    await reader.ensure_chain()
    pool_id = await reader.pool_id_for(terms.buyer, terms.acceptance_id)
    try:
        pool = await reader.get_pool(pool_id)
    except EscrowReverted as exc:
        if exc.error == "AggregateEscrowPoolNotFound":
            raise PoolNotFound(pool_id) from exc
        raise
    mismatches = _differences(
        {
            "provider": (terms.provider, to_checksum_address(pool.provider)),
            "evaluator": (terms.evaluator, to_checksum_address(pool.evaluator)),
            "token": (terms.token, to_checksum_address(pool.token)),
            "price_per_task": (terms.price_per_task, pool.price_per_task),
        }
    )
    if pool.funded < terms.amount:
        mismatches += (TermMismatch(term="amount", expected=f">= {terms.amount}", actual=str(pool.funded)),)
    if pool.expired_at < terms.expires_at:
        mismatches += (TermMismatch(term="expires_at", expected=f">= {terms.expires_at}", actual=str(pool.expired_at)),)
    if mismatches:
        raise PoolTermsMismatch(pool_id, mismatches)
    if pool.status is not PoolStatus.ACTIVE or await reader.now() >= pool.expired_at:
        raise PoolNotActive(pool_id, pool.status, pool.expired_at)
    return pool

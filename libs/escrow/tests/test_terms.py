"""Escrow terms checked against the chain, as the registry will before taking a task: a per_task
job must belong to the acceptance and be funded; an aggregate acceptance needs its funded pool."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from pactline_escrow import JobStatus, PoolStatus
from pactline_escrow.terms import (
    JobExpired,
    JobNotFound,
    JobNotFunded,
    JobTerms,
    JobTermsMismatch,
    PoolNotActive,
    PoolNotFound,
    PoolTerms,
    PoolTermsMismatch,
    check_job,
    check_pool,
)

BUDGET = 5_000_000
PRICE = 50_000
POOL = 100 * PRICE
HOUR = 3600
ACCEPTANCE = b"\x0a" * 32


def job_terms(chain, **changes) -> JobTerms:
    terms = {
        "client": chain.buyer.address,
        "provider": chain.provider.address,
        "evaluator": chain.evaluator.address,
        "token": chain.deployment.usdc,
        "budget": BUDGET,
    }
    return JobTerms(**(terms | changes))


async def test_a_funded_job_with_the_accepted_terms_passes(chain):
    job_id = await chain.job_in(JobStatus.FUNDED, budget=BUDGET)
    # addresses are compared whatever their case
    job = await check_job(chain.reader, job_id, job_terms(chain, client=chain.buyer.address.lower()))
    assert (job.job_id, job.status, job.budget) == (job_id, JobStatus.FUNDED, BUDGET)


async def test_unknown_job(chain):
    with pytest.raises(JobNotFound) as exc:
        await check_job(chain.reader, 10_000, job_terms(chain))
    assert exc.value.job_id == 10_000


async def test_a_job_someone_else_created_cannot_be_claimed(chain):
    """The squatting attack: a buyer names a job id it did not create."""
    created = await chain.stranger.create_job(
        chain.provider.address, chain.evaluator.address, await chain.now() + HOUR, "someone else's"
    )
    await chain.stranger.set_budget(created.job_id, BUDGET)
    await chain.stranger.fund(created.job_id, BUDGET)
    with pytest.raises(JobTermsMismatch) as exc:
        await check_job(chain.reader, created.job_id, job_terms(chain))
    assert [m.term for m in exc.value.mismatches] == ["client"]
    assert exc.value.mismatches[0].actual == chain.stranger.address


@pytest.mark.parametrize("term", ["provider", "evaluator", "token", "budget"])
async def test_each_differing_term_is_named(chain, term):
    job_id = await chain.job_in(JobStatus.FUNDED, budget=BUDGET)
    other = {
        "provider": chain.stranger.address,
        "evaluator": chain.stranger.address,
        "token": chain.deployment.agentic_commerce,  # any other address
        "budget": BUDGET + 1,
    }[term]
    with pytest.raises(JobTermsMismatch) as exc:
        await check_job(chain.reader, job_id, job_terms(chain, **{term: other}))
    assert [m.term for m in exc.value.mismatches] == [term]
    assert term in str(exc.value)


@pytest.mark.parametrize("status", [JobStatus.OPEN, JobStatus.SUBMITTED, JobStatus.COMPLETED, JobStatus.REJECTED])
async def test_a_job_that_is_not_escrowed_now_is_refused(chain, status):
    job_id = await chain.job_in(status, budget=BUDGET)
    with pytest.raises(JobNotFunded) as exc:
        await check_job(chain.reader, job_id, job_terms(chain))
    assert exc.value.status is status


async def test_a_submitted_job_passes_when_allowed(chain):
    job_id = await chain.job_in(JobStatus.SUBMITTED, budget=BUDGET)
    job = await check_job(chain.reader, job_id, job_terms(chain), allow_submitted=True)
    assert job.status is JobStatus.SUBMITTED


async def test_an_expired_job_is_refused(chain):
    job_id = await chain.job_in(JobStatus.FUNDED, budget=BUDGET)
    await chain.advance(HOUR)
    with pytest.raises(JobExpired):
        await check_job(chain.reader, job_id, job_terms(chain))


def pool_terms(chain, expires_at: int, **changes) -> PoolTerms:
    terms = {
        "buyer": chain.buyer.address,
        "acceptance_id": ACCEPTANCE,
        "provider": chain.provider.address,
        "evaluator": chain.evaluator.address,
        "token": chain.deployment.usdc,
        "amount": POOL,
        "price_per_task": PRICE,
        "expires_at": expires_at,
    }
    return PoolTerms(**(terms | changes))


async def open_pool(chain, expired_at: int, amount: int = POOL) -> bytes:
    opened = await chain.buyer.open_pool(
        chain.provider.address, chain.evaluator.address, expired_at, b"\x01" * 32, ACCEPTANCE, amount, PRICE
    )
    return opened.pool_id


async def test_the_buyers_funded_pool_for_the_acceptance_passes(chain):
    expires = await chain.now() + HOUR
    pool_id = await open_pool(chain, expires)
    pool = await check_pool(chain.reader, pool_terms(chain, expires_at=expires - 60))
    assert (pool.pool_id, pool.remaining, pool.price_per_task) == (pool_id, POOL, PRICE)


async def test_no_pool_yet(chain):
    with pytest.raises(PoolNotFound) as exc:
        await check_pool(chain.reader, pool_terms(chain, expires_at=await chain.now() + HOUR))
    assert exc.value.pool_id == await chain.reader.pool_id_for(chain.buyer.address, ACCEPTANCE)


async def test_another_buyers_pool_does_not_count(chain):
    expires = await chain.now() + HOUR
    await chain.stranger.open_pool(
        chain.provider.address, chain.evaluator.address, expires, b"\x01" * 32, ACCEPTANCE, POOL, PRICE
    )
    with pytest.raises(PoolNotFound):
        await check_pool(chain.reader, pool_terms(chain, expires_at=expires))


@pytest.mark.parametrize("term", ["provider", "evaluator", "token", "price_per_task", "amount", "expires_at"])
async def test_each_differing_pool_term_is_named(chain, term):
    expires = await chain.now() + HOUR
    await open_pool(chain, expires)
    other = {
        "provider": chain.stranger.address,
        "evaluator": chain.stranger.address,
        "token": chain.deployment.agentic_commerce,
        "price_per_task": PRICE * 2,
        "amount": POOL + 1,  # funded with less than accepted
        "expires_at": expires + 1,  # ends before the acceptance does
    }[term]
    with pytest.raises(PoolTermsMismatch) as exc:
        await check_pool(chain.reader, pool_terms(chain, **({"expires_at": expires} | {term: other})))
    assert [m.term for m in exc.value.mismatches] == [term]


async def test_an_expired_or_closed_pool_is_not_usable(chain):
    expires = await chain.now() + HOUR
    await open_pool(chain, expires)
    await chain.advance(HOUR)
    terms = pool_terms(chain, expires_at=expires)
    with pytest.raises(PoolNotActive) as exc:
        await check_pool(chain.reader, terms)
    assert exc.value.status is PoolStatus.ACTIVE
    await chain.stranger.reclaim(await chain.reader.pool_id_for(chain.buyer.address, ACCEPTANCE))
    with pytest.raises(PoolNotActive) as exc:
        await check_pool(chain.reader, terms)
    assert exc.value.status is PoolStatus.CLOSED


def test_terms_refuse_malformed_input():
    with pytest.raises(ValidationError, match="not an EVM address"):
        JobTerms(
            client="0x1234", provider="0x" + "11" * 20, evaluator="0x" + "22" * 20, token="0x" + "33" * 20, budget=1
        )
    with pytest.raises(ValidationError, match="budget"):
        JobTerms(
            client="0x" + "44" * 20,
            provider="0x" + "11" * 20,
            evaluator="0x" + "22" * 20,
            token="0x" + "33" * 20,
            budget=0,
        )

"""Tokens that misbehave: re-entering, fee-on-transfer, and no-bool-return (USDT-style)."""

from __future__ import annotations

import pytest

from pactline_escrow import EscrowReverted, JobStatus, PoolStatus
from pactline_escrow.artifacts import load_artifact

BUDGET = 5_000_000
HOUR = 3600
EVIDENCE = b"\xee" * 32


async def job_with_token(chain, token: str) -> int:
    await chain.mint(chain.buyer.address, 10 * BUDGET, token)
    created = await chain.buyer.create_job(
        chain.provider.address, chain.evaluator.address, await chain.now() + HOUR, "t"
    )
    await chain.buyer.set_budget(created.job_id, BUDGET, token=token)
    return created.job_id


async def pool_with_token(chain, token: str) -> bytes:
    await chain.mint(chain.buyer.address, 10 * BUDGET, token)
    opened = await chain.buyer.open_pool(
        chain.provider.address,
        chain.evaluator.address,
        await chain.now() + HOUR,
        b"\x01" * 32,
        b"\x02" * 32,
        BUDGET,
        token=token,
    )
    return opened.pool_id


async def arm(chain, token: str, target: str, payload: bytes) -> None:
    handle = chain.w3.eth.contract(address=token, abi=load_artifact("ReentrantToken").abi)
    await chain.admin.send(handle.functions.arm(target, payload))


def calldata(contract, name: str, *args) -> bytes:
    return bytes.fromhex(contract.encode_abi(name, args=list(args)).removeprefix("0x"))


async def test_reentry_during_fund_is_refused(chain):
    token = await chain.deploy_token("ReentrantToken")
    job_id = await job_with_token(chain, token)
    commerce = chain.reader.commerce
    await arm(chain, token, commerce.address, calldata(commerce, "claimRefund", job_id))
    await chain.buyer.approve(token, commerce.address, BUDGET)
    with pytest.raises(EscrowReverted) as exc:
        await chain.buyer.signer.send(commerce.functions.fund(job_id, BUDGET, b""))
    assert exc.value.error == "ReentrancyGuardReentrantCall"
    assert (await chain.reader.get_job(job_id)).status is JobStatus.OPEN


async def test_reentry_during_payout_is_refused(chain):
    token = await chain.deploy_token("ReentrantToken")
    job_id = await job_with_token(chain, token)
    await chain.buyer.fund(job_id, BUDGET)
    await chain.provider.submit(job_id, b"\x01" * 32)
    commerce = chain.reader.commerce
    # the token tries to reject (refund) the job while complete() is paying it out
    payload = calldata(commerce, "reject", job_id, EVIDENCE, b"")
    await arm(chain, token, commerce.address, payload)
    with pytest.raises(EscrowReverted) as exc:
        await chain.evaluator.complete(job_id, EVIDENCE)
    assert exc.value.error == "ReentrancyGuardReentrantCall"
    assert (await chain.reader.get_job(job_id)).status is JobStatus.SUBMITTED
    assert await chain.balance(commerce.address, token) == BUDGET


async def test_reentry_during_batch_settlement_is_refused(chain):
    token = await chain.deploy_token("ReentrantToken")
    pool_id = await pool_with_token(chain, token)
    aggregate = chain.reader.aggregate
    payload = calldata(aggregate, "settleBatch", pool_id, 2, 1, 0, b"\x03" * 32)
    await arm(chain, token, aggregate.address, payload)
    with pytest.raises(EscrowReverted) as exc:
        await chain.evaluator.settle_amounts(pool_id, 1, 1_000, 0, b"\x03" * 32)
    assert exc.value.error == "ReentrancyGuardReentrantCall"
    pool = await chain.reader.get_pool(pool_id)
    assert (pool.remaining, pool.last_batch_seq) == (BUDGET, 0)


async def test_fee_on_transfer_token_cannot_fund_a_job(chain):
    token = await chain.deploy_token("FeeOnTransferToken")
    job_id = await job_with_token(chain, token)
    with pytest.raises(EscrowReverted) as exc:
        await chain.buyer.fund(job_id, BUDGET)
    assert exc.value.error == "AgenticCommerceTransferAmountMismatch"
    assert exc.value.error_args == (BUDGET, BUDGET - BUDGET // 100)
    assert (await chain.reader.get_job(job_id)).status is JobStatus.OPEN


async def test_fee_on_transfer_token_cannot_open_a_pool(chain):
    token = await chain.deploy_token("FeeOnTransferToken")
    with pytest.raises(EscrowReverted) as exc:
        await pool_with_token(chain, token)
    assert exc.value.error == "AggregateEscrowTransferAmountMismatch"
    assert exc.value.error_args == (BUDGET, BUDGET - BUDGET // 100)


async def test_no_return_token_runs_the_whole_job_flow(chain):
    token = await chain.deploy_token("NoReturnToken")
    job_id = await job_with_token(chain, token)
    await chain.buyer.fund(job_id, BUDGET)
    assert await chain.balance(chain.reader.commerce.address, token) == BUDGET
    await chain.provider.submit(job_id, b"\x01" * 32)
    await chain.evaluator.complete(job_id, EVIDENCE)
    assert await chain.balance(chain.provider.address, token) == BUDGET
    assert await chain.balance(chain.reader.commerce.address, token) == 0


async def test_no_return_token_runs_the_pool_flow(chain):
    token = await chain.deploy_token("NoReturnToken")
    pool_id = await pool_with_token(chain, token)
    await chain.evaluator.settle_amounts(pool_id, 1, 1_000, 2_000, b"\x03" * 32)
    assert await chain.balance(chain.provider.address, token) == 1_000
    await chain.advance(HOUR)
    await chain.buyer.reclaim(pool_id)
    assert await chain.balance(chain.buyer.address, token) == 10 * BUDGET - 1_000
    assert (await chain.reader.get_pool(pool_id)).status is PoolStatus.CLOSED

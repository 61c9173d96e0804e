"""Tokens that misbehave: re-entering, fee-on-transfer, and no-bool-return (USDT-style).

Blacklisting tokens (a refusing recipient) have their own file, test_blocked_recipients.py.
"""

from __future__ import annotations

import pytest

from pactline_escrow import EscrowReverted, JobStatus, PoolStatus

BUDGET = 5_000_000
PRICE = 1_000
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
        PRICE,
        token=token,
    )
    return opened.pool_id


async def arm(chain, token: str, target: str, payload: bytes) -> None:
    handle = chain.test_contract("ReentrantToken", token)
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
        await chain.buyer.signer.send(commerce.functions.fund(job_id, token, BUDGET, b""))
    assert exc.value.error == "ReentrancyGuardReentrantCall"
    assert (await chain.reader.get_job(job_id)).status is JobStatus.OPEN


async def test_reentry_during_payout_is_refused_and_the_payout_becomes_a_credit(chain):
    token = await chain.deploy_token("ReentrantToken")
    job_id = await job_with_token(chain, token)
    await chain.buyer.fund(job_id, BUDGET, expected_token=token)
    await chain.provider.submit(job_id, b"\x01" * 32)
    commerce = chain.reader.commerce
    # the token tries to reject (refund) the job while complete() is paying it out
    payload = calldata(commerce, "reject", job_id, EVIDENCE, b"")
    await arm(chain, token, commerce.address, payload)
    buyer_before = await chain.balance(chain.buyer.address, token)

    await chain.evaluator.complete(job_id, EVIDENCE)

    # the re-entrant reject was refused, which made the payout transfer fail: the job is
    # Completed, nothing was refunded, and the budget waits as the provider's credit
    assert (await chain.reader.get_job(job_id)).status is JobStatus.COMPLETED
    assert await chain.balance(chain.buyer.address, token) == buyer_before
    assert await chain.reader.job_credit(chain.provider.address, token) == BUDGET
    assert await chain.balance(commerce.address, token) == BUDGET
    # the failed transfer rolled back the token's own disarming: disarm it, then the credit pays
    await arm(chain, token, "0x0000000000000000000000000000000000000000", b"")
    await chain.provider.withdraw_job_credit(token)
    assert await chain.balance(chain.provider.address, token) == BUDGET


async def test_reentry_during_withdrawal_is_refused(chain):
    token = await chain.deploy_token("ReentrantToken")
    pool_id = await pool_with_token(chain, token)
    await chain.evaluator.settle_amounts(pool_id, 1, 2, PRICE, PRICE, b"\x03" * 32)
    aggregate = chain.reader.aggregate
    # while paying the provider, the token tries to pay it again
    payload = calldata(aggregate, "withdraw", pool_id, chain.provider.address)
    await arm(chain, token, aggregate.address, payload)
    with pytest.raises(EscrowReverted) as exc:
        await chain.provider.withdraw_pool_credit(pool_id)
    assert exc.value.error == "ReentrancyGuardReentrantCall"
    pool = await chain.reader.get_pool(pool_id)
    assert (pool.provider_owed, pool.buyer_owed) == (PRICE, PRICE)
    assert await chain.balance(aggregate.address, token) == BUDGET


async def test_fee_on_transfer_token_cannot_fund_a_job(chain):
    token = await chain.deploy_token("FeeOnTransferToken")
    job_id = await job_with_token(chain, token)
    with pytest.raises(EscrowReverted) as exc:
        await chain.buyer.fund(job_id, BUDGET, expected_token=token)
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
    await chain.buyer.fund(job_id, BUDGET, expected_token=token)
    assert await chain.balance(chain.reader.commerce.address, token) == BUDGET
    await chain.provider.submit(job_id, b"\x01" * 32)
    await chain.evaluator.complete(job_id, EVIDENCE)
    assert await chain.balance(chain.provider.address, token) == BUDGET
    assert await chain.balance(chain.reader.commerce.address, token) == 0


async def test_no_return_token_runs_the_pool_flow(chain):
    token = await chain.deploy_token("NoReturnToken")
    pool_id = await pool_with_token(chain, token)
    await chain.evaluator.settle_amounts(pool_id, 1, 3, PRICE, 2 * PRICE, b"\x03" * 32)
    await chain.provider.withdraw_pool_credit(pool_id)
    assert await chain.balance(chain.provider.address, token) == PRICE
    await chain.advance(HOUR)
    await chain.buyer.reclaim(pool_id)
    assert await chain.balance(chain.buyer.address, token) == 10 * BUDGET - PRICE
    assert (await chain.reader.get_pool(pool_id)).status is PoolStatus.CLOSED

"""Attack: a party the token refuses (a blacklisted USDC address) would lock refunds, reclaims or
every later batch if payouts reverted. Instead the amount becomes that party's credit, which it
withdraws to another address (pull payment)."""

from __future__ import annotations

import pytest
from web3.logs import DISCARD

from pactline_escrow import EscrowReverted, JobStatus, PoolStatus

BUDGET = 5_000_000
PRICE = 1_000_000
HOUR = 3600
EVIDENCE = b"\xee" * 32
ZERO = "0x0000000000000000000000000000000000000000"


@pytest.fixture
async def token(chain) -> str:
    address = await chain.deploy_token("BlacklistToken")
    await chain.mint(chain.buyer.address, 100 * BUDGET, address)
    return address


async def blacklist(chain, token: str, who: str, blocked: bool = True) -> None:
    await chain.admin.send(chain.test_contract("BlacklistToken", token).functions.setBlacklisted(who, blocked))


async def funded_job(chain, token: str, submitted: bool = True) -> int:
    created = await chain.buyer.create_job(
        chain.provider.address, chain.evaluator.address, await chain.now() + HOUR, "t"
    )
    await chain.provider.set_budget(created.job_id, BUDGET, token=token)
    await chain.buyer.fund(created.job_id, BUDGET, expected_token=token)
    if submitted:
        await chain.provider.submit(created.job_id, b"\x01" * 32)
    return created.job_id


async def test_completing_for_a_blacklisted_provider_credits_it_instead_of_reverting(chain, token):
    job_id = await funded_job(chain, token)
    await blacklist(chain, token, chain.provider.address)

    tx = await chain.evaluator.complete(job_id, EVIDENCE)

    assert (await chain.reader.get_job(job_id)).status is JobStatus.COMPLETED
    assert await chain.reader.job_credit(chain.provider.address, token) == BUDGET
    receipt = await chain.w3.eth.get_transaction_receipt(tx.tx_hash)
    (deferred,) = chain.reader.commerce.events.PaymentDeferred().process_receipt(receipt, errors=DISCARD)
    assert deferred["args"]["account"] == chain.provider.address
    assert (deferred["args"]["token"], deferred["args"]["amount"]) == (token, BUDGET)

    # to itself the token still refuses, and the credit stays; to a fresh address it pays
    with pytest.raises(EscrowReverted):
        await chain.provider.withdraw_job_credit(token)
    assert await chain.reader.job_credit(chain.provider.address, token) == BUDGET
    fresh = chain.stranger.address
    await chain.provider.withdraw_job_credit(token, to=fresh)
    assert await chain.balance(fresh, token) == BUDGET
    assert await chain.reader.job_credit(chain.provider.address, token) == 0
    assert await chain.balance(chain.deployment.agentic_commerce, token) == 0


async def test_refund_and_expiry_refund_to_a_blacklisted_buyer_do_not_revert(chain, token):
    rejected = await funded_job(chain, token)
    expired = await funded_job(chain, token, submitted=False)
    await blacklist(chain, token, chain.buyer.address)

    await chain.evaluator.reject(rejected, EVIDENCE)
    await chain.advance(HOUR)
    await chain.stranger.claim_refund(expired)  # anyone, and nothing the buyer's status can block

    assert (await chain.reader.get_job(rejected)).status is JobStatus.REJECTED
    assert (await chain.reader.get_job(expired)).status is JobStatus.EXPIRED
    assert await chain.reader.job_credit(chain.buyer.address, token) == 2 * BUDGET
    await chain.buyer.withdraw_job_credit(token, to=chain.stranger.address)
    assert await chain.balance(chain.stranger.address, token) == 2 * BUDGET


async def test_a_blocked_party_does_not_hold_up_other_jobs(chain, token):
    blocked = await funded_job(chain, token)
    other = await funded_job(chain, token)
    await blacklist(chain, token, chain.provider.address)
    await chain.evaluator.complete(blocked, EVIDENCE)
    await blacklist(chain, token, chain.provider.address, blocked=False)
    await chain.evaluator.complete(other, EVIDENCE)
    assert await chain.balance(chain.provider.address, token) == BUDGET  # paid directly
    assert await chain.reader.job_credit(chain.provider.address, token) == BUDGET  # still owed


async def test_withdraw_needs_a_credit_and_a_recipient(chain, token):
    with pytest.raises(EscrowReverted) as exc:
        await chain.provider.withdraw_job_credit(token)
    assert exc.value.error == "AgenticCommerceNothingToWithdraw"
    assert exc.value.error_args == (chain.provider.address, token)
    with pytest.raises(EscrowReverted) as exc:
        await chain.provider.withdraw_job_credit(token, to=ZERO)
    assert exc.value.error == "AgenticCommerceInvalidRecipient"


async def test_pool_batches_keep_settling_and_reclaim_closes_with_both_parties_blacklisted(chain, token):
    opened = await chain.buyer.open_pool(
        chain.provider.address,
        chain.evaluator.address,
        await chain.now() + HOUR,
        b"\x01" * 32,
        b"\x02" * 32,
        10 * PRICE,
        PRICE,
        token=token,
    )
    pool_id = opened.pool_id
    await blacklist(chain, token, chain.provider.address)
    await blacklist(chain, token, chain.buyer.address)

    # batches move no tokens, so a blocked party cannot stall them
    await chain.evaluator.settle_amounts(pool_id, 1, 3, 2 * PRICE, PRICE, b"\x03" * 32)
    await chain.evaluator.settle_amounts(pool_id, 2, 2, 2 * PRICE, 0, b"\x04" * 32)
    await chain.advance(HOUR)
    tx = await chain.stranger.reclaim(pool_id)

    pool = await chain.reader.get_pool(pool_id)
    assert pool.status is PoolStatus.CLOSED
    assert (pool.provider_owed, pool.buyer_owed, pool.remaining) == (4 * PRICE, 6 * PRICE, 0)
    receipt = await chain.w3.eth.get_transaction_receipt(tx.tx_hash)
    deferred = chain.reader.aggregate.events.PaymentDeferred().process_receipt(receipt, errors=DISCARD)
    assert {(d["args"]["account"], d["args"]["amount"]) for d in deferred} == {
        (chain.buyer.address, 6 * PRICE),
        (chain.provider.address, 4 * PRICE),
    }

    payee = chain.stranger.address
    await chain.provider.withdraw_pool_credit(pool_id, to=payee)
    await chain.buyer.withdraw_pool_credit(pool_id, to=payee)
    assert await chain.balance(payee, token) == 10 * PRICE
    assert await chain.balance(chain.deployment.aggregate_escrow, token) == 0


async def test_reclaim_pushes_to_whoever_can_receive_and_keeps_the_rest_as_credit(chain, token):
    opened = await chain.buyer.open_pool(
        chain.provider.address,
        chain.evaluator.address,
        await chain.now() + HOUR,
        b"\x01" * 32,
        b"\x05" * 32,
        4 * PRICE,
        PRICE,
        token=token,
    )
    await chain.evaluator.settle_amounts(opened.pool_id, 1, 1, PRICE, 0, b"\x03" * 32)
    await blacklist(chain, token, chain.provider.address)
    await chain.advance(HOUR)
    buyer_before = await chain.balance(chain.buyer.address, token)
    await chain.stranger.reclaim(opened.pool_id)
    assert await chain.balance(chain.buyer.address, token) - buyer_before == 3 * PRICE
    pool = await chain.reader.get_pool(opened.pool_id)
    assert (pool.provider_owed, pool.buyer_owed) == (PRICE, 0)

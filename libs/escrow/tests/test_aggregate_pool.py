"""Aggregate escrow: pools opened by buyers at a price per task, settled in ordered batches by the
evaluator only, each batch worth exactly its task count times the price, paid out as credits."""

from __future__ import annotations

import pytest

from pactline_escrow import EscrowReverted, PoolStatus, VerdictBatch, VerdictLeaf, VerdictOutcome

ONE_USDC = 1_000_000
PRICE = ONE_USDC
POOL = 100 * PRICE
HOUR = 3600
DAY = 24 * HOUR
PACT = b"\x0a" * 32
ACCEPTANCE = b"\x0b" * 32
ROOT = b"\x0c" * 32
ZERO = "0x0000000000000000000000000000000000000000"


async def open_pool(chain, amount: int = POOL, acceptance: bytes = ACCEPTANCE, price: int = PRICE) -> bytes:
    opened = await chain.buyer.open_pool(
        chain.provider.address,
        chain.evaluator.address,
        await chain.now() + HOUR,
        PACT,
        acceptance,
        amount,
        price,
    )
    return opened.pool_id


def batch_of(pool_id: bytes, seq: int, passed: int, failed: int, price: int = PRICE) -> VerdictBatch:
    leaves = [
        VerdictLeaf(
            pool_id=pool_id,
            batch_seq=seq,
            task_id=(seq * 1000 + i).to_bytes(32, "big"),
            outcome=VerdictOutcome.PASS if i < passed else VerdictOutcome.FAIL,
            released=price if i < passed else 0,
            refunded=0 if i < passed else price,
            evidence_digest=b"\x01" * 32,
        )
        for i in range(passed + failed)
    ]
    return VerdictBatch(pool_id, seq, price, leaves)


async def test_open_pool_escrows_funds_under_derived_id_at_a_price(chain):
    pool_id = await open_pool(chain)
    assert pool_id == await chain.reader.pool_id_for(chain.buyer.address, ACCEPTANCE)
    pool = await chain.reader.get_pool(pool_id)
    assert (pool.status, pool.funded, pool.remaining, pool.price_per_task) == (PoolStatus.ACTIVE, POOL, POOL, PRICE)
    assert (pool.last_batch_seq, pool.batch_chain) == (0, pool_id)  # the chain starts at the pool id
    assert await chain.balance(chain.deployment.aggregate_escrow) == POOL


async def test_batches_credit_netted_amounts_and_extend_the_chain(chain):
    pool_id = await open_pool(chain)
    provider_before = await chain.balance(chain.provider.address)
    buyer_before = await chain.balance(chain.buyer.address)

    first, second = batch_of(pool_id, 1, passed=5, failed=4), batch_of(pool_id, 2, passed=1, failed=0)
    await chain.evaluator.settle_batch(first)
    await chain.evaluator.settle_batch(second)

    # settling moves no tokens: the amounts become the parties' credits
    assert await chain.balance(chain.provider.address) == provider_before
    assert await chain.balance(chain.deployment.aggregate_escrow) == POOL
    pool = await chain.reader.get_pool(pool_id)
    assert (pool.released, pool.refunded, pool.provider_owed, pool.buyer_owed) == (
        6 * PRICE,
        4 * PRICE,
        6 * PRICE,
        4 * PRICE,
    )
    assert (pool.remaining, pool.last_batch_seq) == (POOL - 10 * PRICE, 2)
    assert pool.batch_chain == second.chain_after(first.chain_after(pool_id))

    await chain.provider.withdraw_pool_credit(pool_id)
    await chain.buyer.withdraw_pool_credit(pool_id)
    assert await chain.balance(chain.provider.address) - provider_before == 6 * PRICE
    assert await chain.balance(chain.buyer.address) - buyer_before == 4 * PRICE
    assert await chain.balance(chain.deployment.aggregate_escrow) == POOL - 10 * PRICE
    pool = await chain.reader.get_pool(pool_id)
    assert (pool.provider_owed, pool.buyer_owed) == (0, 0)


@pytest.mark.parametrize(
    ("task_count", "released", "refunded"),
    [
        (1, 2 * PRICE, 0),  # one task, two prices to the provider
        (1, PRICE, 1),  # a little extra
        (3, PRICE, PRICE),  # less than the tasks are worth
        (2, 0, 3 * PRICE),
    ],
)
async def test_evaluator_cannot_move_more_or_less_than_the_tasks_are_worth(chain, task_count, released, refunded):
    pool_id = await open_pool(chain)
    with pytest.raises(EscrowReverted) as exc:
        await chain.evaluator.settle_amounts(pool_id, 1, task_count, released, refunded, ROOT)
    assert exc.value.error == "AggregateEscrowBatchAmountMismatch"
    assert exc.value.error_args == (pool_id, task_count, PRICE, released + refunded)
    assert (await chain.reader.get_pool(pool_id)).remaining == POOL


async def test_a_batch_settles_at_least_one_task(chain):
    pool_id = await open_pool(chain)
    with pytest.raises(EscrowReverted) as exc:
        await chain.evaluator.settle_amounts(pool_id, 1, 0, 0, 0, ROOT)
    assert exc.value.error == "AggregateEscrowEmptyBatch"


@pytest.mark.parametrize("seq", [0, 2, 7])
async def test_first_batch_must_be_one(chain, seq):
    pool_id = await open_pool(chain)
    with pytest.raises(EscrowReverted) as exc:
        await chain.evaluator.settle_amounts(pool_id, seq, 1, PRICE, 0, ROOT)
    assert exc.value.error == "AggregateEscrowBatchOutOfOrder"
    assert exc.value.error_args == (pool_id, seq, 1)


async def test_reused_batch_number_is_refused_and_credits_nothing(chain):
    pool_id = await open_pool(chain)
    await chain.evaluator.settle_amounts(pool_id, 1, 1, PRICE, 0, ROOT)
    with pytest.raises(EscrowReverted) as exc:
        await chain.evaluator.settle_amounts(pool_id, 1, 1, PRICE, 0, ROOT)
    assert exc.value.error == "AggregateEscrowBatchOutOfOrder"
    assert exc.value.error_args == (pool_id, 1, 2)
    assert (await chain.reader.get_pool(pool_id)).provider_owed == PRICE


@pytest.mark.parametrize("who", ["buyer", "provider", "stranger"])
async def test_only_the_evaluator_settles(chain, who):
    pool_id = await open_pool(chain)
    caller = getattr(chain, who)
    fn = chain.reader.aggregate.functions.settleBatch(pool_id, 1, 1, PRICE, 0, ROOT)
    with pytest.raises(EscrowReverted) as exc:
        await caller.signer.send(fn)
    assert exc.value.error == "AggregateEscrowUnauthorized"
    assert exc.value.error_args == (pool_id, caller.address)


async def test_batch_may_not_exceed_the_pool(chain):
    pool_id = await open_pool(chain, amount=5 * PRICE + 7)
    await chain.evaluator.settle_amounts(pool_id, 1, 4, 3 * PRICE, PRICE, ROOT)
    with pytest.raises(EscrowReverted) as exc:
        await chain.evaluator.settle_amounts(pool_id, 2, 2, 2 * PRICE, 0, ROOT)
    assert exc.value.error == "AggregateEscrowInsufficientPool"
    assert exc.value.error_args == (pool_id, 2 * PRICE, PRICE + 7)
    await chain.evaluator.settle_amounts(pool_id, 2, 1, 0, PRICE, ROOT)
    assert (await chain.reader.get_pool(pool_id)).remaining == 7


async def test_batch_needs_a_root(chain):
    pool_id = await open_pool(chain)
    with pytest.raises(EscrowReverted) as exc:
        await chain.evaluator.settle_amounts(pool_id, 1, 1, PRICE, 0, b"\x00" * 32)
    assert exc.value.error == "AggregateEscrowEmptyRoot"


async def test_reclaim_after_expiry_returns_the_rest_pays_credits_and_closes(chain):
    pool_id = await open_pool(chain)
    await chain.evaluator.settle_amounts(pool_id, 1, 10, 7 * PRICE, 3 * PRICE, ROOT)
    with pytest.raises(EscrowReverted) as exc:
        await chain.buyer.reclaim(pool_id)
    assert exc.value.error == "AggregateEscrowNotExpired"

    await chain.advance(HOUR)
    with pytest.raises(EscrowReverted) as exc:
        await chain.evaluator.settle_amounts(pool_id, 2, 1, PRICE, 0, ROOT)
    assert exc.value.error == "AggregateEscrowPoolExpired"

    buyer_before = await chain.balance(chain.buyer.address)
    provider_before = await chain.balance(chain.provider.address)
    await chain.stranger.reclaim(pool_id)  # anyone may trigger it; funds go only to the parties
    assert await chain.balance(chain.buyer.address) - buyer_before == POOL - 7 * PRICE
    assert await chain.balance(chain.provider.address) - provider_before == 7 * PRICE
    assert await chain.balance(chain.deployment.aggregate_escrow) == 0
    pool = await chain.reader.get_pool(pool_id)
    assert (pool.status, pool.remaining, pool.provider_owed, pool.buyer_owed) == (PoolStatus.CLOSED, 0, 0, 0)

    with pytest.raises(EscrowReverted) as exc:
        await chain.buyer.reclaim(pool_id)
    assert exc.value.error == "AggregateEscrowInvalidState"
    with pytest.raises(EscrowReverted) as exc:
        await chain.evaluator.settle_amounts(pool_id, 2, 1, PRICE, 0, ROOT)
    assert exc.value.error == "AggregateEscrowInvalidState"
    with pytest.raises(EscrowReverted) as exc:
        await chain.provider.withdraw_pool_credit(pool_id)
    assert exc.value.error == "AggregateEscrowNothingToWithdraw"


async def test_withdraw_is_for_the_parties_to_an_address_they_choose(chain):
    pool_id = await open_pool(chain)
    await chain.evaluator.settle_amounts(pool_id, 1, 2, PRICE, PRICE, ROOT)
    with pytest.raises(EscrowReverted) as exc:
        await chain.stranger.withdraw_pool_credit(pool_id)
    assert exc.value.error == "AggregateEscrowUnauthorized"
    with pytest.raises(EscrowReverted) as exc:
        await chain.provider.withdraw_pool_credit(pool_id, to=ZERO)
    assert exc.value.error == "AggregateEscrowInvalidRecipient"

    cold_wallet = chain.stranger.address
    before = await chain.balance(cold_wallet)
    await chain.provider.withdraw_pool_credit(pool_id, to=cold_wallet)
    assert await chain.balance(cold_wallet) - before == PRICE
    with pytest.raises(EscrowReverted) as exc:
        await chain.provider.withdraw_pool_credit(pool_id)
    assert exc.value.error == "AggregateEscrowNothingToWithdraw"
    assert (await chain.reader.get_pool(pool_id)).buyer_owed == PRICE


async def test_one_pool_per_buyer_and_acceptance(chain):
    await open_pool(chain)
    with pytest.raises(EscrowReverted) as exc:
        await open_pool(chain)
    assert exc.value.error == "AggregateEscrowPoolExists"
    # another buyer's pool for the same acceptance id is a different pool
    other = await chain.stranger.open_pool(
        chain.provider.address,
        chain.evaluator.address,
        await chain.now() + HOUR,
        PACT,
        ACCEPTANCE,
        POOL,
        PRICE,
    )
    assert other.pool_id != await chain.reader.pool_id_for(chain.buyer.address, ACCEPTANCE)


async def test_top_up_by_buyer_only_before_expiry(chain):
    pool_id = await open_pool(chain)
    await chain.buyer.fund_pool(pool_id, ONE_USDC)
    pool = await chain.reader.get_pool(pool_id)
    assert (pool.funded, pool.remaining) == (POOL + ONE_USDC, POOL + ONE_USDC)
    with pytest.raises(EscrowReverted) as exc:
        await chain.stranger.fund_pool(pool_id, ONE_USDC)
    assert exc.value.error == "AggregateEscrowUnauthorized"
    await chain.advance(HOUR)
    with pytest.raises(EscrowReverted) as exc:
        await chain.buyer.fund_pool(pool_id, ONE_USDC)
    assert exc.value.error == "AggregateEscrowPoolExpired"


@pytest.mark.parametrize(
    ("field", "error"),
    [
        ("provider", "AggregateEscrowZeroAddress"),
        ("evaluator", "AggregateEscrowZeroAddress"),
        ("provider=buyer", "AggregateEscrowRoleConflict"),
        ("provider=evaluator", "AggregateEscrowRoleConflict"),
        ("expiry soon", "AggregateEscrowInvalidExpiry"),
        ("expiry past a year", "AggregateEscrowInvalidExpiry"),
        ("expiry past uint48", "AggregateEscrowInvalidExpiry"),
        ("amount", "AggregateEscrowInvalidAmount"),
        ("price zero", "AggregateEscrowInvalidPrice"),
        ("price above amount", "AggregateEscrowInvalidPrice"),
    ],
)
async def test_open_pool_validation(chain, field, error):
    now = await chain.now()
    args = {
        "provider": chain.provider.address,
        "evaluator": chain.evaluator.address,
        "expired_at": now + HOUR,
        "amount": POOL,
        "price_per_task": PRICE,
    }
    changes = {
        "provider": {"provider": ZERO},
        "evaluator": {"evaluator": ZERO},
        "provider=buyer": {"provider": chain.buyer.address},
        "provider=evaluator": {"provider": chain.evaluator.address},
        "expiry soon": {"expired_at": now + 60},
        "expiry past a year": {"expired_at": now + 366 * DAY},
        "expiry past uint48": {"expired_at": 2**48 + 5},
        "amount": {"amount": 0},
        "price zero": {"price_per_task": 0},
        "price above amount": {"price_per_task": POOL + 1},
    }
    args |= changes[field]
    with pytest.raises(EscrowReverted) as exc:
        await chain.buyer.open_pool(pact_hash=PACT, acceptance_id=ACCEPTANCE, **args)
    assert exc.value.error == error


async def test_unknown_pool_is_reported_as_not_found(chain):
    with pytest.raises(EscrowReverted) as exc:
        await chain.evaluator.settle_amounts(b"\x42" * 32, 1, 1, PRICE, 0, ROOT)
    assert exc.value.error == "AggregateEscrowPoolNotFound"

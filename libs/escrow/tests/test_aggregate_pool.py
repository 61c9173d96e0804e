"""Aggregate escrow: pools opened by buyers, settled in ordered batches by the evaluator only."""

from __future__ import annotations

import pytest

from pactline_escrow import EscrowReverted, PoolStatus, VerdictBatch, VerdictLeaf, VerdictOutcome

ONE_USDC = 1_000_000
POOL = 100 * ONE_USDC
HOUR = 3600
PACT = b"\x0a" * 32
ACCEPTANCE = b"\x0b" * 32
ROOT = b"\x0c" * 32
ZERO = "0x0000000000000000000000000000000000000000"


async def open_pool(chain, amount: int = POOL, acceptance: bytes = ACCEPTANCE) -> bytes:
    opened = await chain.buyer.open_pool(
        chain.provider.address,
        chain.evaluator.address,
        await chain.now() + HOUR,
        PACT,
        acceptance,
        amount,
    )
    return opened.pool_id


def batch_of(released: list[int], refunded: list[int]) -> VerdictBatch:
    leaves = [
        VerdictLeaf(
            task_id=i.to_bytes(32, "big"),
            outcome=VerdictOutcome.PASS if rel else VerdictOutcome.FAIL,
            released=rel,
            refunded=ref,
            evidence_digest=b"\x01" * 32,
        )
        for i, (rel, ref) in enumerate(zip(released, refunded, strict=True))
    ]
    return VerdictBatch(leaves)


async def test_open_pool_escrows_funds_under_derived_id(chain):
    pool_id = await open_pool(chain)
    assert pool_id == await chain.reader.pool_id_for(chain.buyer.address, ACCEPTANCE)
    pool = await chain.reader.get_pool(pool_id)
    assert (pool.status, pool.remaining, pool.last_batch_seq) == (PoolStatus.ACTIVE, POOL, 0)
    assert await chain.balance(chain.deployment.aggregate_escrow) == POOL


async def test_batches_move_netted_amounts_and_anchor_roots(chain):
    pool_id = await open_pool(chain)
    provider_before = await chain.balance(chain.provider.address)
    buyer_before = await chain.balance(chain.buyer.address)

    first = batch_of([3 * ONE_USDC, 0, 2 * ONE_USDC], [0, 4 * ONE_USDC, 0])
    second = batch_of([ONE_USDC], [0])
    await chain.evaluator.settle_batch(pool_id, 1, first)
    await chain.evaluator.settle_batch(pool_id, 2, second)

    assert await chain.balance(chain.provider.address) - provider_before == 6 * ONE_USDC
    assert await chain.balance(chain.buyer.address) - buyer_before == 4 * ONE_USDC
    pool = await chain.reader.get_pool(pool_id)
    assert (pool.remaining, pool.last_batch_seq) == (POOL - 10 * ONE_USDC, 2)
    assert await chain.reader.batch_root(pool_id, 1) == first.root
    assert await chain.reader.batch_root(pool_id, 2) == second.root


@pytest.mark.parametrize("seq", [0, 2, 7])
async def test_first_batch_must_be_one(chain, seq):
    pool_id = await open_pool(chain)
    with pytest.raises(EscrowReverted) as exc:
        await chain.evaluator.settle_amounts(pool_id, seq, 1, 0, ROOT)
    assert exc.value.error == "AggregateEscrowBatchOutOfOrder"
    assert exc.value.error_args == (pool_id, seq, 1)


async def test_reused_batch_number_is_refused_and_pays_nothing(chain):
    pool_id = await open_pool(chain)
    await chain.evaluator.settle_amounts(pool_id, 1, ONE_USDC, 0, ROOT)
    before = await chain.balance(chain.provider.address)
    with pytest.raises(EscrowReverted) as exc:
        await chain.evaluator.settle_amounts(pool_id, 1, ONE_USDC, 0, ROOT)
    assert exc.value.error == "AggregateEscrowBatchOutOfOrder"
    assert exc.value.error_args == (pool_id, 1, 2)
    assert await chain.balance(chain.provider.address) == before


@pytest.mark.parametrize("who", ["buyer", "provider", "stranger"])
async def test_only_the_evaluator_settles(chain, who):
    pool_id = await open_pool(chain)
    caller = getattr(chain, who)
    fn = chain.reader.aggregate.functions.settleBatch(pool_id, 1, ONE_USDC, 0, ROOT)
    with pytest.raises(EscrowReverted) as exc:
        await caller.signer.send(fn)
    assert exc.value.error == "AggregateEscrowUnauthorized"
    assert exc.value.error_args == (pool_id, caller.address)


async def test_batch_may_not_exceed_the_pool(chain):
    pool_id = await open_pool(chain)
    await chain.evaluator.settle_amounts(pool_id, 1, POOL - 5, 0, ROOT)
    with pytest.raises(EscrowReverted) as exc:
        await chain.evaluator.settle_amounts(pool_id, 2, 3, 3, ROOT)
    assert exc.value.error == "AggregateEscrowInsufficientPool"
    assert exc.value.error_args == (pool_id, 6, 5)
    await chain.evaluator.settle_amounts(pool_id, 2, 3, 2, ROOT)
    assert (await chain.reader.get_pool(pool_id)).remaining == 0


async def test_batch_needs_a_root(chain):
    pool_id = await open_pool(chain)
    with pytest.raises(EscrowReverted) as exc:
        await chain.evaluator.settle_amounts(pool_id, 1, 1, 0, b"\x00" * 32)
    assert exc.value.error == "AggregateEscrowEmptyRoot"


async def test_reclaim_after_expiry_returns_the_rest_and_closes(chain):
    pool_id = await open_pool(chain)
    await chain.evaluator.settle_amounts(pool_id, 1, 10 * ONE_USDC, 0, ROOT)
    with pytest.raises(EscrowReverted) as exc:
        await chain.buyer.reclaim(pool_id)
    assert exc.value.error == "AggregateEscrowNotExpired"

    await chain.advance(HOUR)
    with pytest.raises(EscrowReverted) as exc:
        await chain.evaluator.settle_amounts(pool_id, 2, 1, 0, ROOT)
    assert exc.value.error == "AggregateEscrowPoolExpired"

    before = await chain.balance(chain.buyer.address)
    await chain.stranger.reclaim(pool_id)  # anyone may trigger it; funds go to the buyer
    assert await chain.balance(chain.buyer.address) - before == POOL - 10 * ONE_USDC
    assert await chain.balance(chain.deployment.aggregate_escrow) == 0
    assert (await chain.reader.get_pool(pool_id)).status is PoolStatus.CLOSED

    with pytest.raises(EscrowReverted) as exc:
        await chain.buyer.reclaim(pool_id)
    assert exc.value.error == "AggregateEscrowInvalidState"
    with pytest.raises(EscrowReverted) as exc:
        await chain.evaluator.settle_amounts(pool_id, 2, 1, 0, ROOT)
    assert exc.value.error == "AggregateEscrowInvalidState"


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
    )
    assert other.pool_id != await chain.reader.pool_id_for(chain.buyer.address, ACCEPTANCE)


async def test_top_up_by_buyer_only_before_expiry(chain):
    pool_id = await open_pool(chain)
    await chain.buyer.fund_pool(pool_id, ONE_USDC)
    assert (await chain.reader.get_pool(pool_id)).remaining == POOL + ONE_USDC
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
        ("expiry", "AggregateEscrowExpiryTooSoon"),
        ("amount", "AggregateEscrowInvalidAmount"),
    ],
)
async def test_open_pool_validation(chain, field, error):
    args = {
        "provider": chain.provider.address,
        "evaluator": chain.evaluator.address,
        "expired_at": await chain.now() + HOUR,
        "amount": POOL,
    }
    if field == "expiry":
        args["expired_at"] = await chain.now() + 60
    elif field == "amount":
        args["amount"] = 0
    else:
        args[field] = ZERO
    with pytest.raises(EscrowReverted) as exc:
        await chain.buyer.open_pool(pact_hash=PACT, acceptance_id=ACCEPTANCE, **args)
    assert exc.value.error == error


async def test_unknown_pool_is_reported_as_not_found(chain):
    with pytest.raises(EscrowReverted) as exc:
        await chain.evaluator.settle_amounts(b"\x42" * 32, 1, 1, 0, ROOT)
    assert exc.value.error == "AggregateEscrowPoolNotFound"

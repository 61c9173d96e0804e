"""plan_batch() and check_batch(): by count, by age, before expiry; never beyond the pool."""

from __future__ import annotations

import pytest

from pactline_settlement.batching import (
    BatchPolicy,
    BatchRefused,
    PlannedBatch,
    PoolView,
    ReadyTask,
    check_batch,
    leaf_for,
    plan_batch,
)

PRICE = 10
POOL = PoolView(b"\x01" * 32, PRICE, remaining=1000, expired_at=10_000, next_batch_seq=3)
POLICY = BatchPolicy(max_tasks=4, max_age_s=60, expiry_margin_s=100)
D = b"\xee" * 32


def ready(n: int, at: int = 0, outcome: str = "PASS") -> list[ReadyTask]:
    return [ReadyTask(f"t-{i:03d}", outcome, D, at + i) for i in range(n)]


def plan(tasks, now=10, chain_now=1000, pool=POOL):
    return plan_batch(pool, tasks, now=now, chain_now=chain_now, policy=POLICY)


def test_nothing_is_cut_before_the_count_or_the_age_is_reached():
    assert plan(ready(3)) is None


def test_a_full_batch_is_cut_at_the_count_in_readiness_order():
    batch = plan(ready(6))
    assert batch.task_ids == ("t-000", "t-001", "t-002", "t-003")
    assert batch.batch_seq == 3


def test_the_oldest_tasks_age_cuts_a_smaller_batch():
    assert plan(ready(2), now=60).task_ids == ("t-000", "t-001")


def test_an_approaching_expiry_cuts_whatever_is_ready():
    assert plan(ready(1), chain_now=POOL.expired_at - 100).task_ids == ("t-000",)


def test_an_expired_pool_gets_no_batch():
    assert plan(ready(9), chain_now=POOL.expired_at) is None


def test_a_batch_never_takes_more_tasks_than_the_pool_can_pay():
    small = PoolView(POOL.pool_id, PRICE, remaining=25, expired_at=10_000, next_batch_seq=1)
    assert plan(ready(6), pool=small).task_ids == ("t-000", "t-001")
    empty = PoolView(POOL.pool_id, PRICE, remaining=9, expired_at=10_000, next_batch_seq=1)
    assert plan(ready(6), pool=empty) is None


def test_leaves_release_on_pass_and_refund_otherwise_exactly_the_price():
    assert [(leaf.released, leaf.refunded) for leaf in (leaf_for(t, PRICE) for t in ready(1))] == [(10, 0)]
    for outcome in ("FAIL", "INCONCLUSIVE"):
        leaf = leaf_for(ready(1, outcome=outcome)[0], PRICE)
        assert (leaf.released, leaf.refunded) == (0, 10)


def test_netted_amounts_are_the_sums_of_the_leaves():
    tasks = [*ready(2), ReadyTask("t-x", "FAIL", D, 0), ReadyTask("t-y", "INCONCLUSIVE", D, 0)]
    batch = plan(tasks)
    assert (batch.released, batch.refunded) == (20, 20)
    check_batch(batch, POOL, [], netted=(20, 20))


def _batch(*leaves, seq=3) -> PlannedBatch:
    return PlannedBatch(POOL.pool_id, seq, tuple(leaves))


@pytest.mark.parametrize(
    ("batch", "already", "netted", "why"),
    [
        (_batch(), [], (0, 0), "no tasks"),
        (_batch(leaf_for(ready(1)[0], PRICE), seq=4), [], (10, 0), "expected batch 3"),
        (_batch(*[leaf_for(t, PRICE) for t in ready(1) * 2]), [], (20, 0), "twice"),
        (_batch(leaf_for(ready(1)[0], PRICE)), ["t-000"], (10, 0), "earlier batch"),
        (_batch(leaf_for(ready(1)[0], PRICE)), [], (9, 1), "differ from the sums"),
        (_batch(leaf_for(ready(1)[0], PRICE + 1)), [], (11, 0), "exactly its price"),
    ],
)
def test_check_batch_refuses_what_the_contract_cannot_see(batch, already, netted, why):
    with pytest.raises(BatchRefused, match=why):
        check_batch(batch, POOL, already, netted=netted)


def test_check_batch_refuses_more_than_the_pool_holds():
    pool = PoolView(POOL.pool_id, PRICE, remaining=15, expired_at=10_000, next_batch_seq=3)
    batch = _batch(*[leaf_for(t, PRICE) for t in ready(2)])
    with pytest.raises(BatchRefused, match="more than the 15 left"):
        check_batch(batch, pool, [], netted=(20, 0))

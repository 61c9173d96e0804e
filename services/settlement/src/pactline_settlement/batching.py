"""Aggregate batching: which settled verdicts go into a pool's next batch, and when.

Pure. A batch is cut when enough tasks are ready (``max_tasks``), when the oldest has waited
``max_age_s``, or when the pool's expiry is near (after expiry the contract refuses batches
and unbatched PASS tasks would never be paid). A batch never holds more tasks than the pool
can pay for, never holds a task twice, and its netted amounts are the sums of its leaves:
``check_batch`` verifies all of it again before anything is signed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

PASS, FAIL, INCONCLUSIVE = "PASS", "FAIL", "INCONCLUSIVE"
OUTCOME_CODES = {PASS: 0, FAIL: 1, INCONCLUSIVE: 2}


@dataclass(frozen=True)
class BatchPolicy:
    max_tasks: int = 1000
    max_age_s: int = 300
    expiry_margin_s: int = 600

    def __post_init__(self) -> None:
        if self.max_tasks < 1 or self.max_age_s < 0 or self.expiry_margin_s < 0:
            raise ValueError(f"invalid batch policy {self}")


@dataclass(frozen=True)
class ReadyTask:
    """A task with a final verdict, waiting for a batch."""

    task_id: str
    outcome: str
    evidence_digest: bytes
    ready_at: int
    """When the task became ready to settle (wall-clock seconds): the batch age starts here."""


@dataclass(frozen=True)
class PoolView:
    pool_id: bytes
    price: int
    remaining: int
    """What the pool holds on chain, less what batches already recorded but unconfirmed will take."""
    expired_at: int
    next_batch_seq: int


@dataclass(frozen=True)
class BatchLeaf:
    task_id: str
    outcome: str
    released: int
    refunded: int
    evidence_digest: bytes


@dataclass(frozen=True)
class PlannedBatch:
    pool_id: bytes
    batch_seq: int
    leaves: tuple[BatchLeaf, ...]

    @property
    def released(self) -> int:
        return sum(leaf.released for leaf in self.leaves)

    @property
    def refunded(self) -> int:
        return sum(leaf.refunded for leaf in self.leaves)

    @property
    def task_ids(self) -> tuple[str, ...]:
        return tuple(leaf.task_id for leaf in self.leaves)


class BatchRefused(ValueError):
    """A batch breaks a rule the contract cannot check; nothing is signed."""

    def __init__(self, pool_id: bytes, batch_seq: int, why: str) -> None:
        super().__init__(f"batch {batch_seq} of pool 0x{pool_id.hex()} refused: {why}")
        self.pool_id = pool_id
        self.batch_seq = batch_seq
        self.why = why


def leaf_for(task: ReadyTask, price: int) -> BatchLeaf:
    """PASS releases the task's price to the provider; FAIL and INCONCLUSIVE (after its hold)
    refund it to the buyer. Every task settles exactly its price."""
    if task.outcome not in OUTCOME_CODES:
        raise ValueError(f"unknown verdict outcome {task.outcome!r} for task {task.task_id}")
    released = price if task.outcome == PASS else 0
    return BatchLeaf(task.task_id, task.outcome, released, price - released, task.evidence_digest)


def plan_batch(
    pool: PoolView, ready: Sequence[ReadyTask], *, now: int, chain_now: int, policy: BatchPolicy
) -> PlannedBatch | None:
    """The pool's next batch, or None when none is due (or none is possible)."""
    if not ready or pool.price <= 0 or chain_now >= pool.expired_at:
        return None
    queue = sorted(ready, key=lambda t: (t.ready_at, t.task_id))
    affordable = pool.remaining // pool.price
    size = min(len(queue), policy.max_tasks, affordable)
    if size == 0:
        return None
    due = (
        len(queue) >= policy.max_tasks
        or now - queue[0].ready_at >= policy.max_age_s
        or chain_now >= pool.expired_at - policy.expiry_margin_s
    )
    if not due:
        return None
    leaves = tuple(leaf_for(task, pool.price) for task in queue[:size])
    return PlannedBatch(pool.pool_id, pool.next_batch_seq, leaves)


def check_batch(
    batch: PlannedBatch, pool: PoolView, already_batched: Iterable[str], *, netted: tuple[int, int]
) -> None:
    """Raise ``BatchRefused`` unless the batch is one the service may sign: ``netted`` is the
    (released, refunded) pair about to go into the transaction."""

    def refuse(why: str) -> BatchRefused:
        return BatchRefused(batch.pool_id, batch.batch_seq, why)

    if not batch.leaves:
        raise refuse("it has no tasks")
    if batch.pool_id != pool.pool_id or batch.batch_seq != pool.next_batch_seq:
        raise refuse(f"expected batch {pool.next_batch_seq} of pool 0x{pool.pool_id.hex()}")
    ids = batch.task_ids
    if len(set(ids)) != len(ids):
        raise refuse("a task appears twice")
    twice = sorted(set(ids) & set(already_batched))
    if twice:
        raise refuse(f"tasks already in an earlier batch: {', '.join(twice)}")
    for leaf in batch.leaves:
        if leaf.released + leaf.refunded != pool.price or (leaf.released and leaf.refunded):
            raise refuse(f"task {leaf.task_id} does not settle exactly its price {pool.price} one way")
        if (leaf.released > 0) != (leaf.outcome == PASS):
            raise refuse(f"task {leaf.task_id}: outcome {leaf.outcome} with released {leaf.released}")
    if netted != (batch.released, batch.refunded):
        raise refuse(f"netted amounts {netted} differ from the sums of the leaves {(batch.released, batch.refunded)}")
    total = batch.released + batch.refunded
    if total > pool.remaining:
        raise refuse(f"it moves {total}, more than the {pool.remaining} left in the pool")

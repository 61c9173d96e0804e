"""Property test: random action sequences against both escrows keep the money invariants.

After every action: each contract holds exactly the sum of its open escrows (Funded/Submitted
job budgets, active pools' remainders); the provider holds exactly what completed jobs and
settled batches released; anything the chain accepted was allowed by the model, so no job or
batch is ever paid twice. At the end, after expiry, refunds and reclaims leave nothing behind.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pactline_escrow import EscrowReverted, JobStatus

ROOT = b"\x0c" * 32
EVIDENCE = b"\xee" * 32
# Expiry checks use block time, which may tick a second between our read and the mined block.
CLOCK_SLACK = 3

job_budget = st.integers(min_value=1, max_value=10_000)
lifetime = st.sampled_from([400, 1_800, 3_600])
slot = st.integers(min_value=0, max_value=4)

progress = st.tuples(st.just("progress"), slot)
actions = st.one_of(
    progress,
    progress,
    progress,
    st.tuples(st.just("create_job"), job_budget, lifetime),
    st.tuples(st.just("fund"), slot),
    st.tuples(st.just("submit"), slot),
    st.tuples(st.just("complete"), slot),
    st.tuples(st.just("reject"), slot),
    st.tuples(st.just("claim_refund"), slot),
    st.tuples(st.just("open_pool"), st.integers(min_value=1, max_value=50_000), lifetime),
    st.tuples(
        st.just("settle"),
        slot,
        # percent of the pool's remainder: sums over 100 must be refused
        st.integers(min_value=0, max_value=70),
        st.integers(min_value=0, max_value=70),
        st.sampled_from([0, 0, 0, 1, -1]),
    ),
    st.tuples(st.just("reclaim"), slot),
    st.tuples(st.just("advance"), st.sampled_from([60, 500, 2_000])),
)


@dataclass
class ModelJob:
    job_id: int
    budget: int
    expired_at: int
    status: JobStatus = JobStatus.OPEN


@dataclass
class ModelPool:
    pool_id: bytes
    remaining: int
    expired_at: int
    last_seq: int = 0
    active: bool = True


@dataclass
class Model:
    jobs: list[ModelJob] = field(default_factory=list)
    pools: list[ModelPool] = field(default_factory=list)
    paid_to_provider: int = 0


def live(expired_at: int, now: int) -> bool | None:
    """True before expiry, False after, None too close to call."""
    if abs(expired_at - now) <= CLOCK_SLACK:
        return None
    return now < expired_at


async def step(chain, model: Model, action: tuple, now: int) -> None:
    kind = action[0]
    if kind == "advance":
        await chain.advance(action[1])
        return
    if kind == "create_job":
        created = await chain.buyer.create_job(chain.provider.address, chain.evaluator.address, now + action[2], "p")
        await chain.provider.set_budget(created.job_id, action[1])
        model.jobs.append(ModelJob(created.job_id, action[1], now + action[2]))
        return
    if kind == "open_pool":
        acceptance = len(model.pools).to_bytes(32, "big")
        opened = await chain.buyer.open_pool(
            chain.provider.address,
            chain.evaluator.address,
            now + action[2],
            b"\x01" * 32,
            acceptance,
            action[1],
        )
        model.pools.append(ModelPool(opened.pool_id, action[1], now + action[2]))
        return
    if kind in {"settle", "reclaim"}:
        if not model.pools:
            return
        pool = model.pools[action[1] % len(model.pools)]
        await pool_step(chain, model, pool, action, now)
        return
    if not model.jobs:
        return
    job = model.jobs[action[1] % len(model.jobs)]
    if kind == "progress":
        # the natural next step for this job, so sequences reach the later states often
        kind = {
            JobStatus.OPEN: "fund",
            JobStatus.FUNDED: "submit",
            JobStatus.SUBMITTED: "reject" if action[1] == 4 else "complete",
        }.get(job.status, "claim_refund")
    await job_step(chain, model, job, kind, now)


async def job_step(chain, model: Model, job: ModelJob, kind: str, now: int) -> None:
    alive = live(job.expired_at, now)
    s = job.status
    if kind == "fund":
        allowed, target = (alive if s is JobStatus.OPEN else False), JobStatus.FUNDED
        call = chain.buyer.fund(job.job_id, job.budget)
    elif kind == "submit":
        allowed, target = (alive if s is JobStatus.FUNDED else False), JobStatus.SUBMITTED
        call = chain.provider.submit(job.job_id, b"\x01" * 32)
    elif kind == "complete":
        allowed, target = (alive if s is JobStatus.SUBMITTED else False), JobStatus.COMPLETED
        call = chain.evaluator.complete(job.job_id, EVIDENCE)
    elif kind == "reject":
        allowed, target = s in {JobStatus.FUNDED, JobStatus.SUBMITTED}, JobStatus.REJECTED
        call = chain.evaluator.reject(job.job_id, EVIDENCE)
    else:
        escrowed = s in {JobStatus.FUNDED, JobStatus.SUBMITTED}
        expired = None if alive is None else not alive
        allowed, target = (expired if escrowed else False), JobStatus.EXPIRED
        call = chain.stranger.claim_refund(job.job_id)
    try:
        await call
    except EscrowReverted:
        assert allowed is not True, f"{kind} refused on {job}"
        return
    assert allowed is not False, f"{kind} accepted on {job}: paid or moved twice"
    job.status = target
    if target is JobStatus.COMPLETED:
        model.paid_to_provider += job.budget


async def pool_step(chain, model: Model, pool: ModelPool, action: tuple, now: int) -> None:
    alive = live(pool.expired_at, now)
    if action[0] == "reclaim":
        allowed = (None if alive is None else not alive) if pool.active else False
        call = chain.stranger.reclaim(pool.pool_id)
    else:
        _, _, released_pct, refunded_pct, seq_offset = action
        released = pool.remaining * released_pct // 100
        refunded = pool.remaining * refunded_pct // 100 + (1 if released_pct > 60 else 0)
        seq = pool.last_seq + 1 + seq_offset
        fits = released + refunded <= pool.remaining
        allowed = (alive if fits and seq_offset == 0 else False) if pool.active else False
        call = chain.evaluator.settle_amounts(pool.pool_id, seq, released, refunded, ROOT)
    try:
        await call
    except EscrowReverted:
        assert allowed is not True, f"{action} refused on {pool}"
        return
    assert allowed is not False, f"{action} accepted on {pool}: batch reused or overdrawn"
    if action[0] == "reclaim":
        pool.active, pool.remaining = False, 0
    else:
        pool.last_seq = seq
        pool.remaining -= released + refunded
        model.paid_to_provider += released


async def check_invariants(chain, model: Model, provider_start: int) -> None:
    escrowed_jobs = sum(j.budget for j in model.jobs if j.status in {JobStatus.FUNDED, JobStatus.SUBMITTED})
    pooled = sum(p.remaining for p in model.pools if p.active)
    assert await chain.balance(chain.deployment.agentic_commerce) == escrowed_jobs
    assert await chain.balance(chain.deployment.aggregate_escrow) == pooled
    provider_now = await chain.balance(chain.provider.address)
    assert provider_now - provider_start == model.paid_to_provider
    for job in model.jobs:
        assert (await chain.reader.get_job(job.job_id)).status is job.status
    for pool in model.pools:
        on_chain = await chain.reader.get_pool(pool.pool_id)
        assert (on_chain.remaining, on_chain.last_batch_seq) == (pool.remaining, pool.last_seq)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    budgets=st.lists(job_budget, min_size=2, max_size=2),
    pool_amount=st.integers(min_value=1, max_value=50_000),
    sequence=st.lists(actions, min_size=6, max_size=16),
)
async def test_money_invariants_hold_for_any_action_sequence(session_chain, budgets, pool_amount, sequence):
    chain = session_chain
    snapshot = await chain.rpc("evm_snapshot", [])
    try:
        model = Model()
        provider_start = await chain.balance(chain.provider.address)
        buyer_start = await chain.balance(chain.buyer.address)
        setup = [("create_job", b, 3_600) for b in budgets] + [("open_pool", pool_amount, 1_800)]
        for action in [*setup, *sequence]:
            await step(chain, model, action, await chain.now())
            await check_invariants(chain, model, provider_start)

        # Nothing stuck: once everything has expired, refunds and reclaims empty both escrows.
        await chain.advance(3_600 + 2 * CLOCK_SLACK)
        for job in model.jobs:
            if job.status in {JobStatus.FUNDED, JobStatus.SUBMITTED}:
                await chain.stranger.claim_refund(job.job_id)
        for pool in model.pools:
            if pool.active:
                await chain.stranger.reclaim(pool.pool_id)
        assert await chain.balance(chain.deployment.agentic_commerce) == 0
        assert await chain.balance(chain.deployment.aggregate_escrow) == 0
        buyer_end = await chain.balance(chain.buyer.address)
        assert buyer_start - buyer_end == model.paid_to_provider
    finally:
        await chain.rpc("evm_revert", [snapshot])

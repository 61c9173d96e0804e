"""Property test: random action sequences against both escrows keep the money invariants.

The token is a blacklisting one, and blocking or unblocking the buyer or the provider are
actions like any other, so payouts that become credits and withdrawals are in the mix.

After every action: each contract holds exactly its open escrows plus the credits it owes
(Funded/Submitted job budgets and job credits; pools' remainders and unwithdrawn releases and
refunds); the provider has received or is owed exactly what completed jobs and settled batches
released; the buyer is short exactly that; anything the chain accepted was allowed by the model,
so nothing is paid twice and no batch moves more than its tasks are worth. At the end, after
expiry, refunds, reclaims and withdrawals leave nothing behind.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pactline_escrow import EscrowReverted, JobStatus

ROOT = b"\x0c" * 32
EVIDENCE = b"\xee" * 32
# Expiry checks use block time, which may tick a second between our read and the mined block.
CLOCK_SLACK = 3
PARTIES = ("buyer", "provider")

job_budget = st.integers(min_value=1, max_value=10_000)
lifetime = st.sampled_from([400, 1_800, 3_600])
slot = st.integers(min_value=0, max_value=4)
party = st.sampled_from(PARTIES)

progress = st.tuples(st.just("progress"), slot)
tasks = st.integers(min_value=1, max_value=6)
refunds = st.integers(min_value=0, max_value=6)  # capped at the task count
# a batch as the settlement service sends it: next number, exactly the tasks' worth
honest_settle = st.tuples(st.just("settle"), slot, tasks, refunds, st.just(0), st.just(0))
# blocking is drawn often enough that payouts regularly meet a refusing recipient
block = st.tuples(st.just("block"), party, st.booleans())
actions = st.one_of(
    progress,
    progress,
    progress,
    honest_settle,
    honest_settle,
    block,
    block,
    st.tuples(st.just("create_job"), job_budget, lifetime),
    st.tuples(st.just("fund"), slot),
    st.tuples(st.just("submit"), slot),
    st.tuples(st.just("complete"), slot),
    st.tuples(st.just("reject"), slot),
    st.tuples(st.just("claim_refund"), slot),
    st.tuples(
        st.just("open_pool"), st.integers(min_value=1, max_value=500), st.integers(min_value=1, max_value=12), lifetime
    ),
    st.tuples(
        st.just("settle"),
        slot,
        tasks,
        refunds,
        st.sampled_from([0, 1, -1]),  # batch number offset: reused or skipped
        st.sampled_from([0, 1, -1]),  # amount offset: more or less than the tasks are worth
    ),
    st.tuples(st.just("reclaim"), slot),
    st.tuples(st.just("withdraw_job"), party),
    st.tuples(st.just("withdraw_pool"), slot, party),
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
    price: int
    funded: int
    expired_at: int
    released: int = 0
    refunded: int = 0
    owed: dict[str, int] = field(default_factory=lambda: {"buyer": 0, "provider": 0})
    last_seq: int = 0
    active: bool = True

    @property
    def remaining(self) -> int:
        return self.funded - self.released - self.refunded


@dataclass
class Model:
    token: str
    jobs: list[ModelJob] = field(default_factory=list)
    pools: list[ModelPool] = field(default_factory=list)
    job_credits: dict[str, int] = field(default_factory=lambda: {"buyer": 0, "provider": 0})
    blocked: set[str] = field(default_factory=set)
    paid_to_provider: int = 0  # released by completed jobs and settled batches, received or owed


def live(expired_at: int, now: int) -> bool | None:
    """True before expiry, False after, None too close to call."""
    if abs(expired_at - now) <= CLOCK_SLACK:
        return None
    return now < expired_at


def maybe(condition: bool | None, *others: bool) -> bool | None:
    """`condition and all(others)` where None (undecidable) stays None unless another is False."""
    if not all(others):
        return False
    return condition


async def step(chain, model: Model, action: tuple, now: int) -> None:
    kind = action[0]
    if kind == "advance":
        await chain.advance(action[1])
        return
    if kind == "block":
        _, who, blocked = action
        contract = chain.test_contract("BlacklistToken", model.token)
        await chain.admin.send(contract.functions.setBlacklisted(getattr(chain, who).address, blocked))
        (model.blocked.add if blocked else model.blocked.discard)(who)
        return
    if kind == "withdraw_job":
        await withdraw_job(chain, model, action[1])
        return
    if kind == "create_job":
        created = await chain.buyer.create_job(chain.provider.address, chain.evaluator.address, now + action[2], "p")
        await chain.provider.set_budget(created.job_id, action[1], token=model.token)
        model.jobs.append(ModelJob(created.job_id, action[1], now + action[2]))
        return
    if kind == "open_pool":
        await open_pool(chain, model, action, now)
        return
    if kind in {"settle", "reclaim", "withdraw_pool"}:
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


async def open_pool(chain, model: Model, action: tuple, now: int) -> None:
    _, price, tasks, duration = action
    amount = price * tasks + price // 2
    acceptance = len(model.pools).to_bytes(32, "big")
    call = chain.buyer.open_pool(
        chain.provider.address,
        chain.evaluator.address,
        now + duration,
        b"\x01" * 32,
        acceptance,
        amount,
        price,
        token=model.token,
    )
    try:
        opened = await call
    except EscrowReverted:
        assert "buyer" in model.blocked, "open_pool refused for an unblocked buyer"
        return
    assert "buyer" not in model.blocked, "a blocked buyer funded a pool"
    model.pools.append(ModelPool(opened.pool_id, price, amount, now + duration))


async def withdraw_job(chain, model: Model, who: str) -> None:
    allowed = model.job_credits[who] > 0 and who not in model.blocked
    try:
        await getattr(chain, who).withdraw_job_credit(model.token)
    except EscrowReverted:
        assert not allowed, f"job credit withdrawal refused for {who}"
        return
    assert allowed, f"{who} withdrew a job credit it did not have"
    model.job_credits[who] = 0


def pay(model: Model, who: str, amount: int) -> None:
    """A push payout: it lands, or becomes a credit when the token refuses the recipient."""
    if who in model.blocked:
        model.job_credits[who] += amount


async def job_step(chain, model: Model, job: ModelJob, kind: str, now: int) -> None:
    alive = live(job.expired_at, now)
    s = job.status
    escrowed = s in {JobStatus.FUNDED, JobStatus.SUBMITTED}
    if kind == "fund":
        allowed, target = maybe(alive, s is JobStatus.OPEN, "buyer" not in model.blocked), JobStatus.FUNDED
        call = chain.buyer.fund(job.job_id, job.budget, expected_token=model.token)
    elif kind == "submit":
        allowed, target = maybe(alive, s is JobStatus.FUNDED), JobStatus.SUBMITTED
        call = chain.provider.submit(job.job_id, b"\x01" * 32)
    elif kind == "complete":
        allowed, target = maybe(alive, s is JobStatus.SUBMITTED), JobStatus.COMPLETED
        call = chain.evaluator.complete(job.job_id, EVIDENCE)
    elif kind == "reject":
        allowed, target = escrowed, JobStatus.REJECTED
        call = chain.evaluator.reject(job.job_id, EVIDENCE)
    else:
        expired = None if alive is None else not alive
        allowed, target = maybe(expired, escrowed), JobStatus.EXPIRED
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
        pay(model, "provider", job.budget)
    elif target in {JobStatus.REJECTED, JobStatus.EXPIRED}:
        pay(model, "buyer", job.budget)


async def pool_step(chain, model: Model, pool: ModelPool, action: tuple, now: int) -> None:
    alive = live(pool.expired_at, now)
    kind = action[0]
    if kind == "withdraw_pool":
        who = action[2]
        allowed = pool.owed[who] > 0 and who not in model.blocked
        call = getattr(chain, who).withdraw_pool_credit(pool.pool_id)
    elif kind == "reclaim":
        allowed = maybe(None if alive is None else not alive, pool.active)
        call = chain.stranger.reclaim(pool.pool_id)
    else:
        _, _, tasks, refunds, seq_offset, amount_offset = action
        refunds = min(refunds, tasks)
        released = (tasks - refunds) * pool.price + amount_offset
        refunded = refunds * pool.price
        if released < 0:
            released, amount_offset = 0, 0
        seq = pool.last_seq + 1 + seq_offset
        fits = released + refunded <= pool.remaining
        allowed = maybe(alive, pool.active, fits, seq_offset == 0, amount_offset == 0)
        call = chain.evaluator.settle_amounts(pool.pool_id, seq, tasks, released, refunded, ROOT)
    try:
        await call
    except EscrowReverted:
        assert allowed is not True, f"{action} refused on {pool}"
        return
    assert allowed is not False, f"{action} accepted on {pool}: batch reused, overdrawn or mispriced"
    if kind == "withdraw_pool":
        pool.owed[action[2]] = 0
    elif kind == "reclaim":
        pool.owed["buyer"] += pool.remaining
        pool.refunded += pool.remaining
        pool.active = False
        for who in PARTIES:
            if who not in model.blocked:
                pool.owed[who] = 0
    else:
        pool.last_seq = seq
        pool.released += released
        pool.refunded += refunded
        pool.owed["provider"] += released
        pool.owed["buyer"] += refunded
        model.paid_to_provider += released


async def check_invariants(chain, model: Model, start: dict[str, int]) -> None:
    token = model.token
    # one round trip's worth of concurrent reads, so the property test stays fast
    reads = await asyncio.gather(
        chain.balance(chain.deployment.agentic_commerce, token),
        chain.balance(chain.deployment.aggregate_escrow, token),
        chain.balance(chain.provider.address, token),
        chain.balance(chain.buyer.address, token),
        *(chain.reader.job_credit(getattr(chain, who).address, token) for who in PARTIES),
        *(chain.reader.get_job(job.job_id) for job in model.jobs),
        *(chain.reader.get_pool(pool.pool_id) for pool in model.pools),
    )
    commerce_held, aggregate_held, provider_now, buyer_now, *rest = reads
    credits, jobs, pools = rest[:2], rest[2 : 2 + len(model.jobs)], rest[2 + len(model.jobs) :]

    escrowed_jobs = sum(j.budget for j in model.jobs if j.status in {JobStatus.FUNDED, JobStatus.SUBMITTED})
    assert commerce_held == escrowed_jobs + sum(model.job_credits.values())
    assert aggregate_held == sum(p.remaining + p.owed["buyer"] + p.owed["provider"] for p in model.pools)
    assert credits == [model.job_credits[who] for who in PARTIES]
    owed_to = {who: model.job_credits[who] + sum(p.owed[who] for p in model.pools) for who in PARTIES}
    provider_got = provider_now - start["provider"]
    assert provider_got + owed_to["provider"] == model.paid_to_provider, "provider paid twice or short"
    buyer_lost = start["buyer"] - buyer_now
    assert buyer_lost - owed_to["buyer"] == model.paid_to_provider + escrowed_jobs + sum(
        p.remaining for p in model.pools
    ), "buyer refunded twice or short"
    assert [j.status for j in jobs] == [j.status for j in model.jobs]
    for pool, on_chain in zip(model.pools, pools, strict=True):
        assert (on_chain.remaining, on_chain.last_batch_seq) == (pool.remaining, pool.last_seq)
        assert (on_chain.buyer_owed, on_chain.provider_owed) == (pool.owed["buyer"], pool.owed["provider"])


@pytest.fixture(scope="session")
async def invariant_token(session_chain) -> str:
    """One blacklisting token for every example (each example reverts its own chain changes)."""
    token = await session_chain.deploy_token("BlacklistToken")
    await session_chain.mint(session_chain.buyer.address, 10**15, token)
    return token


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    budgets=st.lists(job_budget, min_size=2, max_size=2),
    pool_price=st.integers(min_value=1, max_value=500),
    provider_blocked=st.booleans(),
    head_start=st.integers(min_value=0, max_value=2),
    sequence=st.lists(actions, min_size=6, max_size=18),
)
async def test_money_invariants_hold_for_any_action_sequence(
    session_chain, invariant_token, budgets, pool_price, provider_blocked, head_start, sequence
):
    chain = session_chain
    token = invariant_token
    snapshot = await chain.rpc("evm_snapshot", [])
    try:
        model = Model(token=token)
        start = {who: await chain.balance(getattr(chain, who).address, token) for who in PARTIES}
        setup = [("create_job", b, 3_600) for b in budgets] + [("open_pool", pool_price, 10, 1_800)]
        # jobs start a few lifecycle steps in, so short sequences still reach payouts
        setup += [("progress", slot) for _ in range(head_start) for slot in (0, 1)]
        setup += [("block", "provider", True)] if provider_blocked else []
        for action in [*setup, *sequence]:
            await step(chain, model, action, await chain.now())
            await check_invariants(chain, model, start)

        # Nothing stuck: once everything has expired and nobody is blocked, refunds, reclaims
        # and withdrawals empty both escrows.
        for who in list(model.blocked):
            await step(chain, model, ("block", who, False), await chain.now())
        await chain.advance(3_600 + 2 * CLOCK_SLACK)
        for job in model.jobs:
            if job.status in {JobStatus.FUNDED, JobStatus.SUBMITTED}:
                await chain.stranger.claim_refund(job.job_id)
        for pool in model.pools:
            if pool.active:
                await chain.stranger.reclaim(pool.pool_id)
            for who in PARTIES:
                if (await chain.reader.get_pool(pool.pool_id)).model_dump()[f"{who}_owed"]:
                    await getattr(chain, who).withdraw_pool_credit(pool.pool_id)
        for who in PARTIES:
            if await chain.reader.job_credit(getattr(chain, who).address, token):
                await getattr(chain, who).withdraw_job_credit(token)
        assert await chain.balance(chain.deployment.agentic_commerce, token) == 0
        assert await chain.balance(chain.deployment.aggregate_escrow, token) == 0
        assert await chain.balance(chain.provider.address, token) - start["provider"] == model.paid_to_provider
        assert start["buyer"] - await chain.balance(chain.buyer.address, token) == model.paid_to_provider
    finally:
        await chain.rpc("evm_revert", [snapshot])

"""Random verdict streams through the pure core (per-task decisions, batching, the ledger fold)
against a model of the escrow contracts: after every step the ledger's invariants hold
(escrowed = released + refunded + held + remaining, no task paid twice), every transaction the
service decides on is one the contract accepts, and the ledger equals the chain's balances.
Folding the same events redelivered or in another topic interleaving gives the same ledger."""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pactline_events import (
    EscrowFunded,
    EscrowReclaimed,
    EscrowSettled,
    EscrowSubmitted,
    SettledLeaf,
    canonical_json,
)
from pactline_settlement import ledger as L
from pactline_settlement.batching import BatchPolicy, PoolView, ReadyTask, check_batch, plan_batch
from pactline_settlement.domain import (
    AcceptanceTerms,
    Complete,
    JobOnChain,
    JobState,
    Nothing,
    Reject,
    TaskVerdict,
    Wait,
    decide_job,
)
from settlement_testkit import (
    BUYER,
    EVIDENCE,
    OUTPUT_DIGEST,
    PROVIDER,
    T0,
    WINDOW,
    accepted,
    completed,
    envelope,
    verdict,
)

PRICE = 50_000
EVALUATOR = "0x" + "e" * 40
TOKEN = "0x" + "2" * 40
START = int(T0.timestamp())
POOL_ID = b"\x0a" * 32
POLICY = BatchPolicy(max_tasks=3, max_age_s=600, expiry_margin_s=600)


@dataclass
class Job:
    job_id: int
    task_id: str
    budget: int
    expired_at: int
    status: JobState = JobState.FUNDED
    deliverable: bytes | None = None


@dataclass
class World:
    """The chain (a model of both contracts) and what the service has recorded."""

    now: int = START
    wall: int = START
    tx: int = 0
    provider_paid: dict[str, int] = field(default_factory=dict)
    buyer_refunded: dict[str, int] = field(default_factory=dict)
    jobs: dict[int, Job] = field(default_factory=dict)
    pool_remaining: int = 0
    pool_expired_at: int = START + 3 * WINDOW
    pool_last_seq: int = 0
    pool_closed: bool = False
    verdicts: dict[str, tuple[str, int]] = field(default_factory=dict)  # task -> (outcome, verdict time)
    ready_at: dict[str, int] = field(default_factory=dict)
    batched: set[str] = field(default_factory=set)
    events: list = field(default_factory=list)  # (stream, envelope)
    seqs: dict[str, int] = field(default_factory=dict)

    def emit(self, stream: str, payload) -> None:
        seq = self.seqs.get(stream, 0) + 1
        self.seqs[stream] = seq
        self.events.append(envelope(payload, stream, seq))

    def next_tx(self) -> str:
        self.tx += 1
        return "0x" + self.tx.to_bytes(32, "big").hex()


def chain_fact(world: World) -> dict:
    return {"chain_id": 31337, "tx_hash": world.next_tx(), "block_number": world.tx, "log_index": 0}


PER_TASK, AGGREGATE = "acc-job", "acc-pool"
TERMS = AcceptanceTerms(buyer_address=BUYER, provider_address=PROVIDER, price=PRICE, token=TOKEN)


def fund_job(world: World, budget_off: int) -> None:
    job_id = len(world.jobs) + 1
    task = f"t-job-{job_id}"
    budget = PRICE + budget_off
    world.jobs[job_id] = Job(job_id, task, budget, expired_at=world.now + 2 * WINDOW)
    world.emit(f"acceptance-{PER_TASK}", completed(task, PER_TASK, job_id=str(job_id)))
    world.emit(
        f"escrow-{PER_TASK}",
        EscrowFunded(
            acceptance_id=PER_TASK,
            mode="per_task",
            amount=budget,
            contract_address="0x" + "1" * 40,
            token_address=TOKEN,
            job_id=str(job_id),
            task_id=task,
            funder=BUYER,
            **chain_fact(world),
        ),
    )


def nth_job(world: World, n: int) -> Job | None:
    return world.jobs[n % len(world.jobs) + 1] if world.jobs else None


def submit(world: World, n: int, honest: bool) -> None:
    job = nth_job(world, n)
    if job is None or job.status is not JobState.FUNDED or world.now >= job.expired_at:
        return
    job.status = JobState.SUBMITTED
    job.deliverable = bytes.fromhex(OUTPUT_DIGEST) if honest else b"\x99" * 32
    world.emit(
        f"escrow-{PER_TASK}",
        EscrowSubmitted(
            acceptance_id=PER_TASK,
            task_id=job.task_id,
            job_id=str(job.job_id),
            provider=PROVIDER,
            deliverable="0x" + job.deliverable.hex(),
            contract_address="0x" + "1" * 40,
            **chain_fact(world),
        ),
    )


def issue_verdict(world: World, task: str, acceptance: str, outcome: str) -> None:
    if task in world.verdicts:
        return  # the evaluator gives one verdict per task; redeliveries are modelled apart
    world.verdicts[task] = (outcome, world.now)
    mode = "per_task" if acceptance == PER_TASK else "aggregate"
    job = next((j for j in world.jobs.values() if j.task_id == task), None)
    payload = verdict(task, outcome, acceptance, mode, job_id=str(job.job_id) if job else None, price=PRICE)
    if acceptance == AGGREGATE:
        world.emit(f"acceptance-{AGGREGATE}", completed(task, AGGREGATE))
    world.emit(f"evaluation-{task}", payload)


def claim_refund(world: World, n: int) -> None:
    job = nth_job(world, n)
    if job is None or job.status not in (JobState.FUNDED, JobState.SUBMITTED) or world.now < job.expired_at:
        return
    job.status = JobState.EXPIRED
    world.buyer_refunded[PER_TASK] = world.buyer_refunded.get(PER_TASK, 0) + job.budget
    world.emit(
        f"escrow-{PER_TASK}",
        EscrowSettled(
            acceptance_id=PER_TASK,
            mode="per_task",
            cause="expired",
            task_ids=(job.task_id,),
            released=0,
            refunded=job.budget,
            job_id=str(job.job_id),
            **chain_fact(world),
        ),
    )


def fund_pool(world: World, tasks: int) -> None:
    if world.pool_closed or world.now >= world.pool_expired_at:
        return
    world.pool_remaining += tasks * PRICE
    world.emit(
        f"escrow-{AGGREGATE}",
        EscrowFunded(
            acceptance_id=AGGREGATE,
            mode="aggregate",
            amount=tasks * PRICE,
            contract_address="0x" + "3" * 40,
            token_address=TOKEN,
            pool_id="0x" + POOL_ID.hex(),
            funder=BUYER,
            **chain_fact(world),
        ),
    )


def reclaim(world: World) -> None:
    if (
        world.pool_closed
        or world.now < world.pool_expired_at
        or (world.pool_last_seq == 0 and not world.pool_remaining)
    ):
        return
    world.pool_closed = True
    amount, world.pool_remaining = world.pool_remaining, 0
    world.buyer_refunded[AGGREGATE] = world.buyer_refunded.get(AGGREGATE, 0) + amount
    world.emit(
        f"escrow-{AGGREGATE}",
        EscrowReclaimed(
            acceptance_id=AGGREGATE,
            pool_id="0x" + POOL_ID.hex(),
            buyer=BUYER,
            amount=amount,
            contract_address="0x" + "3" * 40,
            **chain_fact(world),
        ),
    )


def tick(world: World) -> None:
    """What the worker does: decide per job, then cut at most one batch, and send."""
    for job in list(world.jobs.values()):
        if job.task_id not in world.verdicts:
            continue
        outcome, at = world.verdicts[job.task_id]
        on_chain = JobOnChain(
            job.job_id, BUYER, PROVIDER, EVALUATOR, TOKEN, job.budget, job.expired_at, job.status, job.deliverable
        )
        task_verdict = TaskVerdict(outcome, bytes.fromhex(EVIDENCE[2:]), bytes.fromhex(OUTPUT_DIGEST), at + WINDOW)
        decision = decide_job(TERMS, task_verdict, on_chain, evaluator=EVALUATOR, chain_now=world.now)
        if isinstance(decision, Complete):
            assert job.status is JobState.SUBMITTED, "complete would revert"
            assert world.now < job.expired_at, "complete would revert"
            assert job.deliverable == bytes.fromhex(OUTPUT_DIGEST)
            assert outcome == "PASS"
            job.status = JobState.COMPLETED
            world.provider_paid[PER_TASK] = world.provider_paid.get(PER_TASK, 0) + job.budget
            cause, released, refunded = "completed", job.budget, 0
        elif isinstance(decision, Reject):
            assert job.status in (JobState.FUNDED, JobState.SUBMITTED), "reject would revert"
            assert outcome != "PASS" or job.budget != PRICE or job.deliverable != bytes.fromhex(OUTPUT_DIGEST)
            if outcome == "INCONCLUSIVE" and job.budget == PRICE:
                assert world.now >= at + WINDOW, "an INCONCLUSIVE job was refunded inside its dispute window"
            job.status = JobState.REJECTED
            world.buyer_refunded[PER_TASK] = world.buyer_refunded.get(PER_TASK, 0) + job.budget
            cause, released, refunded = "rejected", 0, job.budget
        else:
            assert isinstance(decision, Wait | Nothing)
            continue
        world.emit(
            f"escrow-{PER_TASK}",
            EscrowSettled(
                acceptance_id=PER_TASK,
                mode="per_task",
                cause=cause,
                task_ids=(job.task_id,),
                released=released,
                refunded=refunded,
                job_id=str(job.job_id),
                **chain_fact(world),
            ),
        )
    pool_tasks = {t: v for t, v in world.verdicts.items() if t.startswith("t-pool-")}
    for task, (outcome, at) in pool_tasks.items():
        if task not in world.ready_at and (outcome != "INCONCLUSIVE" or world.now >= at + WINDOW):
            world.ready_at[task] = world.wall
    ready = [
        ReadyTask(t, pool_tasks[t][0], bytes.fromhex(EVIDENCE[2:]), ready_at)
        for t, ready_at in world.ready_at.items()
        if t not in world.batched
    ]
    if world.pool_closed:
        return
    pool = PoolView(POOL_ID, PRICE, world.pool_remaining, world.pool_expired_at, world.pool_last_seq + 1)
    batch = plan_batch(pool, ready, now=world.wall, chain_now=world.now, policy=POLICY)
    if batch is None:
        return
    check_batch(batch, pool, world.batched, netted=(batch.released, batch.refunded))
    for leaf in batch.leaves:
        outcome, at = pool_tasks[leaf.task_id]
        assert outcome != "INCONCLUSIVE" or world.now >= at + WINDOW, "batched inside the dispute window"
    assert world.now < world.pool_expired_at
    assert batch.released + batch.refunded <= world.pool_remaining
    world.pool_last_seq += 1
    world.pool_remaining -= batch.released + batch.refunded
    world.batched |= set(batch.task_ids)
    world.provider_paid[AGGREGATE] = world.provider_paid.get(AGGREGATE, 0) + batch.released
    world.buyer_refunded[AGGREGATE] = world.buyer_refunded.get(AGGREGATE, 0) + batch.refunded
    world.emit(
        f"escrow-{AGGREGATE}",
        EscrowSettled(
            acceptance_id=AGGREGATE,
            mode="aggregate",
            cause="batch",
            task_ids=batch.task_ids,
            released=batch.released,
            refunded=batch.refunded,
            pool_id="0x" + POOL_ID.hex(),
            batch_seq=batch.batch_seq,
            verdict_root="0x" + "77" * 32,
            leaves=tuple(
                SettledLeaf(
                    task_id=leaf.task_id,
                    outcome=leaf.outcome,
                    released=leaf.released,
                    refunded=leaf.refunded,
                    evidence_digest="0x" + leaf.evidence_digest.hex(),
                )
                for leaf in batch.leaves
            ),
            **chain_fact(world),
        ),
    )


OUTCOMES = st.sampled_from(["PASS", "PASS", "FAIL", "INCONCLUSIVE"])
STEPS = st.one_of(
    st.tuples(st.just("fund"), st.sampled_from([0, 0, 0, 1])),
    st.tuples(st.just("submit"), st.integers(0, 30), st.sampled_from([True, True, True, False])),
    st.tuples(st.just("job_verdict"), st.integers(0, 30), OUTCOMES),
    st.tuples(st.just("pool_verdict"), st.integers(0, 30), OUTCOMES),
    st.tuples(st.just("fund_pool"), st.integers(1, 4)),
    st.tuples(st.just("advance"), st.sampled_from([60, 700, 3600, WINDOW])),
    st.tuples(st.just("claim_refund"), st.integers(0, 30)),
    st.tuples(st.just("reclaim")),
    st.tuples(st.just("redeliver"), st.integers(0, 10_000)),
)


def apply(world: World, step: tuple) -> None:
    """One step of the outside world, then one pass of the service's worker."""
    kind = step[0]
    if kind == "fund":
        fund_job(world, step[1])
    elif kind == "submit":
        submit(world, step[1], step[2])
    elif kind == "job_verdict":
        job = nth_job(world, step[1])
        if job is not None:
            issue_verdict(world, job.task_id, PER_TASK, step[2])
    elif kind == "pool_verdict":
        issue_verdict(world, f"t-pool-{step[1]}", AGGREGATE, step[2])
    elif kind == "fund_pool":
        fund_pool(world, step[1])
    elif kind == "advance":
        world.now += step[1]
        world.wall += step[1]
    elif kind == "claim_refund":
        claim_refund(world, step[1])
    elif kind == "reclaim":
        reclaim(world)
    tick(world)


def fold(events) -> dict[str, L.Ledger]:
    ledgers: dict[str, L.Ledger] = {}
    for event in events:
        key = L.ledger_key(event)
        if key is not None:
            ledgers[key] = L.evolve(ledgers.get(key), event)
    return ledgers


def check(world: World, ledgers: dict[str, L.Ledger]) -> None:
    for key, ledger in ledgers.items():
        assert ledger.violations() == [], key
        figures = ledger.figures()
        assert figures.released == world.provider_paid.get(key, 0)
        assert figures.refunded == world.buyer_refunded.get(key, 0)
    per_task = ledgers.get(PER_TASK)
    if per_task is not None:
        escrowed = sum(j.budget for j in world.jobs.values())
        open_jobs = sum(j.budget for j in world.jobs.values() if j.status in (JobState.FUNDED, JobState.SUBMITTED))
        assert per_task.figures().escrowed == escrowed
        assert per_task.figures().held + per_task.figures().remaining == open_jobs
    pool = ledgers.get(AGGREGATE)
    if pool is not None and pool.fundings:
        assert pool.figures().held + pool.figures().remaining == world.pool_remaining


def interleaved(events, rng: random.Random) -> list:
    """Another order of the same events that keeps each stream's own order (as Kafka may)."""
    streams: dict[str, list] = {}
    for event in events:
        streams.setdefault(event.stream_id, []).append(event)
    queues = [list(q) for q in streams.values()]
    out = []
    while queues:
        queue = rng.choice(queues)
        out.append(queue.pop(0))
        if not queue:
            queues.remove(queue)
    return out


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(STEPS, min_size=15, max_size=80), seed=st.integers(0, 2**32 - 1))
def test_invariants_hold_after_every_step_of_a_random_verdict_stream(steps, seed):
    world = World()
    world.emit(f"acceptance-{PER_TASK}", accepted(PER_TASK, "per_task", PRICE))
    world.emit(f"acceptance-{AGGREGATE}", accepted(AGGREGATE, "aggregate", PRICE))
    ledgers: dict[str, L.Ledger] = {}
    folded = 0
    for step in steps:
        apply(world, step)
        if step[0] == "redeliver" and world.events:
            # an at-least-once log: an event already folded comes again
            again = world.events[step[1] % len(world.events)]
            key = L.ledger_key(again)
            before = ledgers.get(key)
            if before is not None:
                assert L.evolve(before, again) == before
        for event in world.events[folded:]:
            key = L.ledger_key(event)
            ledgers[key] = L.evolve(ledgers.get(key), event)
        folded = len(world.events)
        check(world, ledgers)
        assert all(L.load(L.dump(ledger)) == ledger for ledger in ledgers.values())

    # The same events in another interleaving of the topics give the same ledger, byte for byte.
    shuffled = fold(interleaved(world.events, random.Random(seed)))
    assert {k: L.dump(v) for k, v in shuffled.items()} == {k: L.dump(v) for k, v in ledgers.items()}


def test_a_second_settlement_of_a_task_is_reported_not_hidden():
    pool = "0x" + POOL_ID.hex()
    leaf = SettledLeaf(task_id="t-1", outcome="PASS", released=PRICE, refunded=0, evidence_digest=EVIDENCE)

    def batch(seq: int, tx: int) -> EscrowSettled:
        return EscrowSettled(
            acceptance_id="acc",
            mode="aggregate",
            cause="batch",
            task_ids=("t-1",),
            released=PRICE,
            refunded=0,
            pool_id=pool,
            batch_seq=seq,
            verdict_root="0x" + "11" * 32,
            leaves=(leaf,),
            chain_id=1,
            tx_hash="0x" + tx.to_bytes(32, "big").hex(),
            block_number=tx,
            log_index=0,
        )

    ledger = fold([envelope(batch(1, 1), "escrow-acc", 1), envelope(batch(2, 2), "escrow-acc", 2)])["acc"]
    assert ledger.paid_twice() == ["t-1"]
    assert "task t-1 paid twice" in ledger.violations()
    # the same fact folded twice is one payment
    once = fold([envelope(batch(1, 1), "escrow-acc", 1), envelope(batch(1, 1), "escrow-acc", 1)])["acc"]
    assert once.paid_twice() == []
    assert once.figures().released == PRICE


def test_the_earliest_of_two_conflicting_verdicts_stands_in_any_order():
    first = envelope(verdict("t", "PASS", "acc", "aggregate"), "evaluation-t", 1, at=T0)
    later = envelope(
        verdict("t", "FAIL", "acc", "aggregate", verdict_id="v-2"), "evaluation-t", 2, at=T0.replace(hour=13)
    )
    a = fold([first, later])["acc"]
    b = fold([later, first])["acc"]
    assert a == b
    assert a.verdicts["t"].outcome == "PASS"
    assert a.conflicting_verdicts == {"t"}


def test_per_agent_and_per_buyer_totals_add_up_acceptances():
    ledgers = fold(
        [
            envelope(accepted("acc-a", agent_id="agent-1", buyer_id="buyer-1"), "acceptance-acc-a"),
            envelope(accepted("acc-b", agent_id="agent-1", buyer_id="buyer-2"), "acceptance-acc-b"),
            envelope(_funding("acc-a", "1", 7), "escrow-acc-a"),
            envelope(_funding("acc-b", "2", 8), "escrow-acc-b"),
        ]
    )
    by_agent = L.totals_by(ledgers.values(), "agent_id")
    by_buyer = L.totals_by(ledgers.values(), "buyer_id")
    assert by_agent == {"agent-1": L.Figures(escrowed=2 * PRICE, remaining=2 * PRICE)}
    assert by_buyer == {
        "buyer-1": L.Figures(escrowed=PRICE, remaining=PRICE),
        "buyer-2": L.Figures(escrowed=PRICE, remaining=PRICE),
    }


def _funding(acceptance: str, job: str, tx: int) -> EscrowFunded:
    return EscrowFunded(
        acceptance_id=acceptance,
        mode="per_task",
        amount=PRICE,
        chain_id=1,
        contract_address="0x" + "1" * 40,
        token_address=TOKEN,
        job_id=job,
        task_id=f"t-{job}",
        tx_hash="0x" + tx.to_bytes(32, "big").hex(),
        block_number=tx,
        log_index=0,
    )


def test_dump_is_plain_json_without_floats():
    ledger = fold(
        [envelope(accepted("acc-a"), "acceptance-acc-a"), envelope(_funding("acc-a", "1", 7), "escrow-acc-a")]
    )

    assert canonical_json(L.dump(ledger["acc-a"]))  # raises on floats
    assert replace(ledger["acc-a"]) == L.load(L.dump(ledger["acc-a"]))

"""The trust formula's published properties, proven over random event sets (hypothesis), plus
the fixed vectors docs/scoring.md prints."""

from __future__ import annotations

import functools
import random
from datetime import timedelta
from decimal import Decimal, localcontext

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pactline_events import Envelope
from pactline_scoring.evidence import escrow_weight
from pactline_scoring.formula import (
    DIMENSIONS,
    EPOCH,
    FormulaParams,
    InvalidFormulaParams,
    growth,
)
from pactline_scoring.ledger import TrustLedger, snapshot_digest
from pactline_scoring.lower_bound import lower_bound_micro
from trust_events import CLAUSES, T0, Log, acceptance, settlement, verdict

PARAMS = FormulaParams()
PER_BUYER_BOUND = 200  # docs/scoring.md, "Per-buyer bound"
OUTCOMES = ("PASS", "FAIL", "INCONCLUSIVE")
BUYERS = ("b1", "b2", "b3", "b4", "b5", "op-1")  # op-1 buying from its own agent is self-dealing
AGENTS = ("agent-a", "agent-b")

quick = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# -- the exact lower bound ---------------------------------------------------------------------


def lower_bound_decimal(a: Decimal, b: Decimal) -> int:
    with localcontext() as ctx:
        ctx.prec = 80
        n = a + b
        value = (a + 2 - 2 * (a * b / n + 1).sqrt()) / (n + 4)
        return int((value * 1_000_000).to_integral_value(rounding="ROUND_FLOOR"))


@settings(deadline=None)
@given(st.integers(0, 10**13), st.integers(1, 10**13), st.integers(1, 10**9))
def test_lower_bound_is_the_floor_of_the_exact_value(a_num, b_num, q):
    exact = lower_bound_decimal(Decimal(a_num) / q, Decimal(b_num) / q)
    assert lower_bound_micro(a_num, b_num, q) == exact


@settings(deadline=None)  # a shared 2-core machine: a slow example is not a failure
@given(st.integers(0, 10**12), st.integers(1, 10**12), st.integers(1, 10**10), st.integers(1, 10**6))
def test_lower_bound_rises_with_passes_and_falls_with_failures(a_num, b_num, more, q):
    base = lower_bound_micro(a_num, b_num, q)
    assert lower_bound_micro(a_num + more, b_num, q) >= base
    assert lower_bound_micro(a_num, b_num + more, q) <= base


def test_lower_bound_vectors():
    # a, b in units (q = 10^6); values printed in docs/scoring.md
    assert lower_bound_micro(0, 2_000_000, 1_000_000) == 0
    assert lower_bound_micro(1_000_000, 2_000_000, 1_000_000) == 59715
    assert lower_bound_micro(2_000_000, 2_000_000, 1_000_000) == 146446
    assert lower_bound_micro(30_000_000, 2_000_000, 1_000_000) == 794689
    assert lower_bound_micro(1_000_000_000, 2_000_000, 1_000_000) == 992582


def test_lower_bound_refuses_an_empty_prior():
    with pytest.raises(ValueError, match="b > 0"):
        lower_bound_micro(1, 0, 1)


# -- time and weights ---------------------------------------------------------------------------


def test_growth_doubles_every_half_life_and_is_linear_in_between():
    h = PARAMS.half_life_s
    assert growth(0, h) == h
    assert growth(h, h) == 2 * h
    assert growth(3 * h + h // 2, h) == 8 * (h + h // 2)
    assert [growth(n, h) for n in (0, 1, h - 1)] == [h, h + 1, 2 * h - 1]


def test_escrow_weight_is_quadratic_for_dust_and_saturates():
    assert escrow_weight(0, PARAMS, 1, 1) == 0
    assert escrow_weight(100, PARAMS, 1, 1) == 0  # 0.0001 USDC: under one millionth of a unit
    assert escrow_weight(1_000, PARAMS, 1, 1) == 99  # 0.001 USDC: a ten-thousandth of a unit
    assert escrow_weight(100_000, PARAMS, 1, 1) == 500_000  # P itself: half a unit
    assert escrow_weight(1_000_000, PARAMS, 1, 1) == 990_099
    assert escrow_weight(1_000_000, PARAMS, 30, 40) == 742_574


def test_params_refuse_weights_that_do_not_add_up():
    with pytest.raises(InvalidFormulaParams, match="add up to 100"):
        FormulaParams(weights={dim: 1 for dim in DIMENSIONS})
    with pytest.raises(InvalidFormulaParams, match="half_life_s must be positive"):
        FormulaParams(half_life_s=0)


# -- random worlds ------------------------------------------------------------------------------

verdict_spec = st.tuples(
    st.sampled_from(AGENTS),
    st.sampled_from(BUYERS),
    st.sampled_from(OUTCOMES),
    st.integers(0, 5_000_000),  # price
    st.integers(0, 120 * 86_400),  # seconds after T0
    st.dictionaries(st.sampled_from([c[0] for c in CLAUSES]), st.sampled_from(OUTCOMES), max_size=3),
)
settlement_spec = st.tuples(
    st.sampled_from(AGENTS),
    st.sampled_from(BUYERS),
    st.integers(0, 3_000_000),
    st.integers(0, 3_000_000),
    st.integers(0, 120 * 86_400),
)


def acceptance_id(agent: str, buyer: str) -> str:
    return f"acc-{agent}-{buyer}"


def world(verdicts, settlements) -> list[Envelope]:
    log = Log(chained=False)
    for agent in AGENTS:
        for buyer in BUYERS:
            log.add(acceptance(acceptance_id(agent, buyer), agent, buyer), T0 - timedelta(days=1))
    for n, (agent, buyer, outcome, price, offset, overrides) in enumerate(verdicts):
        payload = verdict(
            f"t{n}", acceptance_id(agent, buyer), agent, outcome=outcome, price=price, clause_outcomes=overrides
        )
        log.add(payload, T0 + timedelta(seconds=offset))
    for n, (agent, buyer, released, refunded, offset) in enumerate(settlements):
        if released or refunded:
            payload = settlement(acceptance_id(agent, buyer), (f"s{n}",), released=released, refunded=refunded)
            log.add(payload, T0 + timedelta(seconds=offset))
    return log.events


AS_OF = T0 + timedelta(days=121)


def composite(events, agent="agent-a", at=AS_OF, params=PARAMS):
    return TrustLedger.of(events, params).score(agent, at)


def lower_bounds(score):
    return {dim: fig.lower_bound for dim, fig in score.dimensions.items()}


def with_extra(events, payload, at) -> list[Envelope]:
    log = Log(prefix="extra-", chained=False)
    log.add(payload, at)
    return [*events, *log.events]


@quick
@given(st.lists(verdict_spec, max_size=40), st.lists(settlement_spec, max_size=8), st.randoms(use_true_random=False))
def test_any_partition_interleaving_gives_the_same_snapshot_digest(verdicts, settlements, rnd):
    events = world(verdicts, settlements)
    expected = snapshot_digest(TrustLedger.of(events, PARAMS).snapshot(AS_OF))
    # Streams keep their order inside a partition; partitions interleave arbitrarily.
    partitions: dict[int, list[Envelope]] = {}
    for event in events:
        partitions.setdefault(hash(event.stream_id) % 6, []).append(event)
    for _ in range(5):
        queues = [list(p) for p in partitions.values()]
        shuffled = []
        while queues:
            queue = rnd.choice(queues)
            shuffled.append(queue.pop(0))
            if not queue:
                queues.remove(queue)
        assert snapshot_digest(TrustLedger.of(shuffled, PARAMS).snapshot(AS_OF)) == expected
    fully_shuffled = list(events)
    rnd.shuffle(fully_shuffled)
    assert snapshot_digest(TrustLedger.of(fully_shuffled, PARAMS).snapshot(AS_OF)) == expected


@quick
@given(
    st.lists(verdict_spec, max_size=30),
    st.lists(settlement_spec, max_size=5),
    st.sampled_from(BUYERS),
    st.integers(1, 5_000_000),
    st.integers(0, 120 * 86_400),
)
def test_more_passing_evidence_never_lowers_a_score(verdicts, settlements, buyer, price, offset):
    events = world(verdicts, settlements)
    before = composite(events)
    more = with_extra(
        events, verdict("new", acceptance_id("agent-a", buyer), "agent-a", price=price), T0 + timedelta(seconds=offset)
    )
    after = composite(more)
    assert after.composite >= before.composite
    assert all(
        after_lb >= before_lb
        for after_lb, before_lb in zip(lower_bounds(after).values(), lower_bounds(before).values(), strict=True)
    )
    released = with_extra(
        events, settlement(acceptance_id("agent-a", buyer), ("new",), released=price), T0 + timedelta(seconds=offset)
    )
    assert composite(released).composite >= before.composite


@quick
@given(
    st.lists(verdict_spec, max_size=30),
    st.lists(settlement_spec, max_size=5),
    st.sampled_from(BUYERS),
    st.sampled_from(("FAIL", "INCONCLUSIVE")),
    st.integers(1, 5_000_000),
    st.integers(0, 120 * 86_400),
    st.dictionaries(st.sampled_from([c[0] for c in CLAUSES]), st.sampled_from(OUTCOMES), max_size=4),
)
def test_a_failure_never_raises_a_score(verdicts, settlements, buyer, outcome, price, offset, overrides):
    events = world(verdicts, settlements)
    before = composite(events)
    failed = verdict(
        "new", acceptance_id("agent-a", buyer), "agent-a", outcome=outcome, price=price, clause_outcomes=overrides
    )
    after = composite(with_extra(events, failed, T0 + timedelta(seconds=offset)))
    assert after.composite <= before.composite
    assert all(a <= b for a, b in zip(lower_bounds(after).values(), lower_bounds(before).values(), strict=True))
    refunded = settlement(acceptance_id("agent-a", buyer), ("new",), refunded=price)
    lost = composite(with_extra(events, refunded, T0 + timedelta(seconds=offset)))
    assert lost.composite <= before.composite


@quick
@given(
    st.lists(verdict_spec, max_size=40),
    st.lists(settlement_spec, max_size=8),
    st.integers(0, 400 * 86_400),
    st.integers(1, 400 * 86_400),
)
def test_time_alone_never_raises_a_score(verdicts, settlements, start, wait):
    events = world(verdicts, settlements)
    ledger = TrustLedger.of(events, PARAMS)
    earlier, later = AS_OF + timedelta(seconds=start), AS_OF + timedelta(seconds=start + wait)
    for agent in AGENTS:
        a, b = ledger.score(agent, earlier), ledger.score(agent, later)
        assert b.composite <= a.composite
        assert all(x <= y for x, y in zip(lower_bounds(b).values(), lower_bounds(a).values(), strict=True))


@quick
@given(
    st.lists(verdict_spec, max_size=30),
    st.lists(settlement_spec, max_size=5),
    st.lists(
        st.tuples(st.sampled_from(OUTCOMES), st.integers(0, 50_000_000), st.integers(0, 120 * 86_400)),
        min_size=1,
        max_size=150,
    ),
    st.lists(st.tuples(st.integers(0, 10**9), st.integers(0, 10**9), st.integers(0, 120 * 86_400)), max_size=20),
)
def test_one_buyer_moves_a_composite_by_at_most_the_documented_bound(verdicts, settlements, heavy, heavy_settled):
    events = world(verdicts, settlements)
    log = Log(prefix="heavy-", chained=False)
    log.add(acceptance("acc-heavy", "agent-a", "heavy-buyer"), T0)
    for n, (outcome, price, offset) in enumerate(heavy):
        log.add(verdict(f"h{n}", "acc-heavy", "agent-a", outcome=outcome, price=price), T0 + timedelta(seconds=offset))
    for n, (released, refunded, offset) in enumerate(heavy_settled):
        if released or refunded:
            log.add(
                settlement("acc-heavy", (f"hs{n}",), released=released, refunded=refunded),
                T0 + timedelta(seconds=offset),
            )
    without, with_buyer = composite(events), composite([*events, *log.events])
    assert abs(with_buyer.composite - without.composite) <= PER_BUYER_BOUND


@quick
@given(st.lists(verdict_spec, max_size=30), st.integers(1, 5_000_000), st.integers(0, 120 * 86_400))
def test_inconclusive_counts_against_reliability_but_not_accuracy(verdicts, price, offset):
    # A buyer of its own, so the per-buyer cap cannot hide the new evidence.
    events = [
        *world(verdicts, []),
        *Log(prefix="fresh-", chained=False).add_all([(acceptance("acc-fresh", "agent-a", "fresh"), T0)]),
    ]
    before = composite(events)
    unsure = verdict(
        "new", "acc-fresh", "agent-a", outcome="INCONCLUSIVE", price=price, clause_outcomes={"helpful": "INCONCLUSIVE"}
    )
    after = composite(with_extra(events, unsure, T0 + timedelta(seconds=offset)))
    assert after.dimensions["accuracy"] == before.dimensions["accuracy"]
    assert after.dimensions["reliability"].beta >= before.dimensions["reliability"].beta
    assert after.dimensions["reliability"].lower_bound <= before.dimensions["reliability"].lower_bound
    # ...and it is evidence against reliability: the beta grows when the price is not dust.
    if price >= 10_000:
        assert after.dimensions["reliability"].beta > before.dimensions["reliability"].beta


@functools.cache
def dust_campaign() -> tuple[Envelope, ...]:
    """An operator's 300 fresh accounts, each buying 5 tasks of its agent at up to 0.001 USDC."""
    log = Log(prefix="dust-", chained=False)
    rnd = random.Random(7)
    for n in range(300):
        log.add(acceptance(f"acc-dust-{n}", "agent-a", f"fresh-{n}"), T0)
        for k in range(5):
            log.add(
                verdict(f"d{n}-{k}", f"acc-dust-{n}", "agent-a", price=rnd.randint(1, 1_000)),
                T0 + timedelta(days=100, seconds=n * 10 + k),
            )
    return tuple(log.events)


@settings(max_examples=25, deadline=None)
@given(st.lists(verdict_spec, max_size=30), st.lists(settlement_spec, max_size=5))
def test_many_fresh_buyers_with_dust_escrow_gain_almost_nothing(verdicts, settlements):
    events = world(verdicts, settlements)
    before, after = composite(events), composite([*events, *dust_campaign()])
    assert after.counters.verdicts - before.counters.verdicts == 1500
    assert after.composite - before.composite <= 2


def test_three_lucky_verdicts_do_not_outrank_a_thousand_good_ones():
    log = Log()
    for n in range(3):
        log.add(acceptance(f"acc-lucky-{n}", "lucky", f"lb{n}"), T0)
        log.add(verdict(f"l{n}", f"acc-lucky-{n}", "lucky", price=50_000_000), T0 + timedelta(hours=n))
    for n in range(1000):
        buyer = f"sb{n % 100}"
        if n < 100:
            log.add(acceptance(f"acc-steady-{buyer}", "steady", buyer), T0)
        log.add(verdict(f"s{n}", f"acc-steady-{buyer}", "steady", price=200_000), T0 + timedelta(minutes=n))
    ledger = TrustLedger.of(log.events, PARAMS)
    at = T0 + timedelta(days=1)
    lucky, steady = ledger.score("lucky", at), ledger.score("steady", at)
    assert lucky.composite < steady.composite
    assert lucky.tier == "provisional"
    assert steady.composite > 600


def test_self_dealt_tasks_count_for_nothing():
    log = Log()
    log.add(acceptance("acc-self", "agent-a", "op-1"), T0)
    for n in range(50):
        log.add(verdict(f"t{n}", "acc-self", "agent-a", price=5_000_000), T0 + timedelta(minutes=n))
    score = TrustLedger.of(log.events, PARAMS).score("agent-a", T0 + timedelta(days=1))
    assert (score.composite, score.tier, score.counters.self_dealt_verdicts, score.counters.verdicts) == (
        0,
        "unrated",
        50,
        0,
    )


def test_a_verdict_read_before_its_acceptance_counts_the_same():
    log = Log()
    accepted = log.add(acceptance("acc-1", "agent-a", "b1"), T0)
    judged = log.add(verdict("t1", "acc-1", "agent-a"), T0 + timedelta(hours=1))
    at = T0 + timedelta(days=1)
    in_order = TrustLedger.of([accepted, judged], PARAMS).score("agent-a", at)
    reversed_ = TrustLedger.of([judged, accepted], PARAMS).score("agent-a", at)
    assert in_order == reversed_
    assert in_order.composite > 0


def test_a_verdict_for_another_agent_than_its_acceptance_is_left_out():
    log = Log()
    log.add(acceptance("acc-1", "agent-a", "b1"), T0)
    log.add(verdict("t1", "acc-1", "agent-b"), T0 + timedelta(hours=1))
    ledger = TrustLedger.of(log.events, PARAMS)
    assert ledger.anomalies.agent_mismatch == 1
    assert "agent-b" not in ledger.agents


def test_events_before_the_epoch_count_for_nothing():
    log = Log()
    log.add(acceptance("acc-1", "agent-a", "b1"), EPOCH - timedelta(days=2))
    log.add(verdict("t1", "acc-1", "agent-a"), EPOCH - timedelta(days=1))
    ledger = TrustLedger.of(log.events, PARAMS)
    assert ledger.anomalies.before_epoch == 1
    assert ledger.score("agent-a", EPOCH + timedelta(days=1)).tier == "unrated"


def test_as_of_leaves_out_later_verdicts():
    log = Log()
    log.add(acceptance("acc-1", "agent-a", "b1"), T0)
    log.add(verdict("t1", "acc-1", "agent-a"), T0 + timedelta(hours=1))
    log.add(verdict("t2", "acc-1", "agent-a", outcome="FAIL"), T0 + timedelta(hours=3))
    at = T0 + timedelta(hours=2)
    past = TrustLedger.of(log.events, PARAMS, as_of=at).score("agent-a", at)
    only_first = TrustLedger.of(log.events[:2], PARAMS).score("agent-a", at)
    assert past == only_first
    assert past.counters.verdicts == 1


def test_half_life_is_configurable_and_part_of_the_snapshot():
    log = Log()
    log.add(acceptance("acc-1", "agent-a", "b1"), T0)
    log.add(verdict("t1", "acc-1", "agent-a"), T0)
    fast = FormulaParams(half_life_s=86_400)
    at = T0 + timedelta(days=10)
    slow_score = TrustLedger.of(log.events, PARAMS).score("agent-a", at)
    fast_score = TrustLedger.of(log.events, fast).score("agent-a", at)
    assert fast_score.dimensions["accuracy"].alpha < slow_score.dimensions["accuracy"].alpha
    assert fast.digest != PARAMS.digest
    assert TrustLedger.of(log.events, fast).snapshot(at)["params_digest"] == fast.digest


def test_a_score_before_evidence_already_folded_is_refused():
    from pactline_scoring.ledger import AsOfBeforeEvidence

    log = Log(chained=False)
    log.add(acceptance("acc-1", "agent-a", "b1"), T0)
    log.add(verdict("t1", "acc-1", "agent-a"), T0 + timedelta(hours=1))
    with pytest.raises(AsOfBeforeEvidence, match="agent agent-a: as_of"):
        TrustLedger.of(log.events, PARAMS).score("agent-a", T0)

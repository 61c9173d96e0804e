"""Scoring end to end on the real Kafka and Postgres: events in (prefixed copies of the catalog
topics, so the shared local log is left alone), scores out of the Trust Oracle equal to the
pure formula's; a rebuild from offset 0 reaches the same digest and announces nothing twice."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from pactline_scoring.__main__ import rebuild
from pactline_scoring.formula import FormulaParams
from pactline_scoring.ledger import TrustLedger, snapshot_digest
from pactline_scoring.rebuilding import rebuild as rebuild_and_replay
from scoring_oracle import Oracle, publish, running_oracle, scenario
from trust_events import T0, verdict
from waiting import wait_for

pytestmark = pytest.mark.infra


@pytest.fixture
async def oracle(kafka_topics, database_url, db_schema) -> AsyncIterator[Oracle]:
    async with running_oracle(kafka_topics, database_url, db_schema) as running:
        yield running


@pytest.fixture
def run() -> str:
    return uuid.uuid4().hex[:8]


async def test_scores_follow_the_formula_and_a_rebuild_reaches_the_same_digest(oracle, run, kafka_topics):
    prefix = oracle.prefix
    log, good, sloppy = scenario(run)
    await publish(kafka_topics, prefix, log.events)
    await wait_for(oracle.caught_up, what="the projection folded every event")
    params = FormulaParams()
    ledger = TrustLedger.of(log.events, params)
    log_time = ledger.log_time

    answer = (await oracle.http.get(f"/v1/agents/{good}/score")).json()
    expected = ledger.score(good, log_time).to_json()
    assert {k: answer[k] for k in expected} == expected
    sloppy_answer = (await oracle.http.get(f"/v1/agents/{sloppy}/score")).json()
    assert answer["composite"] > sloppy_answer["composite"]
    assert sloppy_answer["dimensions"]["latency"]["lower_bound"] < answer["dimensions"]["latency"]["lower_bound"]
    assert sloppy_answer["refunded"] == 8_000_000

    snap = (await oracle.http.get("/v1/snapshot")).json()
    live_digest = snapshot_digest(ledger.snapshot(log_time))
    assert snap["digest"] == live_digest

    # A past as_of reads the evidence up to then only.
    mid = T0 + timedelta(minutes=5, seconds=45)
    past = (await oracle.http.get(f"/v1/agents/{sloppy}/score", params={"as_of": mid.isoformat()})).json()
    assert past["composite"] == TrustLedger.of(log.events, params, as_of=mid).score(sloppy, mid).composite
    assert past["verdicts"] == 6

    announced = await oracle.service.pool.fetchval("SELECT count(*) FROM outbox WHERE event_type = 'TrustScoreUpdated'")
    assert announced >= 2

    runner = oracle.service.projections["trust-scores"]
    await runner.stop()
    await rebuild(oracle.settings, schema=oracle.schema)  # what `pactline-scoring rebuild` does
    assert await oracle.service.pool.fetchval("SELECT count(*) FROM totals") == 0
    await runner.start()
    await wait_for(oracle.caught_up, what="the rebuild folded every event")
    rebuilt = (await oracle.http.get("/v1/snapshot")).json()
    assert rebuilt["digest"] == live_digest
    again = await oracle.service.pool.fetchval("SELECT count(*) FROM outbox WHERE event_type = 'TrustScoreUpdated'")
    assert again == announced

    # What `pactline scoring rebuild` does: drop and replay in its own process, then compare.
    await runner.stop()
    before, after = await rebuild_and_replay(oracle.settings, schema=oracle.schema)
    assert before.digest == live_digest
    assert (after.digest, after.log_time, after.agents) == (before.digest, before.log_time, before.agents)
    await runner.start()


async def test_the_oracle_answers_with_etags_and_limits_each_client(oracle):
    first = await oracle.http.get("/v1/formula")
    assert first.status_code == 200
    assert first.headers["cache-control"].startswith("public, max-age=")
    cached = await oracle.http.get("/v1/formula", headers={"If-None-Match": first.headers["etag"]})
    assert cached.status_code == 304
    # Burst 40, refilled at 20/s: a client asking faster than that is refused, told when to retry.
    refused = None
    for _ in range(400):
        answer = await oracle.http.get("/v1/formula")
        if answer.status_code == 429:
            refused = answer
            break
    assert refused is not None
    assert int(refused.headers["retry-after"]) >= 1
    unknown = await oracle.http.get("/v1/agents/nobody/score")
    assert unknown.status_code in (404, 429)


async def test_announcements_carry_the_cause_and_a_derived_id(oracle, run, kafka_topics):
    from pactline_events import TrustScoreUpdated, decode, derived_event_id

    log, good, _ = scenario(run)
    await publish(kafka_topics, oracle.prefix, log.events)
    await wait_for(oracle.caught_up, what="the projection folded every event")
    # The scenario's agent has four acceptances, so four partitions: a poll may bring an older
    # verdict after newer ones were announced, which changes the served score at once and is
    # announced with the next change (docs/scoring.md, section 11). A verdict newer than all
    # of them, folded last, makes that next change.
    latest = log.add(verdict(f"g-latest-{run}", f"acc-g0-{run}", good), T0 + timedelta(hours=1))
    await publish(kafka_topics, oracle.prefix, [latest])
    await wait_for(oracle.caught_up, what="the projection folded the latest verdict")
    rows = await oracle.service.pool.fetch(
        "SELECT value FROM outbox WHERE event_type = 'TrustScoreUpdated' AND stream_id = $1 ORDER BY stream_seq",
        f"trust-{good}",
    )
    assert rows
    by_id = {e.event_id: e for e in log.events}
    for row in rows:
        event = decode(bytes(row["value"]))
        assert isinstance(event.payload, TrustScoreUpdated)
        cause = by_id[event.causation_id]
        assert event.event_id == derived_event_id(cause.occurred_at, "scoring", cause.event_id, event.stream_id, 0)
        assert event.payload.params_digest == FormulaParams().digest
    last = decode(bytes(rows[-1]["value"])).payload
    served = (await oracle.http.get(f"/v1/agents/{good}/score")).json()
    assert (last.composite, last.tier) == (served["composite"], served["tier"])


async def test_the_leaderboard_filters_and_ranks(oracle, run, kafka_topics):
    log, good, sloppy = scenario(run)
    await publish(kafka_topics, oracle.prefix, log.events)
    await wait_for(oracle.caught_up, what="the projection folded every event")
    board = (await oracle.http.get("/v1/leaderboard")).json()
    assert [a["agent_id"] for a in board["agents"]] == [good, sloppy]
    by_latency = (await oracle.http.get("/v1/leaderboard", params={"dimension": "latency"})).json()
    assert by_latency["ranked_by"] == "latency"
    assert by_latency["agents"][0]["agent_id"] == good
    strict = (await oracle.http.get("/v1/leaderboard", params={"min_verdicts": 25})).json()
    assert strict["agents"] == []
    tiers = {a["tier"] for a in board["agents"]}
    only = (await oracle.http.get("/v1/leaderboard", params={"tier": sorted(tiers)[0]})).json()
    assert {a["tier"] for a in only["agents"]} == {sorted(tiers)[0]}
    bad = await oracle.http.get("/v1/leaderboard", params={"dimension": "charm"})
    assert bad.status_code == 422
    evidence = (await oracle.http.get(f"/v1/agents/{sloppy}/evidence", params={"limit": 3})).json()["evidence"]
    assert len(evidence) == 3
    assert {"tx_hash", "refunded"} <= evidence[0].keys() or {"verdict_id", "evidence_digest"} <= evidence[0].keys()

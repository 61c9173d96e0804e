"""Scoring end to end on the real Kafka and Postgres: events in (prefixed copies of the catalog
topics, so the shared local log is left alone), scores out of the Trust Oracle equal to the
pure formula's; a rebuild from offset 0 reaches the same digest and announces nothing twice."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest

from pactline_events import Outcome, encode, topic_for
from pactline_messaging import ensure_topics, idempotent_producer
from pactline_scoring.__main__ import rebuild
from pactline_scoring.app import SPEC
from pactline_scoring.formula import FormulaParams
from pactline_scoring.ledger import TrustLedger, snapshot_digest
from pactline_scoring.settings import ScoringSettings
from trust_events import T0, Log, acceptance, settlement, verdict
from waiting import wait_for

pytestmark = pytest.mark.infra


async def publish(kafka: str, prefix: str, events) -> None:
    producer = idempotent_producer(kafka, "scoring-e2e")
    await producer.start()
    try:
        sends = [
            await producer.send(prefix + topic_for(e.event_type), encode(e), key=e.stream_id.encode()) for e in events
        ]
        for sent in sends:
            await sent
    finally:
        await producer.stop()


@dataclasses.dataclass
class Oracle:
    service: object
    http: httpx.AsyncClient
    settings: ScoringSettings
    schema: str

    async def caught_up(self) -> bool:
        return await self.service.projections["trust-scores"].lag() == 0


@pytest.fixture
async def world(kafka_topics) -> tuple[str, str]:
    run = uuid.uuid4().hex[:8]
    prefix = f"test-{run}."
    settings = ScoringSettings(scoring_topic_prefix=prefix)
    await ensure_topics(kafka_topics, settings.topics())
    return prefix, run


@pytest.fixture
async def oracle(world, kafka_topics, database_url, db_schema) -> AsyncIterator[Oracle]:
    prefix, _ = world
    settings = ScoringSettings(
        database_url=database_url, kafka_bootstrap=kafka_topics, log_format="text", scoring_topic_prefix=prefix
    )
    spec = dataclasses.replace(SPEC, schema=db_schema)
    from pactline_service import build_app

    app = build_app(spec, settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app)
        async with httpx.AsyncClient(transport=transport, base_url="http://oracle") as http:
            yield Oracle(app.state.service, http, settings, db_schema)


def scenario(run: str) -> tuple[Log, str, str]:
    """A reliable agent with four buyers, a sloppy one that fails and loses escrow."""
    log = Log(prefix=f"{run}-")
    good, sloppy = f"good-{run}", f"sloppy-{run}"
    for b in range(4):
        log.add(acceptance(f"acc-g{b}-{run}", good, f"buyer{b}-{run}"), T0)
        log.add(acceptance(f"acc-s{b}-{run}", sloppy, f"buyer{b}-{run}"), T0)
    for n in range(24):
        b = n % 4
        at = T0 + timedelta(minutes=n)
        log.add(verdict(f"g{n}-{run}", f"acc-g{b}-{run}", good), at)
        outcome = "FAIL" if n % 3 == 0 else "PASS"
        overrides = {"fast-reply": "FAIL", "reply-length": "FAIL"} if outcome == "FAIL" else None
        log.add(verdict(f"s{n}-{run}", f"acc-s{b}-{run}", sloppy, outcome=outcome, clause_outcomes=overrides), at)
        if outcome == "FAIL":
            log.add(settlement(f"acc-s{b}-{run}", (f"s{n}-{run}",), refunded=1_000_000), at + timedelta(seconds=30))
        else:
            log.add(settlement(f"acc-s{b}-{run}", (f"s{n}-{run}",), released=1_000_000), at + timedelta(seconds=30))
    return log, good, sloppy


async def test_scores_follow_the_formula_and_a_rebuild_reaches_the_same_digest(oracle, world, kafka_topics):
    prefix, run = world
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


async def test_the_oracle_answers_with_etags_and_limits_each_client(oracle):
    first = await oracle.http.get("/v1/formula")
    assert first.status_code == 200
    assert first.headers["cache-control"].startswith("public, max-age=")
    cached = await oracle.http.get("/v1/formula", headers={"If-None-Match": first.headers["etag"]})
    assert cached.status_code == 304
    statuses = [(await oracle.http.get("/v1/formula")).status_code for _ in range(60)]
    assert 429 in statuses
    refused = await oracle.http.get("/v1/formula")
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) >= 1
    unknown = await oracle.http.get("/v1/agents/nobody/score")
    assert unknown.status_code in (404, 429)


async def test_audit_replay_agrees_counts_redeliveries_and_names_a_tampered_event(oracle, world, kafka_topics):
    from pactline_cli.audit_replay import replay

    prefix, run = world
    log, good, _ = scenario(run)
    await publish(kafka_topics, prefix, log.events)
    await wait_for(oracle.caught_up, what="the projection folded every event")
    # An exact redelivery (a relay that crashed after sending) is counted, not taken for tampering.
    await publish(kafka_topics, prefix, [log.events[5]])
    await wait_for(oracle.caught_up, what="the projection skipped the redelivery")

    report = await replay(kafka_topics, oracle.http, prefix=prefix)
    assert report.ok, report.to_json()
    assert report.events_read == len(log.events) + 1
    assert (report.chains_verified, report.redeliveries) == (len(log.events), 1)
    assert report.digest == report.oracle_digest
    assert report.digest == snapshot_digest(
        TrustLedger.of(log.events, FormulaParams()).snapshot(log.events[-1].occurred_at)
    )

    # Someone rewrites a verdict of the reliable agent as a failure and appends it to the log.
    original = next(e for e in log.events if e.event_type == "VerdictIssued" and e.payload.agent_id == good)
    forged = original.model_copy(update={"payload": original.payload.model_copy(update={"outcome": Outcome.FAIL})})
    await publish(kafka_topics, prefix, [forged])
    tampered = await replay(kafka_topics, oracle.http, prefix=prefix, wait_s=2)
    assert not tampered.ok
    assert any(
        original.stream_id in line and f"seq {original.stream_seq}" in line and "fork" in line
        for line in tampered.broken
    ), tampered.broken


async def test_announcements_carry_the_cause_and_a_derived_id(oracle, world, kafka_topics):
    from pactline_events import TrustScoreUpdated, decode, derived_event_id

    prefix, run = world
    log, good, _ = scenario(run)
    await publish(kafka_topics, prefix, log.events)
    await wait_for(oracle.caught_up, what="the projection folded every event")
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

"""The evaluator end to end against the real Kafka and Postgres: verdicts without the jury,
with it, at the deadline when it never answers; redeliveries and late answers change nothing;
and a replay of the log into an empty schema gives byte-identical events."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from aiokafka import TopicPartition
from prometheus_client import REGISTRY

from evaluator_testkit import accepted, completed, deterministic, rubric
from pactline_evaluator.app import SPEC
from pactline_evaluator.auth import Principal, Unauthenticated
from pactline_evaluator.domain import jury_request_id
from pactline_evaluator.settings import EvaluatorSettings
from pactline_events import (
    JuryDeliberated,
    RubricResult,
    TaskCompleted,
    decode,
    utc_now,
)
from pactline_events.topics import ACCEPTANCES, JURY_DELIBERATIONS
from pactline_messaging import OutboxRelay, idempotent_producer, kafka_consumer, open_pool, outbox
from pactline_service import build_app
from topic_reader import start_group_at_end
from waiting import wait_for

pytestmark = pytest.mark.infra
TIMEOUT = timedelta(seconds=600)


class Keys:
    """Test authenticator: the bearer token is the principal id, with a role prefix."""

    async def authenticate(self, bearer):
        if not bearer:
            raise Unauthenticated("missing_api_key", "no key")
        role, _, principal = bearer.partition(":")
        return Principal(principal, role)


async def _positions(kafka: str) -> dict[TopicPartition, int]:
    consumer = kafka_consumer(bootstrap=kafka, enable_auto_commit=False)
    await consumer.start()
    try:
        tps = [TopicPartition(t.name, p) for t in (ACCEPTANCES, JURY_DELIBERATIONS) for p in range(t.partitions)]
        return await consumer.end_offsets(tps)
    finally:
        await consumer.stop()


async def _commit(kafka: str, group: str, positions: dict[TopicPartition, int]) -> None:
    consumer = kafka_consumer(bootstrap=kafka, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(list(positions))
        await consumer.commit(positions)
    finally:
        await consumer.stop()


def _settings(database_url: str, kafka: str) -> EvaluatorSettings:
    return EvaluatorSettings(
        database_url=database_url,
        kafka_bootstrap=kafka,
        log_format="text",
        evaluator_jury_timeout_s=int(TIMEOUT.total_seconds()),
        evaluator_sweep_grace_s=0,
        evaluator_sweep_interval_s=0.2,
        evaluator_should_rubric_rate=Decimal("0"),
    )


async def _outputs(pool) -> dict[tuple[str, str], bytes]:
    rows = await pool.fetch("SELECT stream_id, event_type, value FROM outbox ORDER BY id")
    return {(r["stream_id"], r["event_type"]): bytes(r["value"]) for r in rows}


async def test_verdicts_end_to_end_and_a_replay_gives_the_same_bytes(database_url, kafka_topics, db_schema):
    run = uuid.uuid4().hex[:8]
    group = SPEC.name  # the runtime's consumer group: positioned explicitly for this test
    await start_group_at_end(kafka_topics, group, ACCEPTANCES)
    await start_group_at_end(kafka_topics, group, JURY_DELIBERATIONS)
    start = await _positions(kafka_topics)

    source = await open_pool(database_url, f"{db_schema}_src")
    kafka_producer = idempotent_producer(kafka_topics, f"e2e-{run}")
    await kafka_producer.start()
    relay = OutboxRelay(source, kafka_producer)

    async def publish(stream: str, payload, producer="pact-registry", when=None, event_id=None):
        async with source.acquire() as conn, conn.transaction():
            envelope = await outbox.emit(
                conn, producer, stream, payload, occurred_at=when or utc_now(), event_id=event_id
            )
        await relay.publish_pending()
        return envelope

    checks_only = accepted(
        [deterministic("cites-order", "regex_required", 70, pattern="#[0-9]+"), deterministic("no-pii", "no_pii", 30)],
        acceptance_id=f"acc-a-{run}",
    )
    judged = accepted(
        [deterministic("cites-order", "regex_required", 50, pattern="#[0-9]+"), rubric("helpful", 50)],
        acceptance_id=f"acc-b-{run}",
    )
    t_a, t_b, t_c = f"tsk-a-{run}", f"tsk-b-{run}", f"tsk-c-{run}"

    async def verdicts(pool) -> dict[str, str]:
        return {r["task_id"]: r["outcome"] for r in await pool.fetch("SELECT task_id, outcome FROM verdicts")}

    app = build_app(dataclasses.replace(SPEC, schema=db_schema), _settings(database_url, kafka_topics))
    async with app.router.lifespan_context(app):
        service = app.state.service
        # 1. Checks only: the verdict comes without the jury.
        await publish(f"acceptance-{checks_only.acceptance_id}", checks_only)
        task_a = completed("order #12 ships", task_id=t_a, acceptance_id=checks_only.acceptance_id)
        first_a = await publish(f"acceptance-{checks_only.acceptance_id}", task_a)
        await wait_for(lambda: _has(service.pool, t_a), what="the checks-only verdict")
        # 2. A task measured on another stream arrives before its acceptance: parked, then judged.
        task_b = completed("order #7 is on its way", task_id=t_b, acceptance_id=judged.acceptance_id)
        b_event = await publish(f"gateway-{t_b}", task_b)
        await publish(f"acceptance-{judged.acceptance_id}", judged)
        await wait_for(
            lambda: service.pool.fetchval("SELECT count(*) FROM evaluations WHERE status = 'awaiting_jury'"),
            what="the jury request",
        )
        # Started when its acceptance came: the row holds the deadline the answer must meet.
        deadline = await service.pool.fetchval("SELECT deadline FROM evaluations WHERE task_id = $1", t_b)
        assert deadline == b_event.occurred_at + TIMEOUT
        answer = JuryDeliberated(
            request_id=jury_request_id(t_b),
            task_id=t_b,
            acceptance_id=judged.acceptance_id,
            panel_version="panel-test",
            results=(RubricResult(clause_id="helpful", outcome="PASS", score="0.9", judgments=()),),
        )
        await publish(f"deliberation-{t_b}", answer, "jury", b_event.occurred_at + timedelta(seconds=5))
        await wait_for(lambda: _has(service.pool, t_b), what="the verdict after the jury's answer")
        # 3. A jury that never answers: INCONCLUSIVE, dated at the deadline.
        old = utc_now() - timedelta(hours=1)
        c_event = await publish(
            f"acceptance-{judged.acceptance_id}",
            completed("order #9", task_id=t_c, acceptance_id=judged.acceptance_id),
            when=old,
        )
        await wait_for(lambda: _has(service.pool, t_c), what="the timeout verdict")
        # 4. Redeliveries and late answers: a task event again (same id), a second answer, a late one.
        async with source.acquire() as conn:
            await conn.execute("UPDATE outbox SET published_at = NULL WHERE event_id = $1", first_a.event_id)
        await relay.publish_pending()
        await publish(f"deliberation-{t_b}", answer, "jury", b_event.occurred_at + timedelta(seconds=6))
        late = answer.model_copy(update={"task_id": t_c, "request_id": jury_request_id(t_c)})
        await publish(f"deliberation-{t_c}", late, "jury", old + TIMEOUT + timedelta(seconds=1))
        await wait_for(
            lambda: service.pool.fetchval("SELECT count(*) = 3 FROM jury_answers"), what="every answer recorded"
        )
        await wait_for(
            lambda: service.pool.fetchval(
                "SELECT count(*) FROM processed_events WHERE event_id = $1", first_a.event_id
            ),
            what="the redelivered task claimed",
        )
        dispositions = {
            r["task_id"] + "/" + r["disposition"] for r in await service.pool.fetch("SELECT * FROM jury_answers")
        }
        assert dispositions == {f"{t_b}/used", f"{t_b}/ignored", f"{t_c}/late"}
        assert await verdicts(service.pool) == {t_a: "PASS", t_b: "PASS", t_c: "INCONCLUSIVE"}
        deadline_row = await service.pool.fetchrow("SELECT occurred_at FROM verdicts WHERE task_id = $1", t_c)
        assert deadline_row["occurred_at"] == c_event.occurred_at + TIMEOUT
        original = await _outputs(service.pool)
        # The read API, for the buyer and the operator only.
        service.resources["authenticator"] = Keys()
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://evaluator") as http:
            mine = await http.get(f"/v1/verdicts/{t_b}", headers={"Authorization": "Bearer buyer:buyer-1"})
            theirs = await http.get(f"/v1/verdicts/{t_b}", headers={"Authorization": "Bearer buyer:buyer-2"})
            operator = await http.get(f"/v1/verdicts/{t_b}", headers={"Authorization": "Bearer operator:op-1"})
            anonymous = await http.get(f"/v1/verdicts/{t_b}")
        assert mine.status_code == 200
        assert mine.json()["verdict"]["jury_status"] == "answered"
        assert [c["clause_id"] for c in mine.json()["verdict"]["clause_results"]] == ["cites-order", "helpful"]
        assert (theirs.status_code, operator.status_code, anonymous.status_code) == (404, 200, 401)

    # One verdict per task, each with its event once.
    kinds = sorted(k for k in original if k[1] == "VerdictIssued")
    assert kinds == sorted((f"evaluation-{t}", "VerdictIssued") for t in (t_a, t_b, t_c))
    timed_out = decode(original[(f"evaluation-{t_c}", "VerdictIssued")])
    assert timed_out.occurred_at == c_event.occurred_at + TIMEOUT
    assert timed_out.payload.jury_status == "timed_out"

    # 5. Replay the same log from the test's start into an empty schema.
    await _commit(kafka_topics, group, start)
    replay = build_app(dataclasses.replace(SPEC, schema=f"{db_schema}_replay"), _settings(database_url, kafka_topics))
    async with replay.router.lifespan_context(replay):
        pool = replay.state.service.pool
        await wait_for(
            lambda: pool.fetchval("SELECT count(*) = 3 FROM verdicts"), timeout=60, what="the replayed verdicts"
        )
        replayed = await _outputs(pool)
    assert replayed == original

    await kafka_producer.stop()
    await source.close()
    async with (await open_pool(database_url, "public")).acquire() as conn:
        for schema in (f"{db_schema}_src", f"{db_schema}_replay"):
            await conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


async def _has(pool, task_id: str) -> bool:
    return bool(await pool.fetchval("SELECT count(*) FROM verdicts WHERE task_id = $1", task_id))


async def test_a_poll_of_tasks_is_decided_as_one_run_as_if_one_by_one(database_url, kafka_topics, db_schema):
    """Tasks already on the log when the evaluator starts come in one poll and are handled as
    one run: each gets its verdict, a second TaskCompleted of a task (another event) is ignored
    in favour of the first, a task whose acceptance is unknown is parked, and a redelivered
    run changes nothing. Half the tasks come before their acceptance: the run parks them and
    the acceptance starts them together."""
    run = uuid.uuid4().hex[:8]
    await start_group_at_end(kafka_topics, SPEC.name, ACCEPTANCES)
    await start_group_at_end(kafka_topics, SPEC.name, JURY_DELIBERATIONS)
    source = await open_pool(database_url, f"{db_schema}_src")
    kafka_producer = idempotent_producer(kafka_topics, f"e2e-run-{run}")
    await kafka_producer.start()
    relay = OutboxRelay(source, kafka_producer)
    clauses = [deterministic("cites-order", "regex_required", 100, pattern="#[0-9]+")]
    pact, late_pact = accepted(clauses, acceptance_id=f"acc-{run}"), accepted(clauses, acceptance_id=f"acc-l-{run}")
    stream = f"acceptance-{pact.acceptance_id}"
    tasks = [
        completed(f"order #{n}", task_id=f"tsk-{run}-{n}", acceptance_id=(pact if n < 10 else late_pact).acceptance_id)
        for n in range(20)
    ]
    again = completed("no order number", task_id=tasks[3].task_id, acceptance_id=pact.acceptance_id)
    orphan = completed("order #99", task_id=f"tsk-{run}-orphan", acceptance_id=f"acc-unknown-{run}")
    async with source.acquire() as conn, conn.transaction():
        sent = [
            await outbox.emit(conn, "pact-registry", stream, payload, occurred_at=utc_now())
            for payload in (pact, *tasks, again, orphan, late_pact)
        ]
    await relay.drain()
    ours = [e.event_id for e in sent]

    def claimed(pool):
        return pool.fetchval("SELECT count(*) = 24 FROM processed_events WHERE event_id = ANY($1)", ours)

    def counted() -> tuple[float, float]:
        verdicts = REGISTRY.get_sample_value("pactline_evaluator_verdicts_total", {"outcome": "PASS"})
        results = REGISTRY.get_sample_value(
            "pactline_evaluator_clause_results_total", {"kind": "regex_required", "outcome": "PASS"}
        )
        return verdicts or 0.0, results or 0.0

    counted_before = counted()
    app = build_app(dataclasses.replace(SPEC, schema=db_schema), _settings(database_url, kafka_topics))
    async with app.router.lifespan_context(app):
        pool = app.state.service.pool
        await wait_for(lambda: pool.fetchval("SELECT count(*) = 20 FROM verdicts"), what="the 20 verdicts")
        await wait_for(lambda: claimed(pool), what="every event claimed")
        assert counted() == (counted_before[0] + 20, counted_before[1] + 20)  # metrics: one per verdict and result
        outcomes = {r["task_id"]: r["outcome"] for r in await pool.fetch("SELECT task_id, outcome FROM verdicts")}
        assert outcomes == {t.task_id: "PASS" for t in tasks}  # the first event of task 3, not "no order number"
        first_of_3 = await pool.fetchval("SELECT task_event_id FROM evaluations WHERE task_id = $1", tasks[3].task_id)
        assert first_of_3 == sent[1 + 3].event_id
        parked = await pool.fetch("SELECT task_id FROM evaluations WHERE status = 'parked'")
        assert [r["task_id"] for r in parked] == [orphan.task_id]
        # Written decided with the decision (fresh tasks) or marked so when started (parked ones).
        statuses = {r["task_id"]: r["status"] for r in await pool.fetch("SELECT task_id, status FROM evaluations")}
        assert {statuses[t.task_id] for t in tasks} == {"decided"}
        # A decided task keeps no text (decided on arrival, or started from parked); a parked
        # one keeps the text it will be decided from.
        texts = {r["task_id"]: r["task"] for r in await pool.fetch("SELECT task_id, task FROM evaluations")}
        assert {texts[t.task_id] for t in tasks} == {None}
        assert TaskCompleted.model_validate_json(texts[orphan.task_id]) == orphan
        emitted = await pool.fetchval("SELECT count(*) FROM outbox WHERE event_type = 'VerdictIssued'")
        # The run again, as a crash before the offset commit would redeliver it: nothing new.
        await pool.execute("DELETE FROM processed_events")
        async with source.acquire() as conn:
            await conn.execute("UPDATE outbox SET published_at = NULL")
        await relay.drain()
        await wait_for(lambda: claimed(pool), what="the redelivered run claimed")
        assert await pool.fetchval("SELECT count(*) FROM outbox WHERE event_type = 'VerdictIssued'") == emitted == 20
        assert await pool.fetchval("SELECT count(*) FROM verdicts") == 20
        assert counted() == (counted_before[0] + 20, counted_before[1] + 20)
    await kafka_producer.stop()
    await source.close()
    async with (await open_pool(database_url, "public")).acquire() as conn:
        await conn.execute(f"DROP SCHEMA IF EXISTS {db_schema}_src CASCADE")

"""The handler and the worker against the real PostgreSQL: pending in, one JuryDeliberated out,
whatever crashes in between."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import asyncpg
import pytest

from jury_testkit import answer, panel, request, requested_envelope
from pactline_events import JuryDeliberated, JuryRequested, decode, utc_now
from pactline_events.jury_events import ExclusionReason, InconclusiveReason
from pactline_events.types import Outcome
from pactline_jury import store
from pactline_jury.deliberation import Jury
from pactline_jury.handlers import jury_requested
from pactline_jury.settings import JurySettings
from pactline_jury.worker import DeliberationWorker
from pactline_messaging import HandlerContext, open_pool
from waiting import wait_for

pytestmark = pytest.mark.infra
MIGRATIONS = Path(store.__file__).parent / "migrations"
OUTPUT = "Your order #1234 ships today from Leeds; tracking follows by email."


@pytest.fixture
async def pool(database_url, db_schema):
    pool = await open_pool(database_url, db_schema, MIGRATIONS)
    yield pool
    await pool.close()


@pytest.fixture
def settings(database_url):
    return JurySettings(database_url=database_url, jury_lease_s=30, jury_max_attempts=2, log_format="text")


async def handle(pool: asyncpg.Pool, envelope) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await jury_requested(HandlerContext(conn=conn, event=envelope, producer="jury"), envelope)


async def deliberated(pool: asyncpg.Pool) -> list[JuryDeliberated]:
    rows = await pool.fetch("SELECT value FROM outbox WHERE event_type = 'JuryDeliberated' ORDER BY id")
    return [decode(bytes(r["value"])).payload for r in rows]


async def test_a_request_is_recorded_once_and_judged_once(pool, settings, judge_url, answer_key):
    answer(answer_key, OUTPUT, "PASS")
    req = request(OUTPUT)
    envelope = requested_envelope(req)
    await handle(pool, envelope)
    await handle(pool, envelope)  # a redelivery, or the evaluator re-emitting, changes nothing
    assert await pool.fetchval("SELECT count(*) FROM requests") == 1

    worker = DeliberationWorker(pool, Jury(panel(judge_url, "honest.w1a", "honest.w1b", "honest.w1c")), settings)
    assert await worker.run_until_idle() == 1
    assert await worker.run_until_idle() == 0

    (event,) = await deliberated(pool)
    assert (event.request_id, event.task_id, event.results[0].outcome) == (req.request_id, req.task_id, Outcome.PASS)
    outbox_row = await pool.fetchrow("SELECT stream_id, value FROM outbox WHERE event_type = 'JuryDeliberated'")
    sealed = decode(bytes(outbox_row["value"]))
    assert outbox_row["stream_id"] == f"deliberation-{req.request_id}"
    assert (sealed.causation_id, sealed.correlation_id) == (envelope.event_id, envelope.correlation_id)
    assert await pool.fetchval("SELECT status FROM requests") == "decided"

    stored = await store.judgments_of(pool, req.request_id)
    assert len(stored) == 3
    for row, judgment in zip(stored, sorted(event.results[0].judgments, key=lambda j: j.judge_id), strict=True):
        assert json.loads(bytes(row["raw_reply"]))["verdict"] == "PASS"  # the raw reply is kept
        assert (row["judge_id"], row["prompt_hash"], row["reply_digest"]) == (
            judgment.judge_id,
            judgment.prompt_hash,
            judgment.reply_digest,
        )
        assert row["cost_micro_usd"] == judgment.cost > 0
        assert row["latency_ms"] >= 0
        assert row["valid"] is True
        assert row["flags"] == []


async def test_a_crash_after_the_panel_and_before_the_commit_loses_nothing(pool, settings, judge_url, answer_key):
    answer(answer_key, OUTPUT, "FAIL")
    await handle(pool, requested_envelope(request(OUTPUT)))
    jury = Jury(panel(judge_url, "honest.w2a", "honest.w2b", "honest.w2c"))
    # A worker claims the request and runs the panel, then dies before its transaction commits.
    async with pool.acquire() as conn:
        (claimed,) = await store.claim_pending(conn, batch=5, lease_s=30)
    await jury.deliberate(requested_of(claimed))
    assert await deliberated(pool) == []
    # Its lease runs out; another worker claims the request again and decides it.
    await pool.execute("UPDATE requests SET lease_until = now() - interval '1 second'")
    assert await DeliberationWorker(pool, jury, settings).run_until_idle() == 1
    (event,) = await deliberated(pool)
    assert event.results[0].outcome is Outcome.FAIL
    assert await pool.fetchval("SELECT attempts FROM requests") == 2


async def test_two_workers_racing_on_one_request_emit_one_deliberation(pool, settings, judge_url, answer_key):
    answer(answer_key, OUTPUT, "PASS")
    await handle(pool, requested_envelope(request(OUTPUT)))
    async with pool.acquire() as conn:
        (claimed,) = await store.claim_pending(conn, batch=5, lease_s=30)
    jury = Jury(panel(judge_url, "honest.w3a", "honest.w3b", "honest.w3c"))
    workers = [DeliberationWorker(pool, jury, settings) for _ in range(2)]
    await asyncio.gather(*(w.process(claimed) for w in workers))
    assert len(await deliberated(pool)) == 1
    assert await pool.fetchval("SELECT count(*) FROM deliberations") == 1
    assert await pool.fetchval("SELECT count(*) FROM judgments") == 3


async def test_a_request_the_jury_keeps_failing_on_ends_inconclusive(pool, settings, judge_url):
    await handle(pool, requested_envelope(request(OUTPUT)))
    await pool.execute("UPDATE requests SET attempts = $1", settings.jury_max_attempts)
    worker = DeliberationWorker(pool, Jury(panel(judge_url, "honest.w4a", "honest.w4b", "honest.w4c")), settings)
    assert await worker.run_until_idle() == 1
    (event,) = await deliberated(pool)
    assert (event.results[0].outcome, event.results[0].reason) == (Outcome.INCONCLUSIVE, InconclusiveReason.JURY_ERROR)


async def test_the_running_worker_wakes_on_a_new_request(pool, settings, judge_url, answer_key):
    answer(answer_key, OUTPUT, "PASS")
    worker = DeliberationWorker(pool, Jury(panel(judge_url, "honest.w5a", "honest.w5b", "honest.w5c")), settings)
    await worker.start()
    try:
        await handle(pool, requested_envelope(request(OUTPUT)))
        await wait_for(lambda: deliberated(pool), timeout=20, what="a JuryDeliberated in the outbox")
    finally:
        await worker.stop()


async def test_a_judge_benched_by_its_latest_calibration_is_left_off(pool, settings, judge_url, answer_key):
    answer(answer_key, OUTPUT, "PASS")
    jury = Jury(panel(judge_url, "honest.w6a", "honest.w6b", "honest.w6c", "honest.w6d"))
    row = dict(set_digest="0" * 64, items=200, accuracy="0.5", min_kappa="0.6", simulated=True)
    async with pool.acquire() as conn:
        await store.insert_calibration(
            conn,
            judge_id="j-honest-w6b",
            model="openai/honest.w6b",
            kappa="0.1",
            benched=True,
            calibrated_at=utc_now(),
            **row,
        )
        # benched once, recalibrated since: sits again
        await store.insert_calibration(
            conn,
            judge_id="j-honest-w6c",
            model="openai/honest.w6c",
            kappa="0.1",
            benched=True,
            calibrated_at=utc_now(),
            **row,
        )
        await store.insert_calibration(
            conn,
            judge_id="j-honest-w6c",
            model="openai/honest.w6c",
            kappa="0.9",
            benched=False,
            calibrated_at=utc_now(),
            **row,
        )
        # benched on another model than the one configured now: sits
        await store.insert_calibration(
            conn,
            judge_id="j-honest-w6d",
            model="openai/old-model",
            kappa="0.1",
            benched=True,
            calibrated_at=utc_now(),
            **row,
        )
    await handle(pool, requested_envelope(request(OUTPUT)))
    await DeliberationWorker(pool, jury, settings).run_until_idle()
    (event,) = await deliberated(pool)
    assert [(e.judge_id, e.reason) for e in event.excluded_judges] == [("j-honest-w6b", ExclusionReason.BENCHED)]


def requested_of(row) -> JuryRequested:
    return JuryRequested.model_validate(json.loads(bytes(row["payload"])))

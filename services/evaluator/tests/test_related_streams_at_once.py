"""Related events of different streams applied at the same moment, in two open transactions on
the real database, as two evaluator instances (or two shares of one poll) would apply them: a
task and its acceptance, in either order, and a replayed jury answer and its task.

Each pair runs as: the first event's handler in one transaction, left open; the second's in
another, started while the first is open; then the first commits. Without the acceptance locks
(``lock_acceptances``) the second never waits, each transaction misses the other's rows, and
the task is left parked, or awaiting an answer that is already stored, or decided without the
dispute it was entitled to.
"""

from __future__ import annotations

import asyncio
import types
import uuid
from datetime import timedelta

import asyncpg
import pytest

from evaluator_testkit import DETERMINISTIC_CLAUSES, accepted, completed, rubric
from pactline_evaluator.app import SPEC
from pactline_evaluator.domain import jury_request_id
from pactline_evaluator.handlers import handlers
from pactline_evaluator.settings import EvaluatorSettings
from pactline_events import (
    Envelope,
    EventPayload,
    JuryDeliberated,
    PendingEvent,
    RubricResult,
    TaskDisputed,
    decode,
    encode,
)
from pactline_messaging import open_pool
from pactline_messaging.handling import HandlerContext, RunContext
from signed_events import signed
from waiting import wait_for

T0 = accepted(DETERMINISTIC_CLAUSES).accepted_at


def _event(producer: str, stream: str, payload: EventPayload, seconds: int) -> Envelope:
    pending = PendingEvent(
        event_id=uuid.uuid4(),
        occurred_at=T0 + timedelta(seconds=seconds),
        stream_id=stream,
        correlation_id=uuid.uuid4(),
        payload=payload,
    )
    return decode(encode(signed(pending.seal(producer=producer, stream_seq=1, prev_hash="0" * 64))))


@pytest.fixture
async def pool(database_url: str, db_schema: str):
    pool = await open_pool(database_url, db_schema, SPEC.migrations)
    yield pool
    await pool.close()


def _deps(database_url: str):
    settings = EvaluatorSettings(database_url=database_url, kafka_bootstrap="127.0.0.1:1")
    return types.SimpleNamespace(settings=settings)


async def _apply(conn: asyncpg.Connection, deps, event: Envelope) -> None:
    run_handler = handlers.get_run(event.event_type)
    if run_handler is not None:
        await run_handler(RunContext(conn, "evaluator", deps), [event])
    else:
        handler = handlers.get(event.event_type)
        assert handler is not None
        await handler(HandlerContext(conn=conn, event=event, producer="evaluator", deps=deps), event)


async def _waiting_for_a_lock(pool: asyncpg.Pool, backend: int) -> bool:
    return bool(
        await pool.fetchval(
            "SELECT wait_event_type = 'Lock' AND wait_event = 'advisory' FROM pg_stat_activity WHERE pid = $1", backend
        )
    )


async def _at_once(pool: asyncpg.Pool, deps, first: Envelope, second: Envelope) -> None:
    """``first`` applied in a transaction left open, ``second`` in another begun meanwhile; the
    first commits once the second waits for it (or has finished without waiting)."""
    one, two = await pool.acquire(), await pool.acquire()
    try:
        opened = one.transaction()
        await opened.start()
        await _apply(one, deps, first)

        async def apply_second() -> None:
            async with two.transaction():
                await _apply(two, deps, second)

        second_done = asyncio.create_task(apply_second())
        backend = two.get_server_pid()
        await wait_for(lambda: _settled(pool, backend, second_done), what="the second transaction waiting (or done)")
        await opened.commit()
        await second_done
    finally:
        await pool.release(one)
        await pool.release(two)


async def _settled(pool: asyncpg.Pool, backend: int, task: asyncio.Task) -> bool:
    return task.done() or await _waiting_for_a_lock(pool, backend)


async def _status(pool: asyncpg.Pool, task_id: str) -> str | None:
    return await pool.fetchval("SELECT status FROM evaluations WHERE task_id = $1", task_id)


@pytest.mark.parametrize("acceptance_first", [True, False], ids=["acceptance-then-task", "task-then-acceptance"])
async def test_a_task_and_its_acceptance_at_once_get_the_verdict(pool, database_url, acceptance_first):
    pact = accepted(DETERMINISTIC_CLAUSES, acceptance_id=f"acc-{uuid.uuid4().hex[:8]}")
    task = completed('{"answer": "order #1"}', task_id=f"tsk-{uuid.uuid4().hex[:8]}", acceptance_id=pact.acceptance_id)
    pact_event = _event("pact-registry", f"acceptance-{pact.acceptance_id}", pact, 0)
    task_event = _event("gateway", f"gateway-{pact.acceptance_id}", task, 10)
    pair = (pact_event, task_event) if acceptance_first else (task_event, pact_event)

    await _at_once(pool, _deps(database_url), *pair)

    assert await _status(pool, task.task_id) == "decided"
    assert await pool.fetchval("SELECT count(*) FROM verdicts WHERE task_id = $1", task.task_id) == 1


async def test_a_replayed_jury_answer_and_its_task_at_once_give_the_answered_verdict(pool, database_url):
    pact = accepted([rubric("helpful", 100)], acceptance_id=f"acc-{uuid.uuid4().hex[:8]}")
    task = completed("order #1", task_id=f"tsk-{uuid.uuid4().hex[:8]}", acceptance_id=pact.acceptance_id)
    answer = JuryDeliberated(
        request_id=jury_request_id(task.task_id),
        task_id=task.task_id,
        acceptance_id=pact.acceptance_id,
        panel_version="panel-test",
        results=(RubricResult(clause_id="helpful", outcome="PASS", score="0.9", judgments=()),),
    )
    deps = _deps(database_url)
    await _apply_committed(pool, deps, _event("pact-registry", f"acceptance-{pact.acceptance_id}", pact, 0))
    task_event = _event("gateway", f"gateway-{pact.acceptance_id}", task, 10)
    answer_event = _event("jury", f"deliberation-{task.task_id}", answer, 20)

    await _at_once(pool, deps, task_event, answer_event)

    assert await _status(pool, task.task_id) == "decided"
    jury_status = await pool.fetchval(
        "SELECT payload::jsonb ->> 'jury_status' FROM verdicts WHERE task_id = $1", task.task_id
    )
    assert jury_status == "answered"


async def test_a_dispute_and_its_task_at_once_count_the_dispute(pool, database_url):
    """A provider's dispute dated at the report's own time counts in its verdict (the measured
    clauses INCONCLUSIVE) even when the dispute's transaction is still open as the task comes."""
    pact = accepted(DETERMINISTIC_CLAUSES, acceptance_id=f"acc-{uuid.uuid4().hex[:8]}")
    task = completed('{"answer": "order #1"}', task_id=f"tsk-{uuid.uuid4().hex[:8]}", acceptance_id=pact.acceptance_id)
    dispute = TaskDisputed(
        task_id=task.task_id, acceptance_id=pact.acceptance_id, agent_id="agt-1", disputed_by="op-1", reason="no"
    )
    deps = _deps(database_url)
    await _apply_committed(pool, deps, _event("pact-registry", f"acceptance-{pact.acceptance_id}", pact, 0))
    stream = f"report-{task.task_id}"

    await _at_once(pool, deps, _event("pact-registry", stream, dispute, 10), _event("pact-registry", stream, task, 10))

    fast = await pool.fetchval(
        "SELECT r ->> 'outcome' FROM verdicts, jsonb_array_elements(payload::jsonb -> 'clause_results') AS r "
        "WHERE task_id = $1 AND r ->> 'clause_id' = 'fast'",
        task.task_id,
    )
    assert fast == "INCONCLUSIVE"


async def _apply_committed(pool: asyncpg.Pool, deps, event: Envelope) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await _apply(conn, deps, event)

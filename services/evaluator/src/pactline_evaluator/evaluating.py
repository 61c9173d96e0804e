"""Running decide() against the store, inside the caller's transaction: load, decide, emit.

Every event is emitted as caused by the event that decided it (the task, or the jury's
answer), with that event's time and an id derived from it, whichever handler happens to do the
work. So the output does not depend on how partitions interleave, and a replay of the log
into an empty schema gives byte-identical events (docs/evaluation.md, "Replay").
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg

from pactline_events import (
    EventPayload,
    JuryDeliberated,
    JuryRequested,
    PactAccepted,
    TaskCompleted,
    VerdictIssued,
    canonical_json,
    derived_event_id,
)
from pactline_messaging import outbox

from . import metrics
from .domain import Evaluation, JuryAnswer, Policy, RubricOutcome, decide, dispute_applies
from .provenance import Dispute
from .store import queries

log = logging.getLogger(__name__)
PACTS_KEPT = 256
"""Parsed acceptances kept in memory (the most recently used)."""


@dataclass(frozen=True, slots=True)
class Cause:
    """The event an emitted event is caused by: its id, time and correlation."""

    event_id: UUID
    occurred_at: datetime
    correlation_id: UUID


def stream_of(task_id: str) -> str:
    return f"evaluation-{task_id}"


def payload_text(payload: EventPayload) -> str:
    return canonical_json(payload.model_dump(mode="json")).decode()


async def emit(conn: asyncpg.Connection, producer: str, cause: Cause, payload: EventPayload, index: int) -> None:
    stream = stream_of(payload.task_id)  # type: ignore[attr-defined]
    await outbox.emit(
        conn,
        producer,
        stream,
        payload,
        occurred_at=cause.occurred_at,
        event_id=derived_event_id(cause.occurred_at, producer, cause.event_id, stream, index),
        correlation_id=cause.correlation_id,
        causation_id=cause.event_id,
    )


def jury_answer(row: asyncpg.Record) -> JuryAnswer:
    deliberation = JuryDeliberated.model_validate_json(row["payload"])
    return JuryAnswer(
        answered_at=row["answered_at"],
        panel_version=deliberation.panel_version,
        results={r.clause_id: RubricOutcome(r.outcome, r.score) for r in deliberation.results},
    )


def answer_cause(row: asyncpg.Record) -> Cause:
    return Cause(row["event_id"], row["answered_at"], row["correlation_id"])


def task_cause(evaluation: asyncpg.Record) -> Cause:
    return Cause(evaluation["task_event_id"], evaluation["completed_at"], evaluation["task_correlation_id"])


@functools.lru_cache(maxsize=PACTS_KEPT)
def parsed_pact(text: str) -> PactAccepted:
    """The acceptance as stored, parsed once per distinct text rather than once per task (an
    acceptance's tasks all read the same row). Keyed by the whole text, so a cached model is
    always the one its text gives; PactAccepted is frozen, so sharing it is safe."""
    return PactAccepted.model_validate_json(text)


async def load_evaluation(
    conn: asyncpg.Connection, acceptance: asyncpg.Record, evaluation: asyncpg.Record
) -> Evaluation:
    dispute = await queries.get_dispute(conn, task_id=evaluation["task_id"])
    return Evaluation(
        parsed_pact(acceptance["pact"]),
        TaskCompleted.model_validate_json(evaluation["task"]),
        evaluation["completed_at"],
        Dispute(dispute["disputed_at"], dispute["disputed_by"]) if dispute else None,
    )


async def issue_verdict(
    conn: asyncpg.Connection,
    producer: str,
    verdict: VerdictIssued,
    cause: Cause,
    index: int,
    received_at: datetime,
    evaluation: Evaluation,
) -> None:
    inserted = await queries.insert_verdict(
        conn,
        task_id=verdict.task_id,
        verdict_id=verdict.verdict_id,
        acceptance_id=verdict.acceptance_id,
        outcome=verdict.outcome.value,
        event_id=derived_event_id(cause.occurred_at, producer, cause.event_id, stream_of(verdict.task_id), index),
        occurred_at=cause.occurred_at,
        payload=payload_text(verdict),
    )
    if inserted is None:  # the unique key on the task: never a second verdict
        log.info("task %s already has a verdict; nothing emitted", verdict.task_id)
        return
    await emit(conn, producer, cause, verdict, index)
    await queries.mark_decided(conn, task_id=verdict.task_id)
    if evaluation.dispute is not None:
        applied = dispute_applies(evaluation, cause.occurred_at)
        await queries.set_dispute_disposition(
            conn, task_id=verdict.task_id, disposition="applied" if applied else "after_verdict"
        )
    metrics.VERDICTS.labels(verdict.outcome.value).inc()
    for result in verdict.clause_results:
        metrics.CLAUSE_RESULTS.labels(result.kind, result.outcome.value).inc()
    elapsed = (datetime.now(received_at.tzinfo) - received_at).total_seconds()
    metrics.EVALUATION_SECONDS.observe(max(0.0, elapsed))


async def start(
    conn: asyncpg.Connection, producer: str, policy: Policy, acceptance: asyncpg.Record, row: asyncpg.Record
) -> None:
    """First decision on a task whose acceptance is known: verdict, or jury request (and, if the
    jury's answer is already here, as in a replay, the verdict it gives)."""
    evaluation = await load_evaluation(conn, acceptance, row)
    cause = task_cause(row)
    events = decide(evaluation, None, evaluation.completed_at, policy)
    if isinstance(events[0], VerdictIssued):
        await issue_verdict(conn, producer, events[0], cause, 0, row["received_at"], evaluation)
        return
    request = events[0]
    assert isinstance(request, JuryRequested)
    await emit(conn, producer, cause, request, 0)
    await queries.await_jury(conn, task_id=row["task_id"], deadline=evaluation.deadline(policy))
    answered = await queries.pending_answer(conn, task_id=row["task_id"])
    if answered is not None:
        await answer(conn, producer, policy, acceptance, row, answered)


async def answer(
    conn: asyncpg.Connection,
    producer: str,
    policy: Policy,
    acceptance: asyncpg.Record,
    row: asyncpg.Record,
    answered: asyncpg.Record,
) -> None:
    """The jury answered a task awaiting it: the verdict, or nothing if the answer is late."""
    evaluation = await load_evaluation(conn, acceptance, row)
    events = decide(evaluation, jury_answer(answered), answered["answered_at"], policy)
    if not events:
        metrics.LATE_ANSWERS.inc()
        await queries.set_answer_disposition(conn, event_id=answered["event_id"], disposition="late")
        log.info("jury answer %s for task %s came after the deadline", answered["event_id"], row["task_id"])
        return
    await queries.set_answer_disposition(conn, event_id=answered["event_id"], disposition="used")
    verdict = events[0]
    assert isinstance(verdict, VerdictIssued)
    await issue_verdict(conn, producer, verdict, answer_cause(answered), 0, row["received_at"], evaluation)


async def time_out(
    conn: asyncpg.Connection, producer: str, policy: Policy, acceptance: asyncpg.Record, row: asyncpg.Record
) -> None:
    """No answer by the deadline: the verdict, dated at the deadline, caused by the task."""
    evaluation = await load_evaluation(conn, acceptance, row)
    deadline = evaluation.deadline(policy)
    events = decide(evaluation, None, deadline, policy)
    verdict = events[0]
    assert isinstance(verdict, VerdictIssued)
    cause = Cause(row["task_event_id"], deadline, row["task_correlation_id"])
    await issue_verdict(conn, producer, verdict, cause, 1, row["received_at"], evaluation)

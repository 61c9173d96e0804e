"""Running decide() against the store, inside the caller's transaction: load, decide, emit.

Tasks are started a run at a time (every TaskCompleted of a poll, or every task parked for an
acceptance): a few set-based statements for the whole run, decide() for each task, and one
outbox append for everything the run emits. The result is the same as starting them one by
one, in order (each task's rows and stream are its own).

Every event is emitted as caused by the event that decided it (the task, or the jury's
answer), with that event's time and an id derived from it, whichever handler happens to do the
work. So the output does not depend on how partitions interleave, and a replay of the log
into an empty schema gives byte-identical events (docs/evaluation.md, "Replay").
"""

from __future__ import annotations

import functools
import logging
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

import asyncpg

from pactline_events import (
    Envelope,
    EventPayload,
    JuryDeliberated,
    JuryRequested,
    PactAccepted,
    PendingEvent,
    TaskCompleted,
    VerdictIssued,
    canonical_json,
    derived_event_id,
)
from pactline_messaging import outbox

from . import metrics
from .domain import Evaluation, JuryAnswer, Policy, RubricOutcome, decide, dispute_applies
from .provenance import Dispute
from .store import all_rows, queries

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


def pending_event(producer: str, cause: Cause, payload: EventPayload, index: int) -> PendingEvent:
    """``payload`` as the ``index``-th event caused by ``cause`` on its task's evaluation stream."""
    stream = stream_of(payload.task_id)  # type: ignore[attr-defined]
    return PendingEvent(
        event_id=derived_event_id(cause.occurred_at, producer, cause.event_id, stream, index),
        occurred_at=cause.occurred_at,
        stream_id=stream,
        correlation_id=cause.correlation_id,
        causation_id=cause.event_id,
        payload=payload,
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


def dispute_of(row: asyncpg.Record | None) -> Dispute | None:
    return Dispute(row["disputed_at"], row["disputed_by"]) if row else None


def evaluation_of(acceptance: asyncpg.Record, evaluation: asyncpg.Record, dispute: asyncpg.Record | None) -> Evaluation:
    """A stored task's evaluation, its task parsed from the stored text."""
    return Evaluation(
        parsed_pact(acceptance["pact"]),
        TaskCompleted.model_validate_json(evaluation["task"]),
        evaluation["completed_at"],
        dispute_of(dispute),
    )


def event_evaluation(acceptance: asyncpg.Record, event: Envelope, dispute: asyncpg.Record | None) -> Evaluation:
    """A task's evaluation from its TaskCompleted in hand (the payload its stored text parses
    back to, and the event's time, which is the stored ``completed_at``)."""
    return Evaluation(parsed_pact(acceptance["pact"]), event.payload, event.occurred_at, dispute_of(dispute))


async def disputes_of(conn: asyncpg.Connection, task_ids: list[str]) -> dict[str, asyncpg.Record]:
    return {r["task_id"]: r for r in await all_rows(queries.get_disputes(conn, task_ids=task_ids))}


async def load_evaluation(
    conn: asyncpg.Connection, acceptance: asyncpg.Record, evaluation: asyncpg.Record
) -> Evaluation:
    disputes = await disputes_of(conn, [evaluation["task_id"]])
    return evaluation_of(acceptance, evaluation, disputes.get(evaluation["task_id"]))


@dataclass(frozen=True, slots=True)
class Decided:
    """A verdict to issue: what decided it (cause, position among its events) and its task."""

    verdict: VerdictIssued
    cause: Cause
    index: int
    received_at: datetime
    evaluation: Evaluation


async def issue_verdicts(
    conn: asyncpg.Connection, producer: str, decided: list[Decided], *, rows_decided: bool = False
) -> None:
    """Record and emit each verdict whose task has none yet (the unique key on the task: never a
    second verdict, whatever is redelivered), and mark its evaluation row decided unless
    ``rows_decided`` (the rows were written so, with the decision)."""
    if not decided:
        return
    pendings = [pending_event(producer, d.cause, d.verdict, d.index) for d in decided]
    # Stored and sent: each payload turned into canonical JSON once.
    texts = [canonical_json(d.verdict.model_dump(mode="json")) for d in decided]
    inserted = {
        r["task_id"]
        for r in await all_rows(
            queries.insert_verdicts(
                conn,
                task_ids=[d.verdict.task_id for d in decided],
                verdict_ids=[d.verdict.verdict_id for d in decided],
                acceptance_ids=[d.verdict.acceptance_id for d in decided],
                outcomes=[d.verdict.outcome.value for d in decided],
                event_ids=[p.event_id for p in pendings],
                occurred_ats=[d.cause.occurred_at for d in decided],
                payloads=[text.decode() for text in texts],
            )
        )
    }
    fresh = [(d, p, text) for d, p, text in zip(decided, pendings, texts, strict=True) if d.verdict.task_id in inserted]
    for d in decided:
        if d.verdict.task_id not in inserted:
            log.info("task %s already has a verdict; nothing emitted", d.verdict.task_id)
    if not fresh:
        return
    await outbox.append_many(
        conn, [p for _, p, _ in fresh], producer=producer, payload_json=[text for _, _, text in fresh]
    )
    if not rows_decided:
        await queries.mark_decided(conn, task_ids=[d.verdict.task_id for d, _, _ in fresh])
    now = datetime.now(UTC)
    verdicts: Counter[str] = Counter()
    results: Counter[tuple[str, str]] = Counter()
    for d, _, _ in fresh:
        if d.evaluation.dispute is not None:
            applied = dispute_applies(d.evaluation, d.cause.occurred_at)
            await queries.set_dispute_disposition(
                conn, task_id=d.verdict.task_id, disposition="applied" if applied else "after_verdict"
            )
        verdicts[d.verdict.outcome.value] += 1
        results.update((r.kind, r.outcome.value) for r in d.verdict.clause_results)
        metrics.EVALUATION_SECONDS.observe(max(0.0, (now - d.received_at).total_seconds()))
    for outcome, count in verdicts.items():  # one labelled increment per outcome, not per verdict
        metrics.VERDICTS.labels(outcome).inc(count)
    for (kind, outcome), count in results.items():
        metrics.CLAUSE_RESULTS.labels(kind, outcome).inc(count)


@dataclass(frozen=True, slots=True)
class Opening:
    """A task's first decision: its verdict, or its jury request and the deadline of the answer."""

    evaluation: Evaluation
    event: VerdictIssued | JuryRequested
    deadline: datetime | None

    @property
    def status(self) -> str:
        """The evaluation row's status once this decision is recorded."""
        return "decided" if self.deadline is None else "awaiting_jury"


def opening(evaluation: Evaluation, policy: Policy) -> Opening:
    first = decide(evaluation, None, evaluation.completed_at, policy)[0]
    if isinstance(first, VerdictIssued):
        return Opening(evaluation, first, None)
    assert isinstance(first, JuryRequested)
    return Opening(evaluation, first, evaluation.deadline(policy))


async def start(
    conn: asyncpg.Connection,
    producer: str,
    policy: Policy,
    started: list[tuple[asyncpg.Record, asyncpg.Record]],
) -> None:
    """First decision on each stored task (acceptance row, evaluation row) whose acceptance has
    just become known (a parked task): each row takes its decision's status and deadline, and
    the decisions are emitted (``emit_openings``)."""
    if not started:
        return
    disputes = await disputes_of(conn, [row["task_id"] for _, row in started])
    opened = [
        (acceptance, row, opening(evaluation_of(acceptance, row, disputes.get(row["task_id"])), policy))
        for acceptance, row in started
    ]
    await queries.set_openings(
        conn,
        task_ids=[row["task_id"] for _, row, _ in opened],
        statuses=[o.status for _, _, o in opened],
        deadlines=[o.deadline for _, _, o in opened],
    )
    await emit_openings(conn, producer, policy, opened)


async def emit_openings(
    conn: asyncpg.Connection,
    producer: str,
    policy: Policy,
    opened: list[tuple[asyncpg.Record, asyncpg.Record, Opening]],
) -> None:
    """Emit each task's first decision (acceptance row, evaluation row, opening), its row
    already holding the status and deadline the opening gives: the verdict, or the jury request
    (and, if the jury's answer is already here, as in a replay, the verdict that gives)."""
    requests = [(acceptance, row, o) for acceptance, row, o in opened if o.deadline is not None]
    if requests:
        await outbox.append_many(
            conn, [pending_event(producer, task_cause(row), o.event, 0) for _, row, o in requests], producer=producer
        )
    verdicts = [
        Decided(o.event, task_cause(row), 0, row["received_at"], o.evaluation)
        for _, row, o in opened
        if isinstance(o.event, VerdictIssued)
    ]
    await issue_verdicts(conn, producer, verdicts, rows_decided=True)
    if requests:
        answers = {
            a["task_id"]: a
            for a in await all_rows(queries.pending_answers(conn, task_ids=[row["task_id"] for _, row, _ in requests]))
        }
        for acceptance, row, _ in requests:
            if row["task_id"] in answers:
                await answer(conn, producer, policy, acceptance, row, answers[row["task_id"]])


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
    await issue_verdicts(conn, producer, [Decided(verdict, answer_cause(answered), 0, row["received_at"], evaluation)])


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
    await issue_verdicts(conn, producer, [Decided(verdict, cause, 1, row["received_at"], evaluation)])

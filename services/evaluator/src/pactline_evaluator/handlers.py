"""Kafka handlers: each runs in one transaction with its inbox claim (libs/messaging).

TaskCompleted is handled a run at a time (every consecutive one of a poll together), so a
poll of tasks costs a few statements rather than a few per task.

Events of different streams meet here: a task (its own stream, maybe another partition) and
its acceptance, a jury answer or a dispute and its task. Each handler that relates them first
takes the advisory locks of the acceptances involved (``lock_acceptances``), so transactions
applying related events at once (two instances, or two shares of a poll) take turns and the
later one sees what the earlier one committed; none can leave a task parked or awaiting with
what it waits for already stored."""

from __future__ import annotations

import logging
from collections.abc import Iterable

import asyncpg

from pactline_events import (
    AcceptanceRevoked,
    ApiKeyIssued,
    ApiKeyRevoked,
    Envelope,
    JuryDeliberated,
    PactAccepted,
    TaskCompleted,
    TaskDisputed,
)
from pactline_identities import known_keys
from pactline_messaging import EventHandlers, HandlerContext, RunContext, advisory_locks

from . import evaluating, metrics
from .store import all_rows, queries

log = logging.getLogger(__name__)
handlers = EventHandlers()
# API keys as HMACs, for the read API (pactline_identities, as the gateway folds them).
handlers.on(ApiKeyIssued)(known_keys.key_issued)
handlers.on(ApiKeyRevoked)(known_keys.key_revoked)


async def lock_acceptances(conn: asyncpg.Connection, acceptance_ids: Iterable[str]) -> None:
    """The acceptances' advisory locks (key ``pactline.evaluator/acceptance/<id>``), until commit."""
    await advisory_locks.lock_keys(conn, (f"pactline.evaluator/acceptance/{a}" for a in acceptance_ids))


def _policy(ctx: HandlerContext | RunContext):
    return ctx.deps.settings.policy()


@handlers.on(PactAccepted)
async def pact_accepted(ctx: HandlerContext, event: Envelope) -> None:
    pact: PactAccepted = event.payload
    await lock_acceptances(ctx.conn, [pact.acceptance_id])
    await queries.insert_acceptance(
        ctx.conn,
        acceptance_id=pact.acceptance_id,
        buyer_id=pact.buyer_id,
        operator_id=pact.operator_id,
        pact=evaluating.payload_text(pact),
        accepted_at=event.occurred_at,
    )
    acceptance = await queries.get_acceptance(ctx.conn, acceptance_id=pact.acceptance_id)
    # Tasks measured elsewhere (another stream, maybe another partition) may have come first.
    parked = await all_rows(queries.parked_for_acceptance(ctx.conn, acceptance_id=pact.acceptance_id))
    await evaluating.start(ctx.conn, ctx.producer, _policy(ctx), [(acceptance, row) for row in parked])


@handlers.on(AcceptanceRevoked)
async def acceptance_revoked(ctx: HandlerContext, event: Envelope) -> None:
    # Recorded only: the registry admits no task after revocation, so every TaskCompleted of
    # the acceptance was accepted before it and is evaluated (docs/evaluation.md).
    revoked: AcceptanceRevoked = event.payload
    await queries.revoke_acceptance(
        ctx.conn, acceptance_id=revoked.acceptance_id, revoked_at=event.occurred_at, revoked_by=revoked.revoked_by
    )


@handlers.on_run(TaskCompleted)
async def tasks_completed(ctx: RunContext, events: list[Envelope]) -> None:
    """Each task is decided, then stored with that decision's status (one write per task), and
    its first decision emitted; a task whose acceptance has not arrived is stored parked. A
    task received before (here or earlier in the run) is ignored."""
    first: dict[str, Envelope] = {}
    for event in events:
        task: TaskCompleted = event.payload
        if task.task_id in first:
            log.warning("task %s was already received (event %s ignored)", task.task_id, event.event_id)
            continue
        first[task.task_id] = event
    acceptance_ids = sorted({e.payload.acceptance_id for e in first.values()})
    await lock_acceptances(ctx.conn, acceptance_ids)
    acceptances = {
        r["acceptance_id"]: r for r in await all_rows(queries.get_acceptances(ctx.conn, acceptance_ids=acceptance_ids))
    }
    known = [task_id for task_id, e in first.items() if e.payload.acceptance_id in acceptances]
    disputes = await evaluating.disputes_of(ctx.conn, known) if known else {}
    policy = _policy(ctx)
    # Decided from the events in hand; the stored text parses back to the same task.
    openings = {
        task_id: evaluating.opening(
            evaluating.event_evaluation(
                acceptances[first[task_id].payload.acceptance_id], first[task_id], disputes.get(task_id)
            ),
            policy,
        )
        for task_id in known
    }
    events_in = list(first.values())
    inserted = {
        r["task_id"]: r
        for r in await all_rows(
            queries.insert_evaluations(
                ctx.conn,
                task_ids=list(first),
                acceptance_ids=[e.payload.acceptance_id for e in events_in],
                # The text is kept only for a task that is not decided yet (read to decide it).
                tasks=[
                    None if t in openings and openings[t].status == "decided" else evaluating.payload_text(e.payload)
                    for t, e in first.items()
                ],
                task_event_ids=[e.event_id for e in events_in],
                task_correlation_ids=[e.correlation_id for e in events_in],
                completed_ats=[e.occurred_at for e in events_in],
                statuses=[openings[t].status if t in openings else "parked" for t in first],
                deadlines=[openings[t].deadline if t in openings else None for t in first],
            )
        )
    }
    opened = []
    for task_id, event in first.items():
        row = inserted.get(task_id)
        acceptance_id = event.payload.acceptance_id
        if row is None:
            log.warning("task %s was already received (event %s ignored)", task_id, event.event_id)
        elif task_id not in openings:
            log.info("task %s parked until acceptance %s arrives", task_id, acceptance_id)
        else:
            opened.append((acceptances[acceptance_id], row, openings[task_id]))
    await evaluating.emit_openings(ctx.conn, ctx.producer, policy, opened)


@handlers.on(JuryDeliberated)
async def jury_deliberated(ctx: HandlerContext, event: Envelope) -> None:
    deliberation: JuryDeliberated = event.payload
    await lock_acceptances(ctx.conn, [deliberation.acceptance_id])
    await queries.insert_jury_answer(
        ctx.conn,
        event_id=event.event_id,
        task_id=deliberation.task_id,
        request_id=deliberation.request_id,
        correlation_id=event.correlation_id,
        answered_at=event.occurred_at,
        payload=evaluating.payload_text(deliberation),
        disposition="pending",
    )
    row = await queries.lock_evaluation(ctx.conn, task_id=deliberation.task_id)
    if row is None or row["status"] == "parked":
        return  # kept as pending: used when the task's evaluation starts (a replay may bring it first)
    if row["status"] == "decided":
        late = row["deadline"] is not None and event.occurred_at > row["deadline"]
        if late:
            metrics.LATE_ANSWERS.inc()
        await queries.set_answer_disposition(
            ctx.conn, event_id=event.event_id, disposition="late" if late else "ignored"
        )
        log.info("jury answer for task %s after its verdict: recorded, changes nothing", deliberation.task_id)
        return
    acceptance = await queries.get_acceptance(ctx.conn, acceptance_id=row["acceptance_id"])
    answered = await queries.pending_answer(ctx.conn, task_id=deliberation.task_id)
    await evaluating.answer(ctx.conn, ctx.producer, _policy(ctx), acceptance, row, answered)


@handlers.on(TaskDisputed)
async def task_disputed(ctx: HandlerContext, event: Envelope) -> None:
    """Recorded; counted by the verdict when it is dated no later than the verdict and received
    before it, otherwise the verdict stands (docs/evaluation.md, "Disputes")."""
    dispute: TaskDisputed = event.payload
    await lock_acceptances(ctx.conn, [dispute.acceptance_id])
    row = await queries.lock_evaluation(ctx.conn, task_id=dispute.task_id)
    decided = row is not None and row["status"] == "decided"
    await queries.insert_dispute(
        ctx.conn,
        task_id=dispute.task_id,
        event_id=event.event_id,
        disputed_at=event.occurred_at,
        disputed_by=dispute.disputed_by,
        disposition="after_verdict" if decided else "pending",
    )
    if decided:
        log.info("dispute of task %s after its verdict: recorded, the verdict stands", dispute.task_id)

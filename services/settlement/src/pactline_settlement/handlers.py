"""Kafka handlers: each records intended work in one transaction (with its inbox claim).

Nothing here talks to the chain: the signer (worker.py) decides and sends later, outside any
handler. A handler may emit chain facts that were waiting for the link it records (a job
confirmed on chain before the task that names it arrived), through facts.publish_*.
"""

from __future__ import annotations

import logging

from pactline_events import Envelope, PactAccepted, TaskCompleted, VerdictIssued
from pactline_messaging import EventHandlers, HandlerContext

from . import facts
from .escrow_calls import id32
from .store import all_rows, queries

log = logging.getLogger(__name__)
handlers = EventHandlers()


def _digest(text: str | None) -> bytes | None:
    """Evidence and output digests as bytes (v1 verdicts: 64 hex; v2: 0x + 64 hex)."""
    return None if text is None else bytes.fromhex(text.removeprefix("0x"))


@handlers.on(PactAccepted)
async def pact_accepted(ctx: HandlerContext, event: Envelope) -> None:
    pact: PactAccepted = event.payload
    key = id32(pact.acceptance_id)
    await queries.intake.insert_acceptance(
        ctx.conn,
        acceptance_id=pact.acceptance_id,
        mode=str(pact.escrow.mode),
        agent_id=pact.agent_id,
        buyer_id=pact.buyer_id,
        buyer_address=pact.buyer_address.lower(),
        provider_address=pact.provider_address.lower(),
        price=pact.escrow.price_per_task,
        dispute_window_s=pact.document.dispute_window_seconds,
        acceptance_key=key,
        accepted_at=event.occurred_at,
    )
    # A pool the buyer opened before this event reached us: its facts were waiting for it.
    chain = ctx.deps.resources.get("chain_identity")
    if chain is not None:
        for pool in await all_rows(queries.chain.pools_for_key(ctx.conn, acceptance_key=key)):
            await facts.publish_pool(
                ctx.conn, ctx.producer, chain.chain_id, chain.aggregate, chain.token, pool["pool_id"]
            )


async def _link_job(ctx: HandlerContext, task_id: str, job_id: str) -> None:
    job = int(job_id)
    linked = await queries.intake.link_job(ctx.conn, job_id=job, task_id=task_id)
    if linked is None:
        owner = await queries.intake.job_link(ctx.conn, job_id=job)
        if owner is not None and owner["task_id"] != task_id:
            log.warning("task %s names job %s, which already escrows task %s", task_id, job, owner["task_id"])
            await queries.intake.close_task(
                ctx.conn, task_id=task_id, detail=f"job {job} already escrows task {owner['task_id']}"
            )
            return
    await queries.intake.set_task_job(ctx.conn, task_id=task_id, job_id=job)
    chain = ctx.deps.resources.get("chain_identity")
    if chain is not None:
        await facts.publish_job(ctx.conn, ctx.producer, chain.chain_id, chain.commerce, job)


@handlers.on(TaskCompleted)
async def task_completed(ctx: HandlerContext, event: Envelope) -> None:
    task: TaskCompleted = event.payload
    await queries.intake.task_seen(ctx.conn, task_id=task.task_id, acceptance_id=task.acceptance_id)
    await queries.intake.lock_task(ctx.conn, task_id=task.task_id)
    await queries.intake.set_output_digest(ctx.conn, task_id=task.task_id, output_digest=_digest(task.output_digest))
    if task.escrow_job_id is not None:
        await _link_job(ctx, task.task_id, task.escrow_job_id)


@handlers.on(VerdictIssued)
async def verdict_issued(ctx: HandlerContext, event: Envelope) -> None:
    verdict: VerdictIssued = event.payload
    await queries.intake.task_seen(ctx.conn, task_id=verdict.task_id, acceptance_id=verdict.acceptance_id)
    await queries.intake.lock_task(ctx.conn, task_id=verdict.task_id)
    recorded = await queries.intake.record_verdict(
        ctx.conn,
        task_id=verdict.task_id,
        outcome=str(verdict.outcome),
        evidence_digest=_digest(verdict.evidence_digest),
        verdict_id=verdict.verdict_id,
        verdict_at=event.occurred_at,
        correlation_id=event.correlation_id,
        output_digest=_digest(getattr(verdict, "output_digest", None)),
    )
    if recorded is None:
        # The evaluator issues one verdict per task; a second one never moves money twice.
        log.warning("task %s already has a verdict; verdict %s ignored", verdict.task_id, verdict.verdict_id)
        return
    if verdict.escrow_job_id is not None and await queries.intake.task_link(ctx.conn, task_id=verdict.task_id) is None:
        await _link_job(ctx, verdict.task_id, verdict.escrow_job_id)

"""The ledger projection: ledger.py's pure fold, run by the shared ProjectionRunner, and the rows
derived from each changed state (per acceptance, job and pool; agents and buyers are views).

A rebuild drops the rows, states and offsets and replays the log from offset 0.
"""

from __future__ import annotations

import json
from typing import Any

import asyncpg

from pactline_events import Envelope, EscrowSettled
from pactline_events.topics import ACCEPTANCES, ESCROW, VERDICTS
from pactline_messaging import Change, ProjectionContext

from . import ledger
from .ledger import Ledger
from .store import queries


class LedgerProjection:
    name = "settlement-ledger"
    topics = (ACCEPTANCES, VERDICTS, ESCROW)

    def key(self, event: Envelope) -> str | None:
        return ledger.ledger_key(event)

    def evolve(self, state: Ledger | None, event: Envelope) -> Ledger:
        return ledger.evolve(state, event)

    def dump(self, state: Ledger) -> dict[str, Any]:
        return ledger.dump(state)

    def load(self, data: dict[str, Any]) -> Ledger:
        return ledger.load(data)

    async def write(self, ctx: ProjectionContext, changes: list[Change[Ledger]]) -> None:
        for change in changes:
            await write_rows(ctx.conn, change.after, change.before)
            for event in change.events:
                if isinstance(event.payload, EscrowSettled) and event.payload.cause == "batch":
                    await write_batch(ctx.conn, event.payload)

    async def reset(self, conn: asyncpg.Connection) -> None:
        await queries.ledger.reset_rows(conn)


async def write_rows(conn: asyncpg.Connection, state: Ledger, before: Ledger | None = None) -> None:
    figures = state.figures()
    terms = state.terms
    await queries.ledger.upsert_acceptance_row(
        conn,
        acceptance_id=state.acceptance_id,
        mode=state.mode,
        agent_id=terms.agent_id if terms else None,
        buyer_id=terms.buyer_id if terms else None,
        escrowed=figures.escrowed,
        released=figures.released,
        refunded=figures.refunded,
        held=figures.held,
        remaining=figures.remaining,
        violations=json.dumps(state.violations()),
    )
    if state.mode == ledger.PER_TASK:
        unchanged = set(before.jobs()) if before is not None and before.mode == ledger.PER_TASK else set()
        for job in state.jobs():
            if job in unchanged:
                continue
            await queries.ledger.insert_job_row(
                conn,
                job_id=int(job.job_id),
                contract=job.contract,
                acceptance_id=state.acceptance_id,
                task_id=job.task_id,
                status=job.status,
                escrowed=job.figures.escrowed,
                released=job.figures.released,
                refunded=job.figures.refunded,
                held=job.figures.held,
                remaining=job.figures.remaining,
            )
    pool_id = state.pool_id()
    if pool_id is not None:
        await queries.ledger.upsert_pool_row(
            conn,
            pool_id=bytes.fromhex(pool_id[2:]),
            acceptance_id=state.acceptance_id,
            contract=state.pool_contract(),
            batches=len(state.batches()),
            escrowed=figures.escrowed,
            released=figures.released,
            refunded=figures.refunded,
            held=figures.held,
            remaining=figures.remaining,
        )


async def write_batch(conn: asyncpg.Connection, settled: EscrowSettled) -> None:
    if settled.pool_id is None or settled.batch_seq is None or settled.verdict_root is None or not settled.leaves:
        return
    pool_id = bytes.fromhex(settled.pool_id[2:])
    await queries.ledger.insert_batch_row(
        conn,
        pool_id=pool_id,
        batch_seq=settled.batch_seq,
        acceptance_id=settled.acceptance_id,
        verdict_root=bytes.fromhex(settled.verdict_root[2:]),
        tx_hash=bytes.fromhex(settled.tx_hash[2:]),
        chain_id=settled.chain_id,
        leaves=json.dumps([leaf.model_dump(mode="json") for leaf in settled.leaves]),
    )
    for task_id in settled.task_ids:
        await queries.ledger.insert_batch_task(conn, task_id=task_id, pool_id=pool_id, batch_seq=settled.batch_seq)

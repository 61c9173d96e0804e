"""Thin data access for the gateway; the SQL is in sql/gateway.sql (aiosql)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import aiosql
import asyncpg

from pactline_identities.known_keys import known_key_of

from .domain import KnownAcceptance, KnownKey, TaskFrame

queries = aiosql.from_path(Path(__file__).parent / "sql", "asyncpg")


@dataclass(frozen=True)
class CallContext:
    key: KnownKey | None
    acceptance: KnownAcceptance | None
    base_url: str | None
    previous_task_id: str | None
    job_task_id: str | None


async def call_context(
    conn: asyncpg.Connection | asyncpg.Pool,
    key_id: str | None,
    acceptance_id: str,
    idempotency_key: str | None,
    escrow_job_id: str | None,
) -> CallContext:
    row = await queries.call_context(
        conn,
        key_id=key_id,
        acceptance_id=acceptance_id,
        idempotency_key=idempotency_key,
        escrow_job_id=escrow_job_id,
    )
    key = known_key_of(row) if row["key_id"] is not None else None
    acceptance = None
    if row["acceptance_id"] is not None:
        acceptance = KnownAcceptance(
            acceptance_id=row["acceptance_id"],
            pact_id=row["pact_id"],
            agent_id=row["agent_id"],
            buyer_id=row["buyer_id"],
            mode=row["mode"],
            price_per_task=row["price_per_task"],
            pool_size=row["pool_size"],
            max_tasks=row["max_tasks"],
            expires_at=row["expires_at"],
            revoked=row["acceptance_revoked"],
            tasks_used=row["tasks_used"],
        )
    return CallContext(key, acceptance, row["base_url"], row["previous_task_id"], row["job_task_id"])


async def reserve_task(conn: asyncpg.Connection, frame: TaskFrame, started_at: datetime) -> bool:
    """False when a concurrent call took the acceptance's last task; raises
    asyncpg.UniqueViolationError when one took the idempotency key or the escrow job."""
    return bool(
        await queries.reserve_task(
            conn,
            task_id=frame.task_id,
            acceptance_id=frame.acceptance_id,
            pact_id=frame.pact_id,
            agent_id=frame.agent_id,
            idempotency_key=frame.idempotency_key,
            escrow_job_id=frame.escrow_job_id,
            price_per_task=frame.price_per_task,
            input=frame.input,
            reference=frame.reference,
            started_at=started_at,
        )
    )


async def mark_recorded(conn: asyncpg.Connection, task_id: str, recorded_at: datetime) -> bool:
    return bool(await queries.mark_recorded(conn, task_id=task_id, recorded_at=recorded_at))


async def lost_calls(
    conn: asyncpg.Connection, started_before: datetime, max_rows: int
) -> list[tuple[TaskFrame, datetime]]:
    rows = [r async for r in queries.lost_calls(conn, started_before=started_before, max_rows=max_rows)]
    return [
        (
            TaskFrame(
                task_id=r["task_id"],
                acceptance_id=r["acceptance_id"],
                pact_id=r["pact_id"],
                agent_id=r["agent_id"],
                idempotency_key=r["idempotency_key"],
                escrow_job_id=r["escrow_job_id"],
                price_per_task=r["price_per_task"],
                input=r["input"],
                reference=r["reference"],
            ),
            r["started_at"],
        )
        for r in rows
    ]

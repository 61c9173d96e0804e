"""Thin data access for the gateway; the SQL is in sql/gateway.sql (aiosql)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import aiosql
import asyncpg

from .domain import KnownAcceptance, KnownKey

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
    key = None
    if row["key_id"] is not None:
        key = KnownKey(
            key_id=row["key_id"],
            principal_id=row["principal_id"],
            role=row["role"],
            scopes=frozenset(row["scopes"]),
            key_hmac=row["key_hmac"],
            revoked=row["revoked"],
        )
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


async def insert_task(
    conn: asyncpg.Connection,
    task_id: str,
    acceptance_id: str,
    idempotency_key: str,
    escrow_job_id: str | None,
    recorded_at: datetime,
) -> None:
    await queries.insert_task(
        conn,
        task_id=task_id,
        acceptance_id=acceptance_id,
        idempotency_key=idempotency_key,
        escrow_job_id=escrow_job_id,
        recorded_at=recorded_at,
    )
    await queries.count_gateway_task(conn, acceptance_id=acceptance_id)

"""Thin data access for the registry: the SQL is in sql/*.sql (aiosql, one query per name);
these functions only turn domain values into query parameters and rows into domain values."""

from __future__ import annotations

from pathlib import Path

import aiosql
import asyncpg

from pactline_events import PactAccepted, TaskCompleted
from pactline_events.canonical import canonical_json
from pactline_pacts import PactDocument

from .domain import Acceptance, Agent, DisputableTask, EvidenceTerms, PactVersion, StoredTask

queries = aiosql.from_path(Path(__file__).parent / "sql", "asyncpg")

Connection = asyncpg.Connection | asyncpg.Pool


async def insert_agent(conn: Connection, agent: Agent, now) -> asyncpg.Record:
    return await queries.insert_agent(
        conn,
        agent_id=agent.agent_id,
        name=agent.name,
        operator_id=agent.operator_id,
        operator_address=agent.operator_address,
        model_family=agent.model_family.value,
        registered_at=now,
    )


async def version_hashes(conn: Connection, pact_id: str) -> dict[int, str]:
    return {r["version"]: r["pact_hash"] async for r in queries.version_hashes(conn, pact_id=pact_id)}


async def insert_version(conn: Connection, pact_id: str, document: PactDocument, digest: str, now) -> None:
    await queries.insert_version(
        conn,
        pact_id=pact_id,
        version=document.version,
        pact_hash=digest,
        document=canonical_json(document.normalized()),
        published_at=now,
    )


async def pact_version(conn: Connection, pact_id: str, version: int) -> PactVersion | None:
    row = await queries.get_version(conn, pact_id=pact_id, version=version)
    return PactVersion.from_row(row) if row else None


async def insert_acceptance(conn: Connection, event: PactAccepted) -> asyncpg.Record:
    escrow = event.escrow
    return await queries.insert_acceptance(
        conn,
        acceptance_id=event.acceptance_id,
        pact_id=event.pact_id,
        pact_version=event.pact_version,
        pact_hash=event.pact_hash,
        agent_id=event.agent_id,
        operator_id=event.operator_id,
        provider_address=event.provider_address,
        buyer_id=event.buyer_id,
        buyer_address=event.buyer_address,
        mode=escrow.mode.value,
        price_per_task=escrow.price_per_task,
        pool_size=escrow.pool_size,
        max_tasks=escrow.max_tasks,
        accepted_at=event.accepted_at,
        expires_at=event.expires_at,
    )


async def acceptance(conn: Connection, acceptance_id: str, *, lock: bool = False) -> Acceptance | None:
    query = queries.lock_acceptance if lock else queries.get_acceptance
    row = await query(conn, acceptance_id=acceptance_id)
    return Acceptance.from_row(row) if row else None


async def evidence_terms(conn: Connection, acceptance: Acceptance) -> EvidenceTerms:
    row = await queries.evidence_terms(conn, pact_id=acceptance.pact_id, pact_version=acceptance.pact_version)
    return EvidenceTerms.from_row(row, acceptance.provider_address)


async def task_by_key(conn: Connection, acceptance_id: str, key: str) -> StoredTask | None:
    row = await queries.task_by_key(conn, acceptance_id=acceptance_id, idempotency_key=key)
    return StoredTask.from_row(row) if row else None


async def insert_task(conn: Connection, event: TaskCompleted, request_digest: str, now) -> bool:
    """False when the task's escrow job already pays for another task (the unique index decided)."""
    inserted = await queries.insert_task(
        conn,
        task_id=event.task_id,
        acceptance_id=event.acceptance_id,
        idempotency_key=event.idempotency_key,
        request_digest=request_digest,
        escrow_job_id=event.escrow_job_id,
        payload=canonical_json(event.model_dump(mode="json")),
        submitted_at=now,
        provenance=event.provenance.value,
    )
    if inserted is None:
        return False
    await queries.count_task(conn, acceptance_id=event.acceptance_id)
    return True


async def disputable_task(conn: Connection, task_id: str) -> DisputableTask | None:
    row = await queries.disputable_task(conn, task_id=task_id)
    return DisputableTask.from_row(row) if row else None

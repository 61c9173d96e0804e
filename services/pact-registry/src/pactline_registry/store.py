"""Thin data access for the registry: one function per query, each taking the connection."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import asyncpg

from pactline_events import PactAccepted, Provenance, TaskCompleted
from pactline_events.canonical import canonical_json
from pactline_events.types import EscrowMode, ModelFamily
from pactline_pacts import PactDocument

from .domain import Acceptance, Agent, DisputableTask, EvidenceTerms, PactVersion, Role, StoredTask

# Principals and keys ------------------------------------------------------------------------


async def insert_principal(
    conn: asyncpg.Connection, principal_id: str, role: Role, name: str, address: str | None, now: datetime
) -> asyncpg.Record:
    return await conn.fetchrow(
        "INSERT INTO principals (principal_id, role, name, address, created_at) VALUES ($1, $2, $3, $4, $5) "
        "RETURNING *",
        principal_id,
        role.value,
        name,
        address,
        now,
    )


async def get_principal(conn: asyncpg.Connection, principal_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM principals WHERE principal_id = $1", principal_id)


async def insert_key(
    conn: asyncpg.Connection,
    key_id: str,
    principal_id: str,
    key_hash: str,
    scopes: list[str],
    label: str,
    now: datetime,
) -> asyncpg.Record:
    return await conn.fetchrow(
        "INSERT INTO api_keys (key_id, principal_id, key_hash, scopes, label, created_at) "
        "VALUES ($1, $2, $3, $4, $5, $6) RETURNING key_id, principal_id, scopes, label, created_at, revoked_at",
        key_id,
        principal_id,
        key_hash,
        scopes,
        label,
        now,
    )


async def key_with_principal(conn: asyncpg.Connection, key_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT k.key_id, k.key_hash, k.scopes, k.revoked_at, p.principal_id, p.role, p.address "
        "FROM api_keys k JOIN principals p USING (principal_id) WHERE k.key_id = $1",
        key_id,
    )


async def get_key(conn: asyncpg.Connection, key_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT key_id, principal_id, scopes, label, created_at, revoked_at FROM api_keys WHERE key_id = $1 FOR UPDATE",
        key_id,
    )


async def revoke_key(conn: asyncpg.Connection, key_id: str, now: datetime) -> asyncpg.Record:
    return await conn.fetchrow(
        "UPDATE api_keys SET revoked_at = coalesce(revoked_at, $2) WHERE key_id = $1 "
        "RETURNING key_id, principal_id, scopes, label, created_at, revoked_at",
        key_id,
        now,
    )


# Agents and pacts -------------------------------------------------------------------------


def agent_of(row: asyncpg.Record) -> Agent:
    return Agent(
        agent_id=row["agent_id"],
        name=row["name"],
        operator_id=row["operator_id"],
        operator_address=row["operator_address"],
        model_family=ModelFamily(row["model_family"]),
    )


async def insert_agent(conn: asyncpg.Connection, agent: Agent, now: datetime) -> asyncpg.Record:
    return await conn.fetchrow(
        "INSERT INTO agents (agent_id, name, operator_id, operator_address, model_family, registered_at) "
        "VALUES ($1, $2, $3, $4, $5, $6) RETURNING *",
        agent.agent_id,
        agent.name,
        agent.operator_id,
        agent.operator_address,
        agent.model_family.value,
        now,
    )


async def get_agent(conn: asyncpg.Connection, agent_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM agents WHERE agent_id = $1", agent_id)


async def get_endpoint(conn: asyncpg.Connection, agent_id: str, *, lock: bool = False) -> asyncpg.Record | None:
    query = "SELECT agent_id, base_url, registered_at FROM agent_endpoints WHERE agent_id = $1"
    return await conn.fetchrow(query + " FOR UPDATE" if lock else query, agent_id)


async def upsert_endpoint(conn: asyncpg.Connection, agent_id: str, base_url: str, now: datetime) -> asyncpg.Record:
    return await conn.fetchrow(
        "INSERT INTO agent_endpoints (agent_id, base_url, registered_at) VALUES ($1, $2, $3) "
        "ON CONFLICT (agent_id) DO UPDATE SET base_url = excluded.base_url, registered_at = excluded.registered_at "
        "RETURNING agent_id, base_url, registered_at",
        agent_id,
        base_url,
        now,
    )


async def lock_pact_by_name(conn: asyncpg.Connection, agent_id: str, name: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM pacts WHERE agent_id = $1 AND name = $2 FOR UPDATE", agent_id, name)


async def insert_pact(
    conn: asyncpg.Connection, pact_id: str, agent: Agent, name: str, now: datetime
) -> asyncpg.Record | None:
    """None when a concurrent request created the same pact first (the caller retries the lookup)."""
    return await conn.fetchrow(
        "INSERT INTO pacts (pact_id, agent_id, operator_id, name, created_at) VALUES ($1, $2, $3, $4, $5) "
        "ON CONFLICT (agent_id, name) DO NOTHING RETURNING *",
        pact_id,
        agent.agent_id,
        agent.operator_id,
        name,
        now,
    )


async def version_hashes(conn: asyncpg.Connection, pact_id: str) -> dict[int, str]:
    rows = await conn.fetch("SELECT version, pact_hash FROM pact_versions WHERE pact_id = $1", pact_id)
    return {r["version"]: r["pact_hash"] for r in rows}


async def insert_version(
    conn: asyncpg.Connection, pact_id: str, document: PactDocument, digest: str, now: datetime
) -> None:
    await conn.execute(
        "INSERT INTO pact_versions (pact_id, version, pact_hash, document, published_at) VALUES ($1, $2, $3, $4, $5)",
        pact_id,
        document.version,
        digest,
        canonical_json(document.normalized()),
        now,
    )


async def get_pact(conn: asyncpg.Connection, pact_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(_PACT_SELECT + " WHERE p.pact_id = $1 GROUP BY p.pact_id", pact_id)


_PACT_SELECT = (
    "SELECT p.*, max(v.version) AS latest_version, array_agg(v.version ORDER BY v.version) AS versions "
    "FROM pacts p JOIN pact_versions v USING (pact_id)"
)


async def get_version(conn: asyncpg.Connection, pact_id: str, version: int) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT v.*, p.agent_id, p.operator_id, p.name FROM pact_versions v JOIN pacts p USING (pact_id) "
        "WHERE v.pact_id = $1 AND v.version = $2",
        pact_id,
        version,
    )


def pact_version_of(row: asyncpg.Record) -> PactVersion:
    return PactVersion(
        pact_id=row["pact_id"],
        version=row["version"],
        agent_id=row["agent_id"],
        operator_id=row["operator_id"],
        pact_hash=row["pact_hash"],
        document=PactDocument.model_validate(json.loads(bytes(row["document"]))),
    )


# Acceptances and tasks --------------------------------------------------------------------


async def insert_acceptance(conn: asyncpg.Connection, event: PactAccepted) -> asyncpg.Record:
    escrow = event.escrow
    return await conn.fetchrow(
        "INSERT INTO acceptances (acceptance_id, pact_id, pact_version, pact_hash, agent_id, operator_id, buyer_id, "
        "buyer_address, mode, price_per_task, pool_size, max_tasks, accepted_at, expires_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING *",
        event.acceptance_id,
        event.pact_id,
        event.pact_version,
        event.pact_hash,
        event.agent_id,
        event.operator_id,
        event.buyer_id,
        event.buyer_address,
        escrow.mode.value,
        escrow.price_per_task,
        escrow.pool_size,
        escrow.max_tasks,
        event.accepted_at,
        event.expires_at,
    )


async def get_acceptance(conn: asyncpg.Connection, acceptance_id: str, *, lock: bool = False) -> asyncpg.Record | None:
    query = "SELECT * FROM acceptances WHERE acceptance_id = $1"
    return await conn.fetchrow(query + " FOR UPDATE" if lock else query, acceptance_id)


def acceptance_of(row: asyncpg.Record) -> Acceptance:
    return Acceptance(
        acceptance_id=row["acceptance_id"],
        pact_id=row["pact_id"],
        agent_id=row["agent_id"],
        operator_id=row["operator_id"],
        buyer_id=row["buyer_id"],
        mode=EscrowMode(row["mode"]),
        price_per_task=row["price_per_task"],
        pool_size=row["pool_size"],
        max_tasks=row["max_tasks"],
        expires_at=row["expires_at"],
        revoked=row["revoked_at"] is not None,
        tasks_count=row["tasks_count"],
    )


async def revoke_acceptance(
    conn: asyncpg.Connection, acceptance_id: str, by: str, reason: str, now: datetime
) -> asyncpg.Record:
    return await conn.fetchrow(
        "UPDATE acceptances SET revoked_at = $2, revoked_by = $3, revoke_reason = $4 WHERE acceptance_id = $1 "
        "RETURNING *",
        acceptance_id,
        now,
        by,
        reason,
    )


def _document_data(row: asyncpg.Record) -> dict[str, Any]:
    # Validated when published; reading two fields needs no second validation.
    return json.loads(bytes(row["document"]))


async def evidence_terms(conn: asyncpg.Connection, acceptance: Acceptance, pact_version: int) -> EvidenceTerms:
    row = await conn.fetchrow(
        "SELECT v.document, ag.operator_address FROM pact_versions v JOIN agents ag ON ag.agent_id = $3 "
        "WHERE v.pact_id = $1 AND v.version = $2",
        acceptance.pact_id,
        pact_version,
        acceptance.agent_id,
    )
    evidence = _document_data(row).get("evidence") or {}
    return EvidenceTerms(measured_by=evidence.get("measured_by"), provider_address=row["operator_address"])


async def disputable_task(conn: asyncpg.Connection, task_id: str) -> DisputableTask | None:
    """The task with what a dispute needs; its row stays locked until the transaction ends."""
    row = await conn.fetchrow(
        "SELECT t.task_id, t.acceptance_id, t.provenance, t.submitted_at, a.agent_id, a.operator_id, v.document, "
        "d.task_id IS NOT NULL AS disputed FROM tasks t JOIN acceptances a USING (acceptance_id) "
        "JOIN pact_versions v ON v.pact_id = a.pact_id AND v.version = a.pact_version "
        "LEFT JOIN task_disputes d ON d.task_id = t.task_id WHERE t.task_id = $1 FOR UPDATE OF t",
        task_id,
    )
    if row is None:
        return None
    return DisputableTask(
        task_id=row["task_id"],
        acceptance_id=row["acceptance_id"],
        agent_id=row["agent_id"],
        operator_id=row["operator_id"],
        provenance=Provenance(row["provenance"]),
        submitted_at=row["submitted_at"],
        dispute_window_seconds=_document_data(row)["dispute_window_seconds"],
        disputed=row["disputed"],
    )


async def insert_dispute(conn: asyncpg.Connection, task_id: str, by: str, reason: str, now: datetime) -> None:
    await conn.execute(
        "INSERT INTO task_disputes (task_id, disputed_by, reason, disputed_at) VALUES ($1, $2, $3, $4)",
        task_id,
        by,
        reason,
        now,
    )


async def task_by_key(conn: asyncpg.Connection, acceptance_id: str, key: str) -> StoredTask | None:
    row = await conn.fetchrow(
        "SELECT task_id, request_digest FROM tasks WHERE acceptance_id = $1 AND idempotency_key = $2",
        acceptance_id,
        key,
    )
    return StoredTask(row["task_id"], row["request_digest"]) if row else None


async def job_in_use(conn: asyncpg.Connection, escrow_job_id: str) -> bool:
    return bool(await conn.fetchval("SELECT 1 FROM tasks WHERE escrow_job_id = $1", escrow_job_id))


async def insert_task(conn: asyncpg.Connection, event: TaskCompleted, request_digest: str, now: datetime) -> None:
    await conn.execute(
        "INSERT INTO tasks (task_id, acceptance_id, idempotency_key, request_digest, escrow_job_id, payload, "
        "submitted_at, provenance) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        event.task_id,
        event.acceptance_id,
        event.idempotency_key,
        request_digest,
        event.escrow_job_id,
        canonical_json(event.model_dump(mode="json")),
        now,
        event.provenance.value,
    )
    await conn.execute(
        "UPDATE acceptances SET tasks_count = tasks_count + 1 WHERE acceptance_id = $1", event.acceptance_id
    )


async def get_task(conn: asyncpg.Connection, task_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT t.*, a.buyer_id, a.operator_id, d.disputed_by, d.reason AS dispute_reason, d.disputed_at "
        "FROM tasks t JOIN acceptances a USING (acceptance_id) LEFT JOIN task_disputes d USING (task_id) "
        "WHERE t.task_id = $1",
        task_id,
    )


# Pages ------------------------------------------------------------------------------------


async def page(
    conn: asyncpg.Connection, table: str, filters: dict[str, Any], after: int, limit: int
) -> list[asyncpg.Record]:
    """Rows of ``table`` after cursor ``after`` in creation order; ``filters`` are column = value."""
    base = {
        "agents": "SELECT * FROM agents",
        "pacts": _PACT_SELECT,
        "acceptances": "SELECT * FROM acceptances",
        "tasks": "SELECT * FROM tasks",
        "principals": "SELECT * FROM principals",
    }[table]
    alias = "p." if table == "pacts" else ""
    clauses, args = [f"{alias}seq > $1"], [after]
    for column, value in filters.items():
        if value is not None:
            args.append(value)
            clauses.append(f"{alias}{column} = ${len(args)}")
    args.append(limit)
    group = " GROUP BY p.pact_id" if table == "pacts" else ""
    query = f"{base} WHERE {' AND '.join(clauses)}{group} ORDER BY {alias}seq LIMIT ${len(args)}"
    return await conn.fetch(query, *args)

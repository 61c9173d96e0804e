"""Thin data access for the jury; the SQL lives in sql/*.sql (aiosql)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import aiosql
import asyncpg

from pactline_events import Envelope, JuryDeliberated, JuryRequested
from pactline_events.canonical import canonical_json

from .aggregation import decimal_text
from .deliberation import Deliberation

queries = aiosql.from_path(Path(__file__).parent / "sql", "asyncpg", mandatory_parameters=False)
NOTIFY_CHANNEL = "pactline_jury_requests"  # wakes the worker at commit; polling covers a missed one


async def record_request(conn: asyncpg.Connection, event: Envelope, *, received_at: datetime) -> bool:
    """True when the request is new; a redelivered request changes nothing."""
    payload: JuryRequested = event.payload  # type: ignore[assignment]
    inserted = await queries.record_request(
        conn,
        request_id=payload.request_id,
        task_id=payload.task_id,
        event_id=event.event_id,
        correlation_id=event.correlation_id,
        payload=canonical_json(payload.model_dump(mode="json")),
        received_at=received_at,
    )
    return inserted is not None


async def claim_pending(conn: asyncpg.Connection, *, batch: int, lease_s: int) -> list[asyncpg.Record]:
    return [r async for r in queries.claim_pending(conn, batch=batch, lease_s=float(lease_s))]


async def lock_request(conn: asyncpg.Connection, request_id: str) -> asyncpg.Record | None:
    return await queries.lock_request(conn, request_id=request_id)


async def release_after_error(conn: asyncpg.Connection, request_id: str, error: str) -> None:
    await queries.release_after_error(conn, request_id=request_id, error=error[:2000])


async def count_pending(conn: asyncpg.Connection) -> int:
    return await queries.count_pending(conn)


async def store_deliberation(
    conn: asyncpg.Connection,
    event: JuryDeliberated,
    deliberation: Deliberation | None,
    *,
    event_id: UUID,
    decided_at: datetime,
) -> None:
    """The deliberation, its clause results and every judgment, in the caller's transaction."""
    await queries.insert_deliberation(
        conn,
        request_id=event.request_id,
        event_id=event_id,
        panel_version=event.panel_version,
        fence_token=event.fence_token,
        canary=event.canary,
        payload=canonical_json(event.model_dump(mode="json")),
        flagged=bool(event.injection_findings),
        simulated=event.simulated,
        cost_micro_usd=event.cost,
        wall_ms=deliberation.wall_ms if deliberation else None,
        decided_at=decided_at,
    )
    await queries.insert_clause_results(
        conn,
        [
            {
                "request_id": event.request_id,
                "clause_id": r.clause_id,
                "outcome": r.outcome.value,
                "score": Decimal(r.score) if r.score is not None else None,
                "agreement": Decimal(r.agreement) if r.agreement is not None else None,
                "reason": r.reason.value if r.reason else None,
            }
            for r in event.results
        ],
    )
    if deliberation is None:
        return
    await queries.insert_judgments(
        conn,
        [
            {
                "request_id": event.request_id,
                "clause_id": r.clause_id,
                "judge_id": r.judge.judge_id,
                "model": r.judge.model,
                "family": r.judge.family.value,
                "prompt_hash": r.prompt_hash,
                "raw_reply": r.raw_reply.encode("utf-8") if r.raw_reply is not None else None,
                "reply_digest": r.to_event().reply_digest,
                "verdict": r.vote.verdict.value if r.vote else None,
                "score": decimal_text(r.vote.score) if r.vote else None,
                "valid": r.vote is not None,
                "flags": [f.value for f in r.flags],
                "latency_ms": r.latency_ms,
                "prompt_tokens": r.prompt_tokens,
                "completion_tokens": r.completion_tokens,
                "cost_micro_usd": r.cost,
                "simulated": r.simulated,
            }
            for r in deliberation.records
        ],
    )
    await queries.mark_decided(conn, request_id=event.request_id, decided_at=decided_at)


async def judgments_of(conn: asyncpg.Connection, request_id: str) -> list[asyncpg.Record]:
    return [r async for r in queries.get_judgments(conn, request_id=request_id)]


async def stats(conn: asyncpg.Connection) -> dict[str, Any]:
    row = await queries.jury_stats(conn)
    return {k: (decimal_text(v) if isinstance(v, Decimal) else v) for k, v in dict(row).items()}


async def benched_judges(conn: asyncpg.Connection, current_models: dict[str, str]) -> frozenset[str]:
    """Judges whose latest calibration of the model they run now benched them."""
    rows = [r async for r in queries.latest_calibrations(conn)]
    return frozenset(r["judge_id"] for r in rows if r["benched"] and current_models.get(r["judge_id"]) == r["model"])


async def latest_calibrations(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    return [r async for r in queries.latest_calibrations(conn)]


async def insert_calibration(conn: asyncpg.Connection, **row: Any) -> None:
    await queries.insert_calibration(conn, **row)

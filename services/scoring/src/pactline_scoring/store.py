"""Reading the scoring projection's rows back into the pure model, for the Trust Oracle.

Every read runs in one REPEATABLE READ transaction, so an answer and the log position it
reports (the projection's checkpoints) belong together.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import aiosql
import asyncpg

from pactline_messaging import checkpoints

from .evidence import AcceptanceFacts, Contribution, Evidence
from .formula import FormulaParams
from .ledger import TrustLedger
from .projection import agent_counters, agent_totals
from .scores import AgentScore, evaluate

oracle = aiosql.from_path(Path(__file__).parent / "sql" / "oracle.sql", "asyncpg")

PROJECTION = "trust-scores"


@dataclass(frozen=True)
class LogPosition:
    log_time: datetime | None
    offsets: dict[str, int]  # "topic:partition" -> next offset folded

    def to_json(self) -> dict[str, Any]:
        return {"log_time": self.log_time.isoformat() if self.log_time else None, "offsets": self.offsets}


@asynccontextmanager
async def reading(pool: asyncpg.Pool) -> AsyncIterator[asyncpg.Connection]:
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        yield conn


async def position(conn: asyncpg.Connection) -> LogPosition:
    offsets = await checkpoints.load(conn, PROJECTION)
    log_time = await oracle.log_time(conn)
    return LogPosition(log_time, {f"{t}:{p}": o for (t, p), o in sorted(offsets.items())})


async def agent_ids(conn: asyncpg.Connection) -> list[str]:
    return [r["agent_id"] async for r in oracle.agent_ids(conn)]


def _evidence(row: asyncpg.Record) -> Evidence:
    return Evidence(
        event_id=str(row["event_id"]),
        kind=row["kind"],
        acceptance_id=row["acceptance_id"],
        agent_id=row["agent_id"],
        occurred_at=row["occurred_at"],
        contributions=tuple(Contribution(d, p, f, b) for d, p, f, b in json.loads(row["contributions"])),
    )


async def _ledger_from_evidence(
    conn: asyncpg.Connection, agent_id: str, as_of: datetime, params: FormulaParams
) -> TrustLedger:
    """The agent's ledger rebuilt from its evidence rows up to ``as_of`` (the slow, exact path)."""
    ledger = TrustLedger(params)
    async for r in oracle.acceptances_of(conn, agent_id=agent_id):
        ledger.accept(AcceptanceFacts(r["acceptance_id"], r["agent_id"], r["buyer_id"], r["self_dealt"]))
    async for row in oracle.evidence_until(conn, agent_id=agent_id, as_of=as_of):
        ledger.add_evidence(_evidence(row))
    return ledger


async def scores_at(
    conn: asyncpg.Connection, agents: list[str], as_of: datetime, params: FormulaParams
) -> list[AgentScore]:
    """Scores of ``agents`` at ``as_of``; agents without evidence up to then are left out."""
    counters = await agent_counters(conn, agents)
    totals = await agent_totals(conn, agents)
    out = []
    for agent in agents:
        if agent not in counters:
            continue
        counted, last_event_at = counters[agent]
        if last_event_at <= as_of:
            out.append(evaluate(agent, totals.get(agent, {}), counted, as_of, params))
            continue
        ledger = await _ledger_from_evidence(conn, agent, as_of, params)
        if agent in ledger.agents:
            out.append(ledger.score(agent, as_of))
    return out


async def history(conn: asyncpg.Connection, agent_id: str, params: FormulaParams, limit: int) -> list[AgentScore]:
    """The agent's score right after each of its last ``limit`` pieces of evidence."""
    ledger = TrustLedger(params)
    async for r in oracle.acceptances_of(conn, agent_id=agent_id):
        ledger.accept(AcceptanceFacts(r["acceptance_id"], r["agent_id"], r["buyer_id"], r["self_dealt"]))
    rows = [r async for r in oracle.all_evidence(conn, agent_id=agent_id)]
    points: list[AgentScore] = []
    for i, row in enumerate(rows):
        ledger.add_evidence(_evidence(row))
        last = i + 1 == len(rows) or rows[i + 1]["occurred_at"] != row["occurred_at"]
        if last and agent_id in ledger.agents:
            points.append(ledger.score(agent_id, row["occurred_at"]))
    return points[-limit:]


async def evidence_rows(conn: asyncpg.Connection, agent_id: str, limit: int, before: datetime | None) -> list[dict]:
    rows = [r async for r in oracle.evidence_page(conn, agent_id=agent_id, before=before, page_size=limit)]
    return [
        {
            "event_id": str(r["event_id"]),
            "kind": r["kind"],
            "acceptance_id": r["acceptance_id"],
            "buyer_id": r["buyer_id"],
            "self_dealt": r["self_dealt"],
            "occurred_at": r["occurred_at"],
            **json.loads(r["refs"]),
        }
        for r in rows
    ]

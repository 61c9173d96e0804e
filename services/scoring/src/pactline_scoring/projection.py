"""The scoring projection: a pure fold per acceptance, and the rows derived from it.

Every event scoring reads carries an acceptance id, so the fold is keyed by acceptance: its
state holds who stands behind it (once PactAccepted is read) and the raw evidence of its
verdicts and settlements, whatever order they arrive in. ``write`` turns the change of each
acceptance into changes of the agent's cells and totals (the same arithmetic as
``TrustLedger``), stores evidence rows for the Trust Oracle, and announces changed scores.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import aiosql
import asyncpg
import orjson

from pactline_events import Envelope, EscrowSettled, PactAccepted, TopicSpec, VerdictIssued
from pactline_events.topics import ACCEPTANCES, ESCROW, VERDICTS
from pactline_events.types import format_timestamp
from pactline_messaging import Change, ProjectionContext

from .announcing import announcement
from .evidence import AcceptanceFacts, Evidence, acceptance_facts, settlement_evidence, verdict_evidence
from .formula import ECONOMIC, FormulaParams, growth, period_of, seconds_since_epoch
from .scores import Counters, Totals, evaluate

queries = aiosql.from_path(Path(__file__).parent / "sql" / "projection.sql", "asyncpg")

SETTLEMENT_AGENT = ""  # settlements carry no agent id: they count for the acceptance's agent
Sums = dict[tuple[str, str, int], tuple[int, int, int]]  # (verdict's agent, dimension, period)


@dataclass(frozen=True)
class AcceptanceState:
    facts: AcceptanceFacts | None = None
    sums: Sums = field(default_factory=dict)
    # per verdict agent ("" for settlements): verdicts, settlements, released, refunded
    counts: dict[str, tuple[int, int, int, int]] = field(default_factory=dict)
    last_event_at: dict[str, datetime] = field(default_factory=dict)


def evidence_of(event: Envelope, params: FormulaParams) -> Evidence | None:
    payload = event.payload
    if isinstance(payload, VerdictIssued):
        return verdict_evidence(str(event.event_id), event.occurred_at, payload, params)
    if isinstance(payload, EscrowSettled):
        return settlement_evidence(str(event.event_id), event.occurred_at, payload)
    return None


def fold_acceptance(
    state: AcceptanceState | None, event: Envelope, params: FormulaParams, evidence: Evidence | None = None
) -> AcceptanceState:
    """Pure: the acceptance's state after ``event`` (``evidence``: its evidence, if already computed)."""
    state = state or AcceptanceState()
    if isinstance(event.payload, PactAccepted):
        return state if state.facts is not None else dataclasses.replace(state, facts=acceptance_facts(event.payload))
    evidence = evidence or evidence_of(event, params)
    seconds = seconds_since_epoch(event.occurred_at)
    if evidence is None or seconds < 0:
        return state
    owner = evidence.agent_id if evidence.agent_id is not None else SETTLEMENT_AGENT
    g = growth(seconds, params.half_life_s)
    period = period_of(seconds, params.half_life_s)
    sums = dict(state.sums)
    for c in evidence.contributions:
        p, f, b = sums.get((owner, c.dimension, period), (0, 0, 0))
        sums[(owner, c.dimension, period)] = (p + c.passed * g, f + c.failed * g, b + c.burned * g)
    verdicts, settlements, released, refunded = state.counts.get(owner, (0, 0, 0, 0))
    if evidence.kind == "verdict":
        verdicts += 1
    else:
        settlements += 1
        released += sum(c.passed for c in evidence.contributions if c.dimension == ECONOMIC)
        refunded += sum(c.failed for c in evidence.contributions if c.dimension == ECONOMIC)
    last = state.last_event_at.get(owner)
    return AcceptanceState(
        facts=state.facts,
        sums=sums,
        counts={**state.counts, owner: (verdicts, settlements, released, refunded)},
        last_event_at={**state.last_event_at, owner: max(last, event.occurred_at) if last else event.occurred_at},
    )


def applied(state: AcceptanceState | None) -> tuple[Sums, tuple[int, int, int, int, int], datetime | None]:
    """What an acceptance adds to its agent: cell sums (by dimension, period, with agent ''),
    counters (verdicts, self-dealt verdicts, settlements, released, refunded) and last time."""
    if state is None or state.facts is None:
        return {}, (0, 0, 0, 0, 0), None
    owners = (state.facts.agent_id, SETTLEMENT_AGENT)
    counts = [state.counts.get(o, (0, 0, 0, 0)) for o in owners]
    times = [state.last_event_at[o] for o in owners if o in state.last_event_at]
    last = max(times) if times else None
    verdicts = counts[0][0]
    if state.facts.self_dealt:
        return {}, (0, verdicts, 0, 0, 0), last
    sums: Sums = {}
    for (owner, dim, period), (p, f, b) in state.sums.items():
        if owner in owners:
            op, of, ob = sums.get(("", dim, period), (0, 0, 0))
            sums[("", dim, period)] = (op + p, of + f, ob + b)
    settled = counts[1]
    return sums, (verdicts, 0, counts[0][1] + settled[1], settled[2], settled[3]), last


@dataclass
class ScoringProjection:
    """The Projection protocol of pactline_messaging, for the scoring service."""

    params: FormulaParams
    topics: tuple[TopicSpec, ...] = (ACCEPTANCES, VERDICTS, ESCROW)
    announce: bool = True
    name: str = "trust-scores"
    # evolve's evidence, kept for write in the same poll (a cache: write recomputes on a miss)
    _evidence: dict[UUID, Evidence] = field(default_factory=dict, init=False, repr=False)

    def key(self, event: Envelope) -> str | None:
        payload = event.payload
        if isinstance(payload, PactAccepted | VerdictIssued | EscrowSettled):
            return payload.acceptance_id
        return None

    def evolve(self, state: AcceptanceState | None, event: Envelope) -> AcceptanceState:
        evidence = evidence_of(event, self.params)
        if evidence is not None:
            self._evidence[event.event_id] = evidence
        return fold_acceptance(state, event, self.params, evidence)

    def dump(self, state: AcceptanceState) -> dict[str, Any]:
        # Sums outgrow JSON's safe integers, and the state is stored every poll: one string per
        # table, '|' between fields, ';' between rows (identifiers never contain either).
        facts = state.facts
        return {
            "facts": [facts.acceptance_id, facts.agent_id, facts.buyer_id, facts.self_dealt] if facts else None,
            "sums": ";".join(f"{o}|{d}|{p}|{a}|{b}|{c}" for (o, d, p), (a, b, c) in sorted(state.sums.items())),
            "counts": ";".join("|".join(map(str, (o, *v))) for o, v in sorted(state.counts.items())),
            "last": ";".join(f"{o}|{format_timestamp(t)}" for o, t in sorted(state.last_event_at.items())),
        }

    def load(self, data: dict[str, Any]) -> AcceptanceState:
        sums: Sums = {}
        for row in filter(None, data["sums"].split(";")):
            o, d, p, a, b, c = row.split("|")
            sums[(o, d, int(p))] = (int(a), int(b), int(c))
        counts = {}
        for row in filter(None, data["counts"].split(";")):
            o, *values = row.split("|")
            counts[o] = tuple(int(v) for v in values)
        last = {}
        for row in filter(None, data["last"].split(";")):
            o, t = row.split("|")
            last[o] = datetime.fromisoformat(t)
        return AcceptanceState(
            facts=AcceptanceFacts(*data["facts"]) if data["facts"] else None,
            sums=sums,
            counts=counts,  # type: ignore[arg-type]
            last_event_at=last,
        )

    async def reset(self, conn: asyncpg.Connection) -> None:
        await queries.reset_rows(conn)

    async def write(self, ctx: ProjectionContext, changes: list[Change[AcceptanceState]]) -> None:
        conn = ctx.conn
        await _store_acceptances(conn, changes)
        await _store_evidence(conn, changes, self.params, self._evidence)
        self._evidence.clear()
        touched = await _apply_to_agents(conn, changes, self.params)
        events = [e for c in changes for e in c.events]
        if events:
            await queries.advance_log_clock(conn, log_time=max(e.occurred_at for e in events))
        if self.announce and touched:
            await _announce(ctx, changes, touched, self.params)


async def _store_acceptances(conn: asyncpg.Connection, changes: list[Change[AcceptanceState]]) -> None:
    rows = [
        (c.after.facts.acceptance_id, c.after.facts.agent_id, c.after.facts.buyer_id, c.after.facts.self_dealt)
        for c in changes
        if c.after.facts is not None and (c.before is None or c.before.facts is None)
    ]
    if rows:
        ids, agents, buyers, self_dealt = _columns(rows, 4)
        await queries.add_acceptances(conn, acceptance_ids=ids, agents=agents, buyers=buyers, self_dealt=self_dealt)


def _refs(event: Envelope) -> dict[str, Any]:
    p = event.payload
    if isinstance(p, VerdictIssued):
        return {
            "verdict_id": p.verdict_id,
            "task_id": p.task_id,
            "outcome": str(p.outcome),
            "evidence_digest": p.evidence_digest,
            "price": p.price,
            "escrow_mode": str(p.escrow_mode),
        }
    assert isinstance(p, EscrowSettled)
    return {
        "tx_hash": p.tx_hash,
        "chain_id": p.chain_id,
        "batch_seq": p.batch_seq,
        "verdict_root": p.verdict_root,
        "task_ids": list(p.task_ids),
        "released": p.released,
        "refunded": p.refunded,
        "mode": str(p.mode),
    }


async def _store_evidence(
    conn: asyncpg.Connection,
    changes: list[Change[AcceptanceState]],
    params: FormulaParams,
    known: dict[UUID, Evidence],
) -> None:
    rows = []
    for change in changes:
        for event in change.events:
            evidence = known.get(event.event_id) or evidence_of(event, params)
            if evidence is None or seconds_since_epoch(event.occurred_at) < 0:
                continue
            rows.append(
                (
                    event.event_id,
                    evidence.kind,
                    evidence.acceptance_id,
                    evidence.agent_id,
                    event.occurred_at,
                    _json_text([[c.dimension, c.passed, c.failed, c.burned] for c in evidence.contributions]),
                    _json_text(_refs(event)),
                )
            )
    if rows:
        # COPY: the runner folds each stream position once, so an event never comes twice.
        await conn.copy_records_to_table("evidence", records=rows)


def _json_text(value: Any) -> str:
    """JSON text for a jsonb column, with orjson: a few times faster than json, on every event of
    a rebuild. Its integers stop at 64 bits; event integers stop at 2^53 (canonical JSON)."""
    return orjson.dumps(value).decode()


def _num(value: Decimal) -> int:
    return int(value)


async def _apply_to_agents(
    conn: asyncpg.Connection, changes: list[Change[AcceptanceState]], params: FormulaParams
) -> set[str]:
    cell_deltas: dict[tuple[str, str, str, int], list[int]] = {}
    counter_deltas: dict[str, list[int]] = {}
    last_times: dict[str, datetime] = {}
    buyers: set[tuple[str, str]] = set()
    for change in changes:
        facts = change.after.facts
        if facts is None:
            continue
        before_sums, before_counts, _ = applied(change.before)
        after_sums, after_counts, last = applied(change.after)
        for key in after_sums.keys() | before_sums.keys():
            a, b = after_sums.get(key, (0, 0, 0)), before_sums.get(key, (0, 0, 0))
            delta = [a[i] - b[i] for i in range(3)]
            if any(delta):
                slot = cell_deltas.setdefault((facts.agent_id, facts.buyer_id, key[1], key[2]), [0, 0, 0])
                for i in range(3):
                    slot[i] += delta[i]
        delta_counts = [a - b for a, b in zip(after_counts, before_counts, strict=True)]
        if any(delta_counts) or last is not None:
            slot = counter_deltas.setdefault(facts.agent_id, [0] * 5)
            for i in range(5):
                slot[i] += delta_counts[i]
            if last is not None:
                last_times[facts.agent_id] = max(last, last_times.get(facts.agent_id, last))
            if not facts.self_dealt and (after_counts[0] or after_counts[2]):
                buyers.add((facts.agent_id, facts.buyer_id))
    if cell_deltas:
        await _apply_cells(conn, cell_deltas, params)
    if counter_deltas:
        rows = [(agent, *d, last_times[agent]) for agent, d in counter_deltas.items() if agent in last_times]
        agents, verdicts, self_dealt, settlements, released, refunded, last_at = _columns(rows, 7, numeric=(4, 5))
        await queries.add_agent_counters(
            conn,
            agents=agents,
            verdicts=verdicts,
            self_dealt=self_dealt,
            settlements=settlements,
            released=released,
            refunded=refunded,
            last_event_at=last_at,
        )
    if buyers:
        agents, buyer_ids = _columns(sorted(buyers), 2)
        await queries.add_agent_buyers(conn, agents=agents, buyers=buyer_ids)
    return set(counter_deltas) | {k[0] for k in cell_deltas}


async def _apply_cells(
    conn: asyncpg.Connection, deltas: dict[tuple[str, str, str, int], list[int]], params: FormulaParams
) -> None:
    """Add raw deltas to the buyers' cells and the change of their capped values to the totals.

    One statement: Postgres does ``ledger.capped`` in exact numeric arithmetic (``div`` is
    integer division), so no cell travels to Python and back. The end-to-end tests compare the
    result with the pure ledger digit for digit.
    """
    agents, buyers, dimensions, periods, passed, failed, burned = _columns(
        [(*key, *delta) for key, delta in deltas.items()], 7, numeric=(4, 5, 6)
    )
    await queries.apply_cells(
        conn,
        agents=agents,
        buyers=buyers,
        dimensions=dimensions,
        periods=periods,
        passed=passed,
        failed=failed,
        burned=burned,
        buyer_cap=str(params.buyer_cap_micro),
        burn_cap=str(params.burn_cap_micro),
        half_life=str(params.half_life_s),
    )


def _columns(rows: list[tuple], width: int, numeric: tuple[int, ...] = ()) -> list[list]:
    """Rows to columns for an unnest() upsert; ``numeric`` columns travel as decimal text (big
    integers; text is cheaper to encode than Decimal and exact)."""
    columns: list[list] = [[] for _ in range(width)]
    for row in rows:
        for i, value in enumerate(row):
            columns[i].append(str(value) if i in numeric else value)
    return columns


async def agent_totals(conn: asyncpg.Connection, agent_ids: Iterable[str]) -> dict[str, dict[str, Totals]]:
    rows = [r async for r in queries.totals_of(conn, agents=list(agent_ids))]
    out: dict[str, dict[str, Totals]] = {}
    for r in rows:
        out.setdefault(r["agent_id"], {})[r["dimension"]] = Totals(
            _num(r["passed"]), _num(r["failed"]), _num(r["burned"])
        )
    return out


async def agent_counters(conn: asyncpg.Connection, agent_ids: Iterable[str]) -> dict[str, tuple[Counters, datetime]]:
    rows = [r async for r in queries.counters_of(conn, agents=list(agent_ids))]
    return {
        r["agent_id"]: (
            Counters(
                verdicts=r["verdicts"],
                self_dealt_verdicts=r["self_dealt_verdicts"],
                settlements=r["settlements"],
                buyers=r["buyers"],
                released=_num(r["released"]),
                refunded=_num(r["refunded"]),
            ),
            r["last_event_at"],
        )
        for r in rows
    }


async def _announce(
    ctx: ProjectionContext, changes: list[Change[AcceptanceState]], agents: set[str], params: FormulaParams
) -> None:
    conn = ctx.conn
    through = await queries.announced_through(conn)
    causes: dict[str, Envelope] = {}
    for change in changes:
        if change.after.facts is None or change.after.facts.agent_id not in agents:
            continue
        for event in change.events:
            if through is not None and event.occurred_at <= through:
                continue  # already announced before a rebuild: never twice
            agent = change.after.facts.agent_id
            best = causes.get(agent)
            if best is None or (event.occurred_at, str(event.event_id)) > (best.occurred_at, str(best.event_id)):
                causes[agent] = event
    if not causes:
        return
    totals = await agent_totals(conn, causes)
    counters = await agent_counters(conn, causes)
    last = {
        r["agent_id"]: (r["composite"], r["confidence"], r["tier"])
        async for r in queries.last_announced(conn, agents=list(causes))
    }
    for agent, cause in sorted(causes.items()):
        counted, last_at = counters.get(agent, (Counters(), cause.occurred_at))
        score = evaluate(agent, totals.get(agent, {}), counted, last_at, params)
        figures = (score.composite, score.confidence, score.tier)
        if last.get(agent) == figures:
            continue
        await ctx.emit(cause, f"trust-{agent}", announcement(score, params))
        composite, confidence, tier = figures
        await queries.record_announced(conn, agent_id=agent, composite=composite, confidence=confidence, tier=tier)
    await queries.advance_announcer(conn, through=max(e.occurred_at for e in causes.values()))

"""The Trust Oracle: public reads of trust scores (no key), rate limited per client, with
ETags and Cache-Control. Every answer says the log position it was computed from."""

from __future__ import annotations

import hashlib
import json
import time
from datetime import datetime
from typing import Annotated, Any, Literal

import asyncpg
from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.encoders import jsonable_encoder

from pactline_events.types import format_timestamp
from pactline_service.rate_limits import TokenBuckets

from .formula import FormulaParams
from .ledger import snapshot_digest, snapshot_document
from .settings import ScoringSettings
from .store import agent_ids, evidence_rows, history, oracle, position, reading, scores_at

router = APIRouter(prefix="/v1", tags=["trust-oracle"])
Tier = Literal["unrated", "provisional", "bronze", "silver", "gold", "platinum"]
Dimension = Literal[
    "accuracy", "safety", "reliability", "latency", "cost", "format_compliance", "security", "economic_commitment"
]


class RateLimited(HTTPException):
    def __init__(self, retry_after: float) -> None:
        seconds = max(1, int(retry_after + 0.999))
        super().__init__(429, f"rate limit exceeded; retry in {seconds}s", headers={"Retry-After": str(seconds)})


def _settings(request: Request) -> ScoringSettings:
    return request.app.state.service.settings


def _params(request: Request) -> FormulaParams:
    return _settings(request).formula()


def _limit(request: Request) -> None:
    state = request.app.state
    limiter = getattr(state, "trust_oracle_limiter", None)
    if limiter is None:
        settings = _settings(request)
        limiter = state.trust_oracle_limiter = TokenBuckets(settings.scoring_rate_per_s, settings.scoring_rate_burst)
    wait = limiter.take(request.client.host if request.client else "unknown", time.monotonic())
    if wait is not None:
        raise RateLimited(wait)


def _answer(request: Request, body: dict[str, Any], max_age: int) -> Response:
    """JSON with a strong ETag of its bytes; 304 when the client already holds them."""
    raw = json.dumps(jsonable_encoder(body), sort_keys=True, separators=(",", ":")).encode()
    etag = '"' + hashlib.sha256(raw).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Cache-Control": f"public, max-age={max_age}"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(raw, media_type="application/json", headers=headers)


def _pool(request: Request) -> asyncpg.Pool:
    return request.app.state.service.pool


@router.get("/formula")
async def formula(request: Request) -> Response:
    """The formula's version and every parameter this oracle uses, with their digest."""
    _limit(request)
    params = _params(request)
    return _answer(request, {**params.published(), "params_digest": params.digest}, 3600)


@router.get("/status")
async def status(request: Request) -> Response:
    """The log position the oracle has folded: latest event time and offsets per partition."""
    _limit(request)
    async with reading(_pool(request)) as conn:
        pos = await position(conn)
        count = await oracle.agent_count(conn)
    return _answer(request, {"position": pos.to_json(), "agents": count}, 1)


def _as_of(given: datetime | None, log_time: datetime | None) -> datetime | None:
    if given is not None and given.tzinfo is None:
        raise HTTPException(422, "as_of must carry a UTC offset, e.g. 2026-03-01T12:00:00Z")
    return given or log_time


@router.get("/agents/{agent_id}/score")
async def agent_score(
    request: Request,
    agent_id: str,
    as_of: Annotated[
        datetime | None, Query(description="Event time to read the score at; default: the log time")
    ] = None,
) -> Response:
    """An agent's composite (0-1000), confidence, tier and dimensions, now or at a past as_of."""
    _limit(request)
    params = _params(request)
    async with reading(_pool(request)) as conn:
        pos = await position(conn)
        when = _as_of(as_of, pos.log_time)
        found = await scores_at(conn, [agent_id], when, params) if when else []
    if not found:
        raise HTTPException(
            404, f"no evidence for agent {agent_id!r} up to {format_timestamp(when) if when else 'now'}"
        )
    body = {**found[0].to_json(), "formula_version": params.published()["formula_version"], "position": pos.to_json()}
    return _answer(request, body, 5 if as_of is None else 60)


@router.get("/agents/{agent_id}/history")
async def agent_history(request: Request, agent_id: str, limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> Response:
    """The agent's score right after each time it received evidence (latest ``limit`` points)."""
    _limit(request)
    params = _params(request)
    async with reading(_pool(request)) as conn:
        pos = await position(conn)
        points = await history(conn, agent_id, params, limit)
    if not points:
        raise HTTPException(404, f"no evidence for agent {agent_id!r}")
    body = {
        "agent_id": agent_id,
        "points": [
            {"as_of": format_timestamp(p.as_of), "composite": p.composite, "confidence": p.confidence, "tier": p.tier}
            for p in points
        ],
        "position": pos.to_json(),
    }
    return _answer(request, body, 5)


@router.get("/agents/{agent_id}/evidence")
async def agent_evidence(
    request: Request,
    agent_id: str,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    before: Annotated[datetime | None, Query(description="Only evidence older than this (paging)")] = None,
) -> Response:
    """The verdicts (ids, evidence digests) and settlements (tx, batch roots) behind a score."""
    _limit(request)
    async with reading(_pool(request)) as conn:
        pos = await position(conn)
        rows = await evidence_rows(conn, agent_id, limit, before)
    return _answer(request, {"agent_id": agent_id, "evidence": rows, "position": pos.to_json()}, 5)


@router.get("/leaderboard")
async def leaderboard(
    request: Request,
    tier: Annotated[list[Tier] | None, Query(description="Only these tiers")] = None,
    dimension: Annotated[Dimension | None, Query(description="Rank by this dimension's lower bound")] = None,
    min_verdicts: Annotated[int, Query(ge=0)] = 0,
    min_buyers: Annotated[int, Query(ge=0)] = 0,
    min_confidence: Annotated[int, Query(ge=0, le=1000, description="Minimum evidence, as confidence")] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Response:
    """Agents ranked by composite (or one dimension), with filters, at the log time."""
    _limit(request)
    params = _params(request)
    async with reading(_pool(request)) as conn:
        pos = await position(conn)
        scores = await scores_at(conn, await agent_ids(conn), pos.log_time, params) if pos.log_time else []
    chosen = [
        s
        for s in scores
        if (not tier or s.tier in tier)
        and s.counters.verdicts >= min_verdicts
        and s.counters.buyers >= min_buyers
        and s.confidence >= min_confidence
    ]
    chosen.sort(
        key=lambda s: (-(s.dimensions[dimension].lower_bound if dimension else s.composite), -s.composite, s.agent_id)
    )
    body = {
        "ranked_by": dimension or "composite",
        "agents": [s.to_json() for s in chosen[:limit]],
        "position": pos.to_json(),
    }
    return _answer(request, body, 5)


@router.get("/snapshot")
async def snapshot(
    request: Request,
    as_of: Annotated[datetime | None, Query(description="Default: the log time")] = None,
) -> Response:
    """Every agent's score at as_of, and the SHA-256 of its canonical JSON (what an audit compares)."""
    _limit(request)
    params = _params(request)
    async with reading(_pool(request)) as conn:
        pos = await position(conn)
        when = _as_of(as_of, pos.log_time)
        scores = await scores_at(conn, await agent_ids(conn), when, params) if when else []
    if when is None:
        raise HTTPException(404, "no events folded yet")
    document = snapshot_document(params, when, scores)
    return _answer(request, {"digest": snapshot_digest(document), "snapshot": document, "position": pos.to_json()}, 5)

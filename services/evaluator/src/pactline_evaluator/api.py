"""The read API: a task's verdict with its clause results, for its buyer and the agent's operator."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from .auth import Authenticator, Forbidden, Unauthenticated, may_read
from .store import queries

router = APIRouter(prefix="/v1", tags=["verdicts"])
AUTHENTICATOR = "authenticator"  # the service resource: auth.RegistryKeys, set up at start


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, "fields": []}}, status_code=status)


def _authenticator(request: Request) -> Authenticator:
    return request.app.state.service.resources[AUTHENTICATOR]


@router.get("/verdicts/{task_id}", response_model=None)
async def get_verdict(task_id: str, request: Request) -> Any:
    """The verdict of TASK_ID, as the VerdictIssued payload (every clause result, the
    evidence digest, versions). 404 when the task has no verdict yet or is not yours."""
    scheme, _, presented = request.headers.get("authorization", "").partition(" ")
    try:
        principal = await _authenticator(request).authenticate(
            presented.strip() if scheme.lower() == "bearer" else None
        )
    except Unauthenticated as refused:
        return _error(401, refused.code, refused.message)
    except Forbidden as refused:
        return _error(403, refused.code, refused.message)
    async with request.app.state.service.pool.acquire() as conn:
        row = await queries.get_verdict(conn, task_id=task_id)
        if row is None:
            parties = await queries.get_task_parties(conn, task_id=task_id)
    if row is None:
        # Same answer whether the task is unknown or someone else's: ids are not an oracle.
        if parties is not None and may_read(principal, parties["buyer_id"], parties["operator_id"]):
            return _error(404, "verdict_pending", f"task {task_id} has no verdict yet")
        return _error(404, "verdict_not_found", f"no verdict for task {task_id}")
    if not may_read(principal, row["buyer_id"], row["operator_id"]):
        return _error(404, "verdict_not_found", f"no verdict for task {task_id}")
    return {"verdict": json.loads(row["payload"]), "event_id": str(row["event_id"]), "issued_at": row["occurred_at"]}

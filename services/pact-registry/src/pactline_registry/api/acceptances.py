"""Acceptances (a buyer's escrow terms for a pact version) and the tasks submitted under them."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Path, Request, Response

from pactline_events import Countersignature, ToolCall, utc_now

from .. import domain, store
from ..domain import AlreadyDone, Caller, EscrowRequest, Role, TaskRequest
from ..errors import Conflict, Forbidden, NotFound
from .auth import authenticate, reader
from .edge import PageParams, emit, id_filter, new_id, pool
from .models import (
    ERROR_RESPONSES,
    AcceptanceCreate,
    AcceptanceOut,
    DisputeCreate,
    DisputeOut,
    EscrowOut,
    Page,
    RevokeRequest,
    TaskCreate,
    TaskOut,
)
from .route_class import RegistryRoute

router = APIRouter(prefix="/v1", tags=["acceptances and tasks"], route_class=RegistryRoute, responses=ERROR_RESPONSES)


def _ident() -> Any:
    """A fresh Path() per parameter: FastAPI keeps the parameter name on the instance."""
    return Path(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")


def _visible_filter(caller: Caller) -> dict[str, str | None]:
    """Buyers see their own acceptances, operators those of their agents, admins and auditors all."""
    if caller.role is Role.BUYER:
        return {"buyer_id": caller.principal_id}
    if caller.role is Role.OPERATOR:
        return {"operator_id": caller.principal_id}
    return {}


def _check_visible(caller: Caller, row) -> None:
    for column, value in _visible_filter(caller).items():
        if row[column] != value:
            raise Forbidden("not_party", f"acceptance {row['acceptance_id']!r} is not yours to see")


def _acceptance_out(row) -> AcceptanceOut:
    return AcceptanceOut(
        **{k: row[k] for k in AcceptanceOut.model_fields if k != "escrow"},
        escrow=EscrowOut(
            mode=row["mode"],
            price_per_task=row["price_per_task"],
            pool_size=row["pool_size"],
            max_tasks=row["max_tasks"],
        ),
    )


@router.post("/acceptances", status_code=201, response_model=AcceptanceOut, summary="Accept a pact version (buyer)")
async def accept(body: AcceptanceCreate, request: Request, caller: Caller = Depends(authenticate)) -> AcceptanceOut:
    domain.require_scope(caller, domain.Scope.ACCEPTANCES_WRITE)
    if caller.role is not Role.BUYER:
        raise Forbidden("role_not_allowed", "only buyers accept pacts")
    now = utc_now()
    async with pool(request).acquire() as conn, conn.transaction():
        version = body.pact_version
        if version is None:
            pact = await store.get_pact(conn, body.pact_id)
            version = pact["latest_version"] if pact else 1
        pact_row = await store.get_version(conn, body.pact_id, version)
        if pact_row is None:
            raise NotFound("pact_version", f"{body.pact_id}@{version}")
        pact = store.pact_version_of(pact_row)
        agent = store.agent_of(await store.get_agent(conn, pact.agent_id))
        terms = body.escrow
        event = domain.accept_pact(
            caller,
            agent,
            pact,
            EscrowRequest(terms.mode, terms.price_per_task, terms.pool_size, terms.max_tasks, terms.expires_in_seconds),
            new_id("acc"),
            now,
        )
        row = await store.insert_acceptance(conn, event)
        await emit(conn, f"acceptance-{event.acceptance_id}", event, now)
    return _acceptance_out(row)


@router.get("/acceptances", response_model=Page[AcceptanceOut], summary="List the acceptances you may see")
async def list_acceptances(
    request: Request,
    pact_id: str | None = id_filter("Only acceptances of this pact"),
    agent_id: str | None = id_filter("Only acceptances of this agent's pacts"),
    page: PageParams = Depends(),
    caller: Caller = Depends(reader),
) -> Page:
    filters = {"pact_id": pact_id, "agent_id": agent_id, **_visible_filter(caller)}
    async with pool(request).acquire() as conn:
        rows = await store.page(conn, "acceptances", filters, page.after, page.limit)
    return Page(items=[_acceptance_out(r) for r in rows], next_cursor=page.next_cursor(rows))


@router.get("/acceptances/{acceptance_id}", response_model=AcceptanceOut, summary="One acceptance")
async def get_acceptance(
    request: Request, acceptance_id: str = _ident(), caller: Caller = Depends(reader)
) -> AcceptanceOut:
    row = await store.get_acceptance(pool(request), acceptance_id)
    if row is None:
        raise NotFound("acceptance", acceptance_id)
    _check_visible(caller, row)
    return _acceptance_out(row)


@router.post(
    "/acceptances/{acceptance_id}/revoke",
    response_model=AcceptanceOut,
    summary="Revoke an acceptance (its buyer, the agent's operator, or an admin)",
)
async def revoke(
    body: RevokeRequest, request: Request, acceptance_id: str = _ident(), caller: Caller = Depends(authenticate)
) -> AcceptanceOut:
    now = utc_now()
    async with pool(request).acquire() as conn, conn.transaction():
        row = await store.get_acceptance(conn, acceptance_id, lock=True)
        if row is None:
            raise NotFound("acceptance", acceptance_id)
        event = domain.revoke_acceptance(caller, store.acceptance_of(row), body.reason)
        row = await store.revoke_acceptance(conn, acceptance_id, caller.principal_id, body.reason, now)
        await emit(conn, f"acceptance-{acceptance_id}", event, now)
    return _acceptance_out(row)


@router.post(
    "/acceptances/{acceptance_id}/tasks",
    status_code=201,
    response_model=TaskOut,
    summary="Submit a completed task (the acceptance's buyer)",
    description="201 for a new task; 200 with the same task when the idempotency key was already used with the "
    "same body; 409 when it was used with a different one.",
    responses={200: {"model": TaskOut, "description": "Replay of an already submitted task"}},
)
async def submit_task(
    body: TaskCreate,
    request: Request,
    response: Response,
    acceptance_id: str = _ident(),
    caller: Caller = Depends(authenticate),
) -> TaskOut:
    domain.require_scope(caller, domain.Scope.TASKS_WRITE)
    task = TaskRequest(
        idempotency_key=body.idempotency_key,
        input=body.input,
        output=body.output,
        tool_calls=tuple(ToolCall(name=c.name, arguments=c.arguments) for c in body.tool_calls),
        latency_ms=body.latency_ms,
        cost=body.cost,
        tokens=body.tokens,
        reference=body.reference,
        escrow_job_id=body.escrow_job_id,
        first_token_ms=body.first_token_ms,
        input_tokens=body.input_tokens,
        output_tokens=body.output_tokens,
        countersignature=(
            Countersignature(signer=body.countersignature.signer, signature=body.countersignature.signature)
            if body.countersignature
            else None
        ),
    )
    now = utc_now()
    async with pool(request).acquire() as conn, conn.transaction():
        # The row lock serializes tasks of one acceptance: counts and idempotency keys stay exact.
        row = await store.get_acceptance(conn, acceptance_id, lock=True)
        if row is None:
            raise NotFound("acceptance", acceptance_id)
        previous = await store.task_by_key(conn, acceptance_id, body.idempotency_key)
        acceptance = store.acceptance_of(row)
        evidence = await store.evidence_terms(conn, acceptance, row["pact_version"])
        decision = domain.submit_task(caller, acceptance, evidence, task, previous, new_id("tsk"), now)
        if isinstance(decision, AlreadyDone):
            response.status_code = 200
            task_id = decision.resource_id
        else:
            if decision.escrow_job_id is not None and await store.job_in_use(conn, decision.escrow_job_id):
                raise Conflict(
                    "escrow_job_already_used", f"escrow job {decision.escrow_job_id} already pays for another task"
                )
            await store.insert_task(conn, decision, task.digest(), now)
            await emit(conn, f"acceptance-{acceptance_id}", decision, now)
            task_id = decision.task_id
        stored = await store.get_task(conn, task_id)
    return _task_out(stored)


def _task_out(row) -> TaskOut:
    disputed = row.get("disputed_at")
    return TaskOut(
        task_id=row["task_id"],
        acceptance_id=row["acceptance_id"],
        idempotency_key=row["idempotency_key"],
        escrow_job_id=row["escrow_job_id"],
        provenance=row["provenance"],
        submitted_at=row["submitted_at"],
        dispute=DisputeOut(
            task_id=row["task_id"],
            disputed_by=row["disputed_by"],
            reason=row["dispute_reason"],
            disputed_at=disputed,
        )
        if disputed
        else None,
        task=json.loads(bytes(row["payload"])),
    )


@router.get("/acceptances/{acceptance_id}/tasks", response_model=Page[TaskOut], summary="Tasks of an acceptance")
async def list_tasks(
    request: Request, acceptance_id: str = _ident(), page: PageParams = Depends(), caller: Caller = Depends(reader)
) -> Page:
    async with pool(request).acquire() as conn:
        row = await store.get_acceptance(conn, acceptance_id)
        if row is None:
            raise NotFound("acceptance", acceptance_id)
        _check_visible(caller, row)
        rows = await store.page(conn, "tasks", {"acceptance_id": acceptance_id}, page.after, page.limit)
    return Page(items=[_task_out(r) for r in rows], next_cursor=page.next_cursor(rows))


@router.get("/tasks/{task_id}", response_model=TaskOut, summary="One task")
async def get_task(request: Request, task_id: str = _ident(), caller: Caller = Depends(reader)) -> TaskOut:
    row = await store.get_task(pool(request), task_id)
    if row is None:
        raise NotFound("task", task_id)
    _check_visible(caller, {**dict(row), "acceptance_id": row["acceptance_id"]})
    return _task_out(row)


@router.post(
    "/tasks/{task_id}/dispute",
    status_code=201,
    response_model=DisputeOut,
    summary="Dispute a buyer-only task report (the agent's operator)",
    description="Inside the pact's dispute window, counted from the task's submission. The evaluator then "
    "counts the task's measured clauses (latency, cost, tokens) INCONCLUSIVE. 200 with the existing dispute when "
    "the task is already disputed; a countersigned report cannot be disputed (409).",
    responses={200: {"model": DisputeOut, "description": "Already disputed"}},
)
async def dispute_task(
    body: DisputeCreate,
    request: Request,
    response: Response,
    task_id: str = _ident(),
    caller: Caller = Depends(authenticate),
) -> DisputeOut:
    domain.require_scope(caller, domain.Scope.ACCEPTANCES_WRITE)
    now = utc_now()
    async with pool(request).acquire() as conn, conn.transaction():
        task = await store.disputable_task(conn, task_id)
        if task is None:
            raise NotFound("task", task_id)
        decision = domain.dispute_task(caller, task, body.reason, now)
        if isinstance(decision, AlreadyDone):
            response.status_code = 200
        else:
            await store.insert_dispute(conn, task_id, caller.principal_id, body.reason, now)
            await emit(conn, f"acceptance-{task.acceptance_id}", decision, now)
        row = await store.get_task(conn, task_id)
    return DisputeOut(
        task_id=task_id, disputed_by=row["disputed_by"], reason=row["dispute_reason"], disputed_at=row["disputed_at"]
    )

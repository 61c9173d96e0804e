"""Acceptances (a buyer's escrow terms for a pact version) and the tasks submitted under them."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Path, Request, Response

from pactline_events import Countersignature, ToolCall, utc_now

from .. import domain, store
from ..domain import Acceptance, Agent, AlreadyDone, Caller, EscrowRequest, Role, TaskRequest
from ..errors import Conflict, Forbidden, NotFound
from ..escrow_backing import EscrowBacking
from ..store import queries as q
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
ESCROW_BACKING = "escrow_backing"  # the service resource holding the EscrowBacking


def _ident() -> Any:
    """A fresh Path() per parameter: FastAPI keeps the parameter name on the instance."""
    return Path(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")


def _visible_filter(caller: Caller) -> dict[str, str | None]:
    """Buyers see their own acceptances, operators those of their agents, admins and auditors all."""
    if caller.role is Role.BUYER:
        return {"buyer_id": caller.principal_id, "operator_id": None}
    if caller.role is Role.OPERATOR:
        return {"buyer_id": None, "operator_id": caller.principal_id}
    return {"buyer_id": None, "operator_id": None}


async def _visible_acceptance(conn, caller: Caller, acceptance_id: str) -> Acceptance:
    """The acceptance, when the caller may see it; the same 404 when it is unknown or not theirs."""
    acceptance = await store.acceptance(conn, acceptance_id)
    if acceptance is None:
        raise NotFound("acceptance", acceptance_id)
    domain.require_visible(caller, acceptance)
    return acceptance


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


@router.post(
    "/acceptances",
    status_code=201,
    response_model=AcceptanceOut,
    summary="Accept a pact version (buyer)",
    description="A superseded version (one with a later version published) is refused with 409 "
    "pact_version_superseded unless its operator published the later version with allow_superseded=true.",
)
async def accept(body: AcceptanceCreate, request: Request, caller: Caller = Depends(authenticate)) -> AcceptanceOut:
    domain.require_scope(caller, domain.Scope.ACCEPTANCES_WRITE)
    if caller.role is not Role.BUYER:
        raise Forbidden("role_not_allowed", "only buyers accept pacts")
    now = utc_now()
    async with pool(request).acquire() as conn, conn.transaction():
        version = body.pact_version
        if version is None:
            pact = await q.get_pact(conn, pact_id=body.pact_id)
            version = pact["latest_version"] if pact else 1
        pact = await store.pact_version(conn, body.pact_id, version)
        if pact is None:
            raise NotFound("pact_version", f"{body.pact_id}@{version}")
        agent = Agent.from_row(await q.get_agent(conn, agent_id=pact.agent_id))
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
    async with pool(request).acquire() as conn:
        rows = [
            r
            async for r in q.page_acceptances(
                conn, after=page.after, limit=page.limit, pact_id=pact_id, agent_id=agent_id, **_visible_filter(caller)
            )
        ]
    return Page(items=[_acceptance_out(r) for r in rows], next_cursor=page.next_cursor(rows))


@router.get("/acceptances/{acceptance_id}", response_model=AcceptanceOut, summary="One acceptance")
async def get_acceptance(
    request: Request, acceptance_id: str = _ident(), caller: Caller = Depends(reader)
) -> AcceptanceOut:
    row = await q.get_acceptance(pool(request), acceptance_id=acceptance_id)
    if row is None or not caller.sees(row["buyer_id"], row["operator_id"]):
        raise NotFound("acceptance", acceptance_id)
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
        # Decided on the unlocked row first: a stranger locks nothing of someone else's.
        domain.revoke_acceptance(caller, await _visible_acceptance(conn, caller, acceptance_id), body.reason)
        event = domain.revoke_acceptance(caller, await store.acceptance(conn, acceptance_id, lock=True), body.reason)
        row = await q.revoke_acceptance(
            conn, acceptance_id=acceptance_id, revoked_at=now, revoked_by=caller.principal_id, revoke_reason=body.reason
        )
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
    async with pool(request).acquire() as conn:
        # Everything that can refuse the task without the chain is decided first, on unlocked
        # rows (a stranger locks nothing of someone else's); then the escrow on chain, with no
        # lock held while the RPC answers; then the same decision again under the lock.
        acceptance = await _visible_acceptance(conn, caller, acceptance_id)
        evidence = await store.evidence_terms(conn, acceptance)
        previous = await store.task_by_key(conn, acceptance_id, body.idempotency_key)
        decision = domain.submit_task(caller, acceptance, evidence, task, previous, new_id("tsk"), now)
        if not isinstance(decision, AlreadyDone):
            escrow: EscrowBacking = request.app.state.service.resources[ESCROW_BACKING]
            await escrow.require(acceptance, task.escrow_job_id)
        async with conn.transaction():
            acceptance = await store.acceptance(conn, acceptance_id, lock=True)
            previous = await store.task_by_key(conn, acceptance_id, body.idempotency_key)
            decision = domain.submit_task(caller, acceptance, evidence, task, previous, new_id("tsk"), now)
            if isinstance(decision, AlreadyDone):
                response.status_code = 200
                task_id = decision.resource_id
            else:
                # The unique index decides between two acceptances racing for one job.
                if not await store.insert_task(conn, decision, task.digest(), now):
                    raise _job_used(task.escrow_job_id)
                await emit(conn, f"acceptance-{acceptance_id}", decision, now)
                task_id = decision.task_id
            stored = await q.get_task(conn, task_id=task_id)
    return _task_out(stored)


def _job_used(escrow_job_id: str | None) -> Conflict:
    return Conflict("escrow_job_already_used", f"escrow job {escrow_job_id} already pays for another task")


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
        await _visible_acceptance(conn, caller, acceptance_id)
        rows = [r async for r in q.page_tasks(conn, after=page.after, limit=page.limit, acceptance_id=acceptance_id)]
    return Page(items=[_task_out(r) for r in rows], next_cursor=page.next_cursor(rows))


@router.get("/tasks/{task_id}", response_model=TaskOut, summary="One task")
async def get_task(request: Request, task_id: str = _ident(), caller: Caller = Depends(reader)) -> TaskOut:
    row = await q.get_task(pool(request), task_id=task_id)
    if row is None or not caller.sees(row["buyer_id"], row["operator_id"]):
        raise NotFound("task", task_id)
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
        # Decided on the unlocked row first, then again under the task's lock.
        task = await store.disputable_task(conn, task_id)
        if task is None:
            raise NotFound("task", task_id)
        domain.dispute_task(caller, task, body.reason, now)
        await q.lock_task(conn, task_id=task_id)
        task = await store.disputable_task(conn, task_id)
        decision = domain.dispute_task(caller, task, body.reason, now)
        if isinstance(decision, AlreadyDone):
            response.status_code = 200
        else:
            await q.insert_dispute(
                conn, task_id=task_id, disputed_by=caller.principal_id, reason=body.reason, disputed_at=now
            )
            await emit(conn, f"acceptance-{task.acceptance_id}", decision, now)
        row = await q.get_task(conn, task_id=task_id)
    return DisputeOut(
        task_id=task_id, disputed_by=row["disputed_by"], reason=row["dispute_reason"], disputed_at=row["disputed_at"]
    )

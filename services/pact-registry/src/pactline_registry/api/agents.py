"""Agents and their pacts: operators register agents and publish pact versions; everyone reads."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from pactline_events import utc_now
from pactline_pacts import PactInvalid, parse_pact
from pactline_pacts import limits as pact_limits

from .. import domain, store
from ..domain import READ_ALL_ROLES, Agent, AlreadyDone, Caller, Scope, require_scope
from ..errors import Conflict, Invalid, NotFound, TooLarge
from ..store import queries as q
from .auth import authenticate, reader, registry_settings
from .edge import PageParams, emit, id_filter, new_id, pool
from .models import (
    ERROR_RESPONSES,
    AgentCreate,
    AgentEndpointIn,
    AgentEndpointOut,
    AgentOut,
    PactOut,
    PactVersionOut,
    Page,
)
from .route_class import RegistryRoute

router = APIRouter(prefix="/v1", tags=["agents and pacts"], route_class=RegistryRoute, responses=ERROR_RESPONSES)


def _ident() -> Any:
    """A fresh Path() per parameter: FastAPI keeps the parameter name on the instance."""
    return Path(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")


_PACT_BODY = {
    "required": True,
    "description": f"A pact document (docs/pacts.md), JSON or YAML, at most {pact_limits.MAX_DOCUMENT_BYTES} bytes",
    "content": {
        "application/json": {"schema": {"$ref": "#/components/schemas/PactDocument"}},
        "application/yaml": {"schema": {"type": "string", "description": "The same document as YAML"}},
    },
}


@router.post("/agents", status_code=201, response_model=AgentOut, summary="Register an agent (operator)")
async def register_agent(body: AgentCreate, request: Request, caller: Caller = Depends(authenticate)) -> AgentOut:
    now = utc_now()
    event = domain.register_agent(caller, new_id("agt"), body.name, body.model_family, body.operator_address)
    agent = Agent(event.agent_id, event.name, event.operator_id, event.operator_address, event.model_family)
    async with pool(request).acquire() as conn, conn.transaction():
        row = await store.insert_agent(conn, agent, now)
        await emit(conn, f"agent-{agent.agent_id}", event, now)
    return AgentOut(**dict(row))


@router.get("/agents", response_model=Page[AgentOut], summary="List agents")
async def list_agents(
    request: Request,
    operator_id: str | None = id_filter("Only this operator's agents"),
    page: PageParams = Depends(),
    caller: Caller = Depends(reader),
) -> Page:
    async with pool(request).acquire() as conn:
        rows = [r async for r in q.page_agents(conn, after=page.after, limit=page.limit, operator_id=operator_id)]
    return Page(items=[AgentOut(**dict(r)) for r in rows], next_cursor=page.next_cursor(rows))


@router.get("/agents/{agent_id}", response_model=AgentOut, summary="One agent")
async def get_agent(request: Request, agent_id: str = _ident(), caller: Caller = Depends(reader)) -> AgentOut:
    row = await q.get_agent(pool(request), agent_id=agent_id)
    if row is None:
        raise NotFound("agent", agent_id)
    return AgentOut(**dict(row))


@router.post(
    "/agents/{agent_id}/endpoint",
    response_model=AgentEndpointOut,
    summary="Register where the agent answers (its operator)",
    description="The gateway forwards buyers' calls only to this OpenAI-compatible base URL. Registering again "
    "replaces it; the same URL again changes nothing.",
)
async def register_endpoint(
    body: AgentEndpointIn, request: Request, agent_id: str = _ident(), caller: Caller = Depends(authenticate)
) -> AgentEndpointOut:
    require_scope(caller, Scope.AGENTS_WRITE)
    policy = registry_settings(request).endpoint_policy
    now = utc_now()
    async with pool(request).acquire() as conn, conn.transaction():
        agent_row = await q.get_agent(conn, agent_id=agent_id)
        if agent_row is None:
            raise NotFound("agent", agent_id)
        agent = Agent.from_row(agent_row)
        # Owner and URL are checked before the endpoint row is locked: strangers lock nothing.
        domain.register_endpoint(caller, agent, body.base_url, None, policy)
        current = await q.lock_endpoint(conn, agent_id=agent_id)
        decision = domain.register_endpoint(
            caller, agent, body.base_url, current["base_url"] if current else None, policy
        )
        if isinstance(decision, AlreadyDone):
            row = current
        else:
            row = await q.upsert_endpoint(conn, agent_id=agent_id, base_url=decision.base_url, registered_at=now)
            await emit(conn, f"agent-{agent_id}", decision, now)
    return AgentEndpointOut(**dict(row))


@router.get(
    "/agents/{agent_id}/endpoint",
    response_model=AgentEndpointOut,
    summary="Where the agent answers (its operator, admins, auditors)",
)
async def get_endpoint(
    request: Request, agent_id: str = _ident(), caller: Caller = Depends(reader)
) -> AgentEndpointOut:
    agent_row = await q.get_agent(pool(request), agent_id=agent_id)
    if agent_row is None:
        raise NotFound("agent", agent_id)
    # Whether an agent has an endpoint is its operator's business: one 404 for everyone else.
    row = await q.get_endpoint(pool(request), agent_id=agent_id)
    if row is None or not (caller.role in READ_ALL_ROLES or caller.principal_id == agent_row["operator_id"]):
        raise NotFound("agent_endpoint", agent_id)
    return AgentEndpointOut(**dict(row))


async def _read_document(request: Request) -> bytes:
    raw = await request.body()  # already read, within the request limit, by RegistryRoute
    if len(raw) > pact_limits.MAX_DOCUMENT_BYTES:
        raise TooLarge(
            "pact_too_large", f"a pact document is at most {pact_limits.MAX_DOCUMENT_BYTES} bytes (JSON or YAML text)"
        )
    return raw


@router.post(
    "/agents/{agent_id}/pacts",
    status_code=201,
    response_model=PactVersionOut,
    summary="Publish a pact version for an agent (its operator)",
    description="201 with the new version; 200 when this exact version is already published (same hash). "
    "A published version never changes: other content under a published version number is 409.",
    openapi_extra={"requestBody": _PACT_BODY},
    responses={200: {"model": PactVersionOut, "description": "Already published, unchanged"}},
)
async def publish_pact(
    request: Request,
    response: Response,
    agent_id: str = _ident(),
    allow_superseded: bool = Query(
        False,
        description="Whether new buyers may still accept this pact's earlier versions once this one is published "
        "(default: no, only this version is offered). Set by each new version; ignored when the version is "
        "already published",
    ),
    caller: Caller = Depends(authenticate),
) -> PactVersionOut:
    require_scope(caller, Scope.PACTS_WRITE)
    agent_row = await q.get_agent(pool(request), agent_id=agent_id)
    if agent_row is None:
        raise NotFound("agent", agent_id)
    agent = Agent.from_row(agent_row)  # agents never change once registered
    domain.require_operator_of(caller, agent)  # before reading: strangers learn nothing
    raw = await _read_document(request)
    try:
        document = parse_pact(raw, request.headers.get("content-type", "application/json"))
    except PactInvalid:
        raise
    except ValueError as exc:
        # pactline_pacts sorts error pointers with str.isdigit(), which accepts digits
        # such as "¹" that int() refuses; until that is fixed the report is lost, not the 422.
        raise Invalid("pact_invalid", f"the pact is invalid (its error report failed: {exc})") from None
    now = utc_now()
    async with pool(request).acquire() as conn, conn.transaction():
        pact = await q.lock_pact_by_name(conn, agent_id=agent_id, name=document.name)
        pact_id = pact["pact_id"] if pact else new_id("pct")
        versions = await store.version_hashes(conn, pact_id) if pact else {}
        decision = domain.publish_pact(caller, agent, document, pact_id, versions)
        if isinstance(decision, AlreadyDone):
            response.status_code = 200
        else:
            if pact is None:
                created = await q.insert_pact(
                    conn,
                    pact_id=pact_id,
                    agent_id=agent.agent_id,
                    operator_id=agent.operator_id,
                    name=document.name,
                    superseded_acceptable=allow_superseded,
                    created_at=now,
                )
                if created is None:
                    raise Conflict("pact_publish_raced", "the same pact was being published concurrently; retry")
            else:
                await q.set_superseded_acceptable(conn, pact_id=pact_id, superseded_acceptable=allow_superseded)
            await store.insert_version(conn, pact_id, document, decision.pact_hash, now)
            await emit(conn, f"pact-{pact_id}", decision, now)
        row = await q.get_version(conn, pact_id=pact_id, version=document.version)
    return _version_out(row)


def _version_out(row) -> PactVersionOut:
    return PactVersionOut(
        pact_id=row["pact_id"],
        name=row["name"],
        agent_id=row["agent_id"],
        operator_id=row["operator_id"],
        version=row["version"],
        pact_hash=row["pact_hash"],
        document=json.loads(bytes(row["document"])),
        published_at=row["published_at"],
    )


@router.get("/pacts", response_model=Page[PactOut], summary="List pacts")
async def list_pacts(
    request: Request,
    agent_id: str | None = id_filter("Only this agent's pacts"),
    page: PageParams = Depends(),
    caller: Caller = Depends(reader),
) -> Page:
    async with pool(request).acquire() as conn:
        rows = [r async for r in q.page_pacts(conn, after=page.after, limit=page.limit, agent_id=agent_id)]
    return Page(items=[PactOut(**dict(r)) for r in rows], next_cursor=page.next_cursor(rows))


@router.get("/pacts/{pact_id}", response_model=PactOut, summary="One pact and its versions")
async def get_pact(request: Request, pact_id: str = _ident(), caller: Caller = Depends(reader)) -> PactOut:
    row = await q.get_pact(pool(request), pact_id=pact_id)
    if row is None:
        raise NotFound("pact", pact_id)
    return PactOut(**dict(row))


@router.get(
    "/pacts/{pact_id}/versions/{version}", response_model=PactVersionOut, summary="One published version, with its hash"
)
async def get_pact_version(
    request: Request,
    pact_id: str = _ident(),
    version: int = Path(ge=1, le=pact_limits.MAX_VERSION),
    caller: Caller = Depends(reader),
) -> PactVersionOut:
    row = await q.get_version(pool(request), pact_id=pact_id, version=version)
    if row is None:
        raise NotFound("pact_version", f"{pact_id}@{version}")
    return _version_out(row)

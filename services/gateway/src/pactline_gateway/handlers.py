"""What the gateway learns from the log, folded into its own tables: API keys (as HMACs),
acceptances and their ends, agents' endpoints, and the tasks the registry took (they count
against an acceptance's limits). It emits nothing here; its own events come from calls."""

from __future__ import annotations

from pactline_events import (
    AcceptanceRevoked,
    AgentEndpointRegistered,
    ApiKeyIssued,
    ApiKeyRevoked,
    Envelope,
    PactAccepted,
    TaskCompleted,
)
from pactline_messaging import EventHandlers, HandlerContext

from .store import queries

handlers = EventHandlers()
PRODUCER = "gateway"


@handlers.on(ApiKeyIssued)
async def key_issued(ctx: HandlerContext, event: Envelope) -> None:
    key = event.payload
    await queries.key_issued(
        ctx.conn,
        key_id=key.key_id,
        principal_id=key.principal_id,
        role=key.role,
        scopes=list(key.scopes),
        key_hmac=key.key_hmac,
    )


@handlers.on(ApiKeyRevoked)
async def key_revoked(ctx: HandlerContext, event: Envelope) -> None:
    await queries.key_revoked(ctx.conn, key_id=event.payload.key_id, principal_id=event.payload.principal_id)


@handlers.on(PactAccepted)
async def pact_accepted(ctx: HandlerContext, event: Envelope) -> None:
    accepted = event.payload
    await queries.acceptance_accepted(
        ctx.conn,
        acceptance_id=accepted.acceptance_id,
        pact_id=accepted.pact_id,
        pact_version=accepted.pact_version,
        agent_id=accepted.agent_id,
        buyer_id=accepted.buyer_id,
        mode=accepted.escrow.mode.value,
        price_per_task=accepted.escrow.price_per_task,
        pool_size=accepted.escrow.pool_size,
        max_tasks=accepted.escrow.max_tasks,
        expires_at=accepted.expires_at,
    )


@handlers.on(AcceptanceRevoked)
async def acceptance_revoked(ctx: HandlerContext, event: Envelope) -> None:
    await queries.acceptance_revoked(ctx.conn, acceptance_id=event.payload.acceptance_id, revoked_at=event.occurred_at)


@handlers.on(TaskCompleted)
async def task_completed(ctx: HandlerContext, event: Envelope) -> None:
    # The gateway counted its own tasks when it recorded them; only reported ones are news.
    if event.producer != PRODUCER:
        await queries.count_reported_task(ctx.conn, acceptance_id=event.payload.acceptance_id)


@handlers.on(AgentEndpointRegistered)
async def endpoint_registered(ctx: HandlerContext, event: Envelope) -> None:
    endpoint = event.payload
    await queries.endpoint_registered(
        ctx.conn,
        agent_id=endpoint.agent_id,
        operator_id=endpoint.operator_id,
        base_url=endpoint.base_url,
        stream_seq=event.stream_seq,
    )

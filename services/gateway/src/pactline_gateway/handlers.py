"""What the gateway learns from the log, folded into its own tables: API keys (as HMACs),
acceptances and their ends, and agents' endpoints. It emits nothing here; its own events come
from calls.

Tasks are not folded: the gateway checks an acceptance's limits (max_tasks, the pool) against
the calls it measured, as the registry does against the reports it took, and settlement, which
sees both, pays no task beyond the pool. Not handling TaskCompleted also keeps the gateway from
a database round trip for each of its own events coming back from the topic.
"""

from __future__ import annotations

from pactline_events import (
    AcceptanceRevoked,
    AgentEndpointRegistered,
    ApiKeyIssued,
    ApiKeyRevoked,
    Envelope,
    PactAccepted,
)
from pactline_identities import known_keys
from pactline_messaging import EventHandlers, HandlerContext

from .store import queries

handlers = EventHandlers()
# API keys as HMACs, folded as every service that checks keys does (pactline_identities).
handlers.on(ApiKeyIssued)(known_keys.key_issued)
handlers.on(ApiKeyRevoked)(known_keys.key_revoked)


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

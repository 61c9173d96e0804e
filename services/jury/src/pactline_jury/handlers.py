"""The jury's Kafka handler: a JuryRequested is recorded as pending, nothing slower.

The panel never runs here (judges are slow external calls); the worker (worker.py) picks the
pending request, runs the panel outside any transaction and emits JuryDeliberated.
"""

from __future__ import annotations

from pactline_events import Envelope, JuryRequested
from pactline_messaging import EventHandlers, HandlerContext

from . import store

handlers = EventHandlers()


@handlers.on(JuryRequested)
async def jury_requested(ctx: HandlerContext, event: Envelope) -> None:
    if await store.record_request(ctx.conn, event, received_at=event.occurred_at):
        await ctx.conn.execute("SELECT pg_notify($1, '')", store.NOTIFY_CHANNEL)

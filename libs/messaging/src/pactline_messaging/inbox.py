"""The inbox: remembers which events a consumer has applied, in the effect's transaction."""

from __future__ import annotations

from uuid import UUID

import asyncpg


async def claim(conn: asyncpg.Connection, consumer: str, event_id: UUID) -> bool:
    """True the first time ``consumer`` sees ``event_id`` (apply the effect), else False.

    Call inside the effect's transaction: if it rolls back, the claim rolls back with it.
    """
    row = await conn.fetchval(
        "INSERT INTO processed_events (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1",
        consumer,
        event_id,
    )
    return row is not None

"""The inbox: remembers which events a consumer has applied, in the effect's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

import asyncpg

from .advisory_locks import ORDERED_LOCKS

_CLAIM_LOCKED = (
    f"WITH locked AS MATERIALIZED ({ORDERED_LOCKS}) "  # noqa: S608 (two constants, no input)
    "INSERT INTO processed_events (consumer, event_id) "
    "SELECT $2, id FROM locked, unnest($3::uuid[]) AS batch(id) "
    "ON CONFLICT DO NOTHING RETURNING event_id"
)


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


async def claim_many(conn: asyncpg.Connection, consumer: str, event_ids: Sequence[UUID]) -> set[UUID]:
    """Claim a whole batch in one statement; return the ids seen for the first time.

    Ids already processed (redeliveries) are skipped, not retried; an id that appears twice
    in ``event_ids`` is claimed once. Call inside the batch's transaction.
    """
    if not event_ids:
        return set()
    rows = await conn.fetch(
        """INSERT INTO processed_events (consumer, event_id)
           SELECT $1, id FROM unnest($2::uuid[]) AS batch(id)
           ON CONFLICT DO NOTHING RETURNING event_id""",
        consumer,
        list(event_ids),
    )
    return {r["event_id"] for r in rows}


async def claim_many_locked(
    conn: asyncpg.Connection, consumer: str, event_ids: Sequence[UUID], locks: Sequence[str]
) -> set[UUID]:
    """``claim_many`` after taking the transaction-scoped advisory locks ``locks``, in one round trip.

    The locks (``advisory_locks``) are taken in hash order (no deadlock between two claimers)
    before any row is inserted: the inserted rows join the one-row result of the lock CTE. A claim that waited
    for a lock still sees what the holder committed, since ON CONFLICT checks the index
    against committed rows, not against the statement's snapshot.
    """
    if not event_ids:
        return set()
    rows = await conn.fetch(_CLAIM_LOCKED, sorted(set(locks)), consumer, list(event_ids))
    return {r["event_id"] for r in rows}

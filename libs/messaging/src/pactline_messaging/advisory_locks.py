"""Transaction-scoped advisory locks on text keys, always taken in one order.

A key's lock is PostgreSQL's ``pg_advisory_xact_lock`` on ``hashtextextended(key, 0)`` (64
bits; two keys that collide only serialize more). A transaction takes its keys in hash order,
so two transactions taking overlapping sets never wait on each other in a cycle. The consumer
locks its (group, topic, partition, lane) lanes this way (``inbox.claim_many_locked``), and a
handler that relates events of different streams locks what they share (docs/messaging.md).
"""

from __future__ import annotations

from collections.abc import Iterable

import asyncpg

ORDERED_LOCKS = (
    "SELECT count(pg_advisory_xact_lock(h)) AS n "
    "FROM (SELECT hashtextextended(k, 0) AS h FROM unnest($1::text[]) AS t(k) ORDER BY 1) AS ordered"
)
"""One row, once the locks of the text array ``$1`` are taken in hash order."""


async def lock_keys(conn: asyncpg.Connection, keys: Iterable[str]) -> None:
    """Take the locks of ``keys`` until the transaction ends, waiting for their holders.

    A statement of its own on purpose: a statement's snapshot predates its lock waits, so only
    the caller's next statements see what a holder committed meanwhile.
    """
    if not conn.is_in_transaction():
        raise RuntimeError("advisory locks are transaction-scoped: take them inside a transaction")
    await conn.execute(ORDERED_LOCKS, sorted(set(keys)))

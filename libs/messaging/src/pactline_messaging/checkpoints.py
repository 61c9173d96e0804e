"""Projection checkpoints: (topic, partition) -> next offset, saved with the projection's rows."""

from __future__ import annotations

import asyncpg


async def load(conn: asyncpg.Connection, projection: str) -> dict[tuple[str, int], int]:
    rows = await conn.fetch(
        "SELECT topic, partition, next_offset FROM projection_checkpoints WHERE projection = $1", projection
    )
    return {(r["topic"], r["partition"]): r["next_offset"] for r in rows}


async def save(conn: asyncpg.Connection, projection: str, topic: str, partition: int, next_offset: int) -> None:
    """Record that every offset below ``next_offset`` is folded in. Call inside the transaction."""
    await conn.execute(
        """INSERT INTO projection_checkpoints (projection, topic, partition, next_offset)
           VALUES ($1, $2, $3, $4)
           ON CONFLICT (projection, topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset""",
        projection,
        topic,
        partition,
        next_offset,
    )


async def reset(conn: asyncpg.Connection, projection: str) -> None:
    await conn.execute("DELETE FROM projection_checkpoints WHERE projection = $1", projection)

"""One asyncpg pool per service, pinned to the service's own schema."""

from __future__ import annotations

from pathlib import Path

import asyncpg

from . import migrations


async def open_pool(
    database_url: str, schema: str, service_migrations: Path | None = None, *, max_size: int = 10
) -> asyncpg.Pool:
    """Apply the messaging and the service's migrations, then return a pool on ``schema``.

    Every connection's search_path is the service's schema only, so no query can read
    another service's tables by accident.
    """
    migrations.check_schema_name(schema)
    sources = [("messaging", migrations.MESSAGING_MIGRATIONS)]
    if service_migrations is not None:
        sources.append((schema, service_migrations))
    conn = await asyncpg.connect(database_url)
    try:
        await migrations.apply(conn, schema, sources)
    finally:
        await conn.close()
    return await asyncpg.create_pool(
        database_url, min_size=1, max_size=max_size, server_settings={"search_path": schema}
    )

"""Thin data access for settlement; the SQL is in sql/*.sql (aiosql), one file per concern:
``queries.intake`` (handlers), ``.chain`` (the watcher), ``.work`` (decisions and batches),
``.journal`` (transactions) and ``.ledger`` (the projection's rows and the read API)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace

import aiosql
import asyncpg

SQL = Path(__file__).parent / "sql"

queries = SimpleNamespace(
    **{
        name: aiosql.from_path(SQL / f"{name}.sql", "asyncpg", mandatory_parameters=False)
        for name in ("intake", "chain", "work", "journal", "ledger")
    }
)


async def all_rows(rows: AsyncIterator[asyncpg.Record]) -> list[asyncpg.Record]:
    """aiosql yields a many-row select's rows; the callers want them all (bounded by SQL)."""
    return [row async for row in rows]

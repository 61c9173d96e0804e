"""Thin data access for the evaluator; the SQL is in sql/evaluations.sql (aiosql)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiosql
import asyncpg

queries = aiosql.from_path(Path(__file__).parent / "sql" / "evaluations.sql", "asyncpg", mandatory_parameters=False)


async def all_rows(rows: AsyncIterator[asyncpg.Record]) -> list[asyncpg.Record]:
    """aiosql yields the rows of a many-row select; the callers want them all (bounded by SQL)."""
    return [row async for row in rows]

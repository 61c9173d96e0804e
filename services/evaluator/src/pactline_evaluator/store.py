"""Thin data access for the evaluator; the SQL is in sql/evaluations.sql (aiosql)."""

from __future__ import annotations

from pathlib import Path

import aiosql

queries = aiosql.from_path(Path(__file__).parent / "sql" / "evaluations.sql", "asyncpg", mandatory_parameters=False)

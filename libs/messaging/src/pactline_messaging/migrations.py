"""Numbered .sql migrations applied at start-up, once each, in order, under an advisory lock."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import asyncpg

_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
_SCHEMA = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
MESSAGING_MIGRATIONS = Path(__file__).parent / "migrations"


class MigrationError(RuntimeError):
    pass


@dataclass(frozen=True)
class Migration:
    component: str
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def load(component: str, directory: Path) -> list[Migration]:
    found = []
    for path in sorted(directory.glob("*.sql")):
        match = _NAME.match(path.name)
        if not match:
            raise MigrationError(f"{path}: migration files are named NNNN_snake_case.sql")
        found.append(Migration(component, int(match.group(1)), path.name, path.read_text()))
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise MigrationError(f"{directory}: versions must be 1..n without gaps, got {versions}")
    return found


def check_schema_name(schema: str) -> str:
    if not _SCHEMA.match(schema):
        raise MigrationError(f"schema name {schema!r} must match {_SCHEMA.pattern}")
    return schema


async def apply(conn: asyncpg.Connection, schema: str, sources: list[tuple[str, Path]]) -> list[str]:
    """Create ``schema`` if needed and apply pending migrations; return the names applied.

    A migration whose file changed after it was applied is an error, not silently skipped.
    """
    check_schema_name(schema)
    applied_now: list[str] = []
    async with conn.transaction():
        # Serializes concurrent starts of replicas of the same service.
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"migrate:{schema}")
        await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        await conn.execute(f"SET LOCAL search_path TO {schema}")
        await conn.execute(
            """CREATE TABLE IF NOT EXISTS schema_migrations (
                   component text NOT NULL, version integer NOT NULL, name text NOT NULL,
                   checksum char(64) NOT NULL, applied_at timestamptz NOT NULL DEFAULT now(),
                   PRIMARY KEY (component, version))"""
        )
        done = {
            (r["component"], r["version"]): r["checksum"]
            for r in await conn.fetch("SELECT component, version, checksum FROM schema_migrations")
        }
        for component, directory in sources:
            for migration in load(component, directory):
                key = (component, migration.version)
                if key in done:
                    if done[key] != migration.checksum:
                        raise MigrationError(f"{component}/{migration.name} changed after it was applied")
                    continue
                await conn.execute(migration.sql)
                await conn.execute(
                    "INSERT INTO schema_migrations (component, version, name, checksum) VALUES ($1, $2, $3, $4)",
                    component,
                    migration.version,
                    migration.name,
                    migration.checksum,
                )
                applied_now.append(f"{component}/{migration.name}")
    return applied_now

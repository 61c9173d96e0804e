"""Folding the registry's key events into a service's own table, and reading a key back.

A service that checks keys creates this table in one of its migrations (``KNOWN_KEYS_TABLE``,
verbatim) and registers the two handlers on its EventHandlers:

    handlers.on(ApiKeyIssued)(known_keys.key_issued)
    handlers.on(ApiKeyRevoked)(known_keys.key_revoked)
"""

from __future__ import annotations

from pathlib import Path

import aiosql
import asyncpg

from pactline_events import ApiKeyIssued, ApiKeyRevoked, Envelope
from pactline_messaging import HandlerContext

from .api_keys import KnownKey

queries = aiosql.from_path(Path(__file__).parent / "sql" / "known_keys.sql", "asyncpg")

KNOWN_KEYS_TABLE = """
CREATE TABLE api_keys (
    key_id        text PRIMARY KEY,
    principal_id  text NOT NULL,
    role          text NOT NULL,
    scopes        text[] NOT NULL,
    key_hmac      char(64),             -- null while only the key's revocation has been seen
    revoked       boolean NOT NULL DEFAULT false
);
"""


async def key_issued(ctx: HandlerContext, event: Envelope) -> None:
    key: ApiKeyIssued = event.payload
    await queries.key_issued(
        ctx.conn,
        key_id=key.key_id,
        principal_id=key.principal_id,
        role=key.role,
        scopes=list(key.scopes),
        key_hmac=key.key_hmac,
    )


async def key_revoked(ctx: HandlerContext, event: Envelope) -> None:
    revoked: ApiKeyRevoked = event.payload
    await queries.key_revoked(ctx.conn, key_id=revoked.key_id, principal_id=revoked.principal_id)


def known_key_of(row: asyncpg.Record | None) -> KnownKey | None:
    if row is None:
        return None
    return KnownKey(
        key_id=row["key_id"],
        principal_id=row["principal_id"],
        role=row["role"],
        scopes=frozenset(row["scopes"]),
        key_hmac=row["key_hmac"],
        revoked=row["revoked"],
    )


async def known_key(conn: asyncpg.Connection | asyncpg.Pool, key_id: str) -> KnownKey | None:
    return known_key_of(await queries.known_key(conn, key_id=key_id))

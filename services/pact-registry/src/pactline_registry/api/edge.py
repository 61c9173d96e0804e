"""The IO edge of every command: fresh ids, the clock, the pool, and events into the outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg
from fastapi import Query, Request

from pactline_events import Envelope, EventPayload, new_event_id
from pactline_messaging import outbox

from .. import limits
from ..errors import invalid_field

PRODUCER = "pact-registry"


def new_id(prefix: str) -> str:
    return f"{prefix}-{new_event_id().hex}"


def pool(request: Request) -> asyncpg.Pool:
    return request.app.state.service.pool


async def emit(conn: asyncpg.Connection, stream_id: str, payload: EventPayload, now: datetime) -> Envelope:
    """The command's event into the outbox, correlated with the HTTP request."""
    return await outbox.emit(conn, PRODUCER, stream_id, payload, occurred_at=now)


IDENTIFIER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]*$"


def id_filter(description: str) -> Any:
    """An optional id in the query string, held to the identifier pattern before any lookup
    (a NUL byte or other text PostgreSQL cannot store is a 422, never a 500)."""
    return Query(None, min_length=1, max_length=128, pattern=IDENTIFIER_PATTERN, description=description)


class PageParams:
    """``limit`` (1..200, default 50) and the opaque ``cursor`` from the previous page."""

    def __init__(
        self,
        limit: int = Query(limits.DEFAULT_PAGE_SIZE, ge=1, le=limits.MAX_PAGE_SIZE, description="Items per page"),
        cursor: str | None = Query(None, max_length=20, description="next_cursor of the previous page"),
    ) -> None:
        if cursor is not None and not (cursor.isascii() and cursor.isdigit() and len(cursor) <= 18):
            raise invalid_field("cursor_invalid", "/cursor", "not a cursor this API returned")
        self.limit = limit
        self.after = int(cursor) if cursor else 0

    def next_cursor(self, rows: list) -> str | None:
        return str(rows[-1]["seq"]) if len(rows) == self.limit else None

"""Event ids and event time, taken at the edges and passed into pure code as inputs."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import uuid6


def new_event_id() -> UUID:
    """A UUIDv7: time-ordered, so ids sort roughly by creation."""
    return UUID(str(uuid6.uuid7()))


def utc_now() -> datetime:
    return datetime.now(UTC)

"""Event ids and event time, taken at the edges and passed into pure code as inputs."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from uuid import UUID

import uuid6


def new_event_id() -> UUID:
    """A UUIDv7: time-ordered, so ids sort roughly by creation."""
    return UUID(str(uuid6.uuid7()))


def derived_event_id(occurred_at: datetime, *parts: object) -> UUID:
    """A UUIDv7 computed, not drawn: the same inputs always give the same id.

    Layout (RFC 9562): the first 48 bits are ``occurred_at`` in Unix milliseconds, then the
    version nibble 7, 12 bits, the variant bits 10, and 62 bits; the 74 non-time bits are the
    first bits of SHA-256 over the parts' text joined by NUL bytes. A handler that emits with
    derived ids emits byte-identical events when the log is replayed.
    """
    if occurred_at.tzinfo is None:
        raise ValueError("occurred_at must carry a UTC offset")
    millis = _unix_millis(occurred_at)
    digest = int.from_bytes(hashlib.sha256("\x00".join(str(p) for p in parts).encode()).digest()[:10], "big")
    rand_a = digest >> 68  # 12 bits
    rand_b = digest & ((1 << 62) - 1)  # 62 bits
    value = (millis & ((1 << 48) - 1)) << 80 | 0x7 << 76 | rand_a << 64 | 0b10 << 62 | rand_b
    return UUID(int=value)


def _unix_millis(moment: datetime) -> int:
    # Integer arithmetic on the timedelta: no float rounding at millisecond boundaries.
    delta = moment.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def utc_now() -> datetime:
    return datetime.now(UTC)

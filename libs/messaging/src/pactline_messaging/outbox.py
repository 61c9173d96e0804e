"""Appending events to the outbox inside the caller's transaction.

The stream head row is locked while the event is sealed, so sequence numbers and the hash
chain of a stream never fork, even with several replicas writing.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime
from uuid import UUID

import asyncpg
from opentelemetry import propagate

from pactline_events import GENESIS_HASH, Envelope, EventPayload, PendingEvent, encode, new_event_id, topic_for

from .correlation import correlation_id as current_correlation_id

NOTIFY_CHANNEL = "pactline_outbox"


async def append(conn: asyncpg.Connection, pending: PendingEvent, *, producer: str) -> Envelope:
    """Seal ``pending`` as the next event of its stream and queue it for publishing.

    Must run inside the transaction that makes the state change the event describes.
    """
    if not conn.is_in_transaction():
        raise RuntimeError("outbox.append must run inside the state change's transaction")
    # One round trip takes (and locks, through the no-op update) the stream head...
    head = await conn.fetchrow(
        """INSERT INTO event_streams (stream_id, last_seq, last_hash) VALUES ($1, 0, $2)
           ON CONFLICT (stream_id) DO UPDATE SET last_seq = event_streams.last_seq
           RETURNING last_seq, last_hash""",
        pending.stream_id,
        GENESIS_HASH,
    )
    envelope = pending.seal(producer=producer, stream_seq=head["last_seq"] + 1, prev_hash=head["last_hash"])
    value = encode(envelope)
    headers = {
        "event_type": envelope.event_type,
        "event_id": str(envelope.event_id),
        "correlation_id": str(envelope.correlation_id),
        "content-type": "application/json",
    }
    propagate.inject(headers)  # trace context travels to consumers in Kafka headers
    # ...and one more moves it, queues the event and wakes the relay. The notification is
    # delivered at commit only, so the relay never wakes for a rolled-back event.
    await conn.execute(
        """WITH moved AS (
               UPDATE event_streams SET last_seq = $4, last_hash = $8 WHERE stream_id = $3
           ), queued AS (
               INSERT INTO outbox (event_id, event_type, stream_id, stream_seq, topic, value, headers)
               VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)
           )
           SELECT pg_notify($9, '')""",
        envelope.event_id,
        envelope.event_type,
        envelope.stream_id,
        envelope.stream_seq,
        topic_for(envelope.event_type),
        value,
        json.dumps(headers),
        hashlib.sha256(value).hexdigest(),
        NOTIFY_CHANNEL,
    )
    return envelope


async def emit(
    conn: asyncpg.Connection,
    producer: str,
    stream_id: str,
    payload: EventPayload,
    *,
    occurred_at: datetime,
    event_id: UUID | None = None,
    correlation_id: UUID | None = None,
    causation_id: UUID | None = None,
) -> Envelope:
    """Append ``payload`` as the next event of ``stream_id``, in the caller's transaction.

    The correlation id defaults to the one of the work in progress (HTTP request or handled
    event, ``pactline_messaging.correlation``), else a fresh one; the event id to a new UUIDv7.
    Handlers use ``HandlerContext.emit``, which derives both from the event being handled.
    """
    if correlation_id is None:
        current = current_correlation_id.get()
        correlation_id = UUID(current) if current else uuid.uuid4()
    pending = PendingEvent(
        event_id=event_id or new_event_id(),
        occurred_at=occurred_at,
        stream_id=stream_id,
        correlation_id=correlation_id,
        causation_id=causation_id,
        payload=payload,
    )
    return await append(conn, pending, producer=producer)

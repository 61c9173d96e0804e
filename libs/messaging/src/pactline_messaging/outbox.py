"""Appending events to the outbox inside the caller's transaction.

The stream head row is locked while the event is sealed, so sequence numbers and the hash
chain of a stream never fork, even with several replicas writing. Outbox ids are taken in
append order, so within a stream id order is ``stream_seq`` order (the relay relies on it).
Each event is signed here with the producer's key (``event_keys.signing_key``), encoded once.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

import asyncpg
import orjson
from opentelemetry import propagate

from pactline_events import GENESIS_HASH, Envelope, EventPayload, PendingEvent, encode, new_event_id, topic_for

from . import event_keys
from .correlation import correlation_id as current_correlation_id

NOTIFY_CHANNEL = "pactline_outbox"


async def append(conn: asyncpg.Connection, pending: PendingEvent, *, producer: str) -> Envelope:
    """Seal ``pending`` as the next event of its stream and queue it for publishing.

    Must run inside the transaction that makes the state change the event describes.
    """
    return (await append_many(conn, [pending], producer=producer))[0]


async def append_many(
    conn: asyncpg.Connection,
    pendings: Sequence[PendingEvent],
    *,
    producer: str,
    payload_json: Sequence[bytes] | None = None,
) -> list[Envelope]:
    """Seal ``pendings`` in order (several may share a stream) and queue them, in two round trips.

    The same events, bytes and chain as appending them one by one; one statement takes and
    locks every stream head (in stream order, so two writers never wait on each other in a
    cycle), one more moves the heads, queues the events and wakes the relay.

    ``payload_json``: each pending's payload as canonical JSON (``canonical_json`` of its
    ``model_dump(mode="json")``), in order, when the caller has it already (to store the payload
    too); it is put in the event's bytes as it is (``pactline_events.encode``).
    """
    if not conn.is_in_transaction():
        raise RuntimeError("outbox.append must run inside the state change's transaction")
    if not pendings:
        return []
    if payload_json is not None and len(payload_json) != len(pendings):
        raise ValueError(f"{len(payload_json)} payload texts for {len(pendings)} events")
    key = event_keys.signing_key(producer)  # before any statement: no key, no event
    streams = sorted({p.stream_id for p in pendings})
    # The no-op update locks an existing head; a new stream gets a genesis head, locked too.
    rows = await conn.fetch(
        """INSERT INTO event_streams (stream_id, last_seq, last_hash)
           SELECT s, 0, $2 FROM unnest($1::text[]) AS t(s) ORDER BY s
           ON CONFLICT (stream_id) DO UPDATE SET last_seq = event_streams.last_seq
           RETURNING stream_id, last_seq, last_hash""",
        streams,
        GENESIS_HASH,
    )
    heads: dict[str, tuple[int, str]] = {r["stream_id"]: (r["last_seq"], r["last_hash"]) for r in rows}
    envelopes: list[Envelope] = []
    values: list[bytes] = []
    headers: list[str] = []
    trace: dict[str, str] = {}
    propagate.inject(trace)  # the current trace context travels to consumers in Kafka headers
    for index, pending in enumerate(pendings):
        seq, prev_hash = heads[pending.stream_id]
        data = payload_json[index] if payload_json is not None else None
        if key is None:  # signatures not required (local use only)
            envelope = pending.seal(producer=producer, stream_seq=seq + 1, prev_hash=prev_hash)
            value = encode(envelope, data)
        else:
            unsigned = pending.seal(producer=producer, stream_seq=seq + 1, prev_hash=prev_hash, key_id=key.key_id)
            envelope, value = key.sign(unsigned, data)
        heads[pending.stream_id] = (seq + 1, hashlib.sha256(value).hexdigest())
        carrier = {
            "event_type": envelope.event_type,
            "event_id": str(envelope.event_id),
            "correlation_id": str(envelope.correlation_id),
            "content-type": "application/json",
            **trace,
        }
        envelopes.append(envelope)
        values.append(value)
        headers.append(orjson.dumps(carrier).decode())
    # The notification is delivered at commit only, so the relay never wakes for a rolled-back event.
    await conn.execute(
        """WITH moved AS (
               UPDATE event_streams e SET last_seq = h.seq, last_hash = h.hash
               FROM unnest($1::text[], $2::bigint[], $3::text[]) AS h(stream_id, seq, hash)
               WHERE e.stream_id = h.stream_id
           ), queued AS (
               INSERT INTO outbox (event_id, event_type, stream_id, stream_seq, topic, value, headers)
               SELECT * FROM unnest($4::uuid[], $5::text[], $6::text[], $7::bigint[], $8::text[], $9::bytea[],
                                    $10::jsonb[])
           )
           SELECT pg_notify($11, '')""",
        list(heads),
        [h[0] for h in heads.values()],
        [h[1] for h in heads.values()],
        [e.event_id for e in envelopes],
        [e.event_type for e in envelopes],
        [e.stream_id for e in envelopes],
        [e.stream_seq for e in envelopes],
        [topic_for(e.event_type) for e in envelopes],
        values,
        headers,
        NOTIFY_CHANNEL,
    )
    return envelopes


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

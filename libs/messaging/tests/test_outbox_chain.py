"""Appending to the outbox seals a per-stream hash chain that the verifier accepts."""

from __future__ import annotations

import hashlib
from uuid import uuid4

import pytest

from pactline_events import AgentRegistered, PendingEvent, canonical_json, decode, new_event_id, utc_now, verify_chain
from pactline_messaging import open_pool, outbox

pytestmark = pytest.mark.infra


def pending(stream: str, n: int) -> PendingEvent:
    return PendingEvent(
        event_id=new_event_id(),
        occurred_at=utc_now(),
        stream_id=stream,
        correlation_id=uuid4(),
        payload=AgentRegistered(
            agent_id=f"a{n}",
            name=f"agent {n}",
            operator_id="o",
            operator_address="0x" + "2" * 40,
            model_family="google",
        ),
    )


async def test_streams_get_consecutive_seqs_and_a_valid_chain(database_url, db_schema):
    pool = await open_pool(database_url, db_schema)
    try:
        for n in range(3):
            for stream in ("agent-a", "agent-b"):
                async with pool.acquire() as conn, conn.transaction():
                    await outbox.append(conn, pending(stream, n), producer="test")
        rows = await pool.fetch("SELECT value FROM outbox ORDER BY id")
        raw = [bytes(r["value"]) for r in rows]
        heads = verify_chain(raw).heads
        assert {s: h.seq for s, h in heads.items()} == {"agent-a": 3, "agent-b": 3}
        assert [decode(r).stream_seq for r in raw] == [1, 1, 2, 2, 3, 3]
    finally:
        await pool.close()


async def test_a_rolled_back_append_leaves_no_event_and_no_gap(database_url, db_schema):
    pool = await open_pool(database_url, db_schema)
    try:
        async with pool.acquire() as conn, conn.transaction():
            await outbox.append(conn, pending("agent-a", 0), producer="test")

        async def failing_state_change() -> None:
            async with pool.acquire() as conn, conn.transaction():
                await outbox.append(conn, pending("agent-a", 1), producer="test")
                raise LookupError("the state change fails after the append")

        with pytest.raises(LookupError):
            await failing_state_change()
        async with pool.acquire() as conn, conn.transaction():
            await outbox.append(conn, pending("agent-a", 2), producer="test")
        raw = [bytes(r["value"]) for r in await pool.fetch("SELECT value FROM outbox ORDER BY id")]
        assert [decode(r).payload.name for r in raw] == ["agent 0", "agent 2"]
        assert verify_chain(raw).heads["agent-a"].seq == 2
    finally:
        await pool.close()


@pytest.mark.parametrize("with_payload_json", [False, True], ids=["dumped-here", "dumped-by-caller"])
async def test_append_many_gives_the_bytes_and_chain_of_appending_one_by_one(
    database_url, db_schema, with_payload_json
):
    existing = pending("agent-a", 99)  # a stream whose head is already in the table
    events = [pending(stream, n) for n in range(4) for stream in ("agent-b", "agent-a", "agent-b")]
    other_schema = f"{db_schema}_many"
    one_by_one = await open_pool(database_url, db_schema)
    batched = await open_pool(database_url, other_schema)
    try:
        for pool in (one_by_one, batched):
            async with pool.acquire() as conn, conn.transaction():
                await outbox.append(conn, existing, producer="test")
        async with one_by_one.acquire() as conn, conn.transaction():
            singly = [await outbox.append(conn, p, producer="test") for p in events]
        async with batched.acquire() as conn, conn.transaction():
            texts = [canonical_json(p.payload.model_dump(mode="json")) for p in events] if with_payload_json else None
            together = await outbox.append_many(conn, events, producer="test", payload_json=texts)
        assert together == singly
        query = "SELECT value, stream_seq, lane FROM outbox ORDER BY id"
        rows = [tuple(r) for r in await batched.fetch(query)]
        assert rows == [tuple(r) for r in await one_by_one.fetch(query)]
        assert verify_chain([bytes(r[0]) for r in rows]).heads["agent-b"].seq == 8
        heads = "SELECT stream_id, last_seq, last_hash FROM event_streams ORDER BY stream_id"
        assert [tuple(r) for r in await batched.fetch(heads)] == [tuple(r) for r in await one_by_one.fetch(heads)]
    finally:
        await one_by_one.close()
        await batched.execute(f"DROP SCHEMA {other_schema} CASCADE")
        await batched.close()


async def test_the_lane_of_a_stream_is_the_low_bits_of_the_first_md5_byte(database_url, db_schema):
    """The rule docs/messaging.md gives, so that a tool in any language finds a stream's lane."""
    pool = await open_pool(database_url, db_schema)
    try:
        streams = [f"acceptance-{n}" for n in range(40)] + ["agent-é"]
        async with pool.acquire() as conn, conn.transaction():
            await outbox.append_many(conn, [pending(s, 0) for s in streams], producer="test")
        lanes = dict(await pool.fetch("SELECT stream_id, lane FROM outbox"))
        assert lanes == {s: hashlib.md5(s.encode(), usedforsecurity=False).digest()[0] & 15 for s in streams}
        assert len(set(lanes.values())) > 8
    finally:
        await pool.close()


async def test_payload_texts_not_matching_the_events_are_refused_and_append_nothing(database_url, db_schema):
    pool = await open_pool(database_url, db_schema)
    try:
        events = [pending("agent-a", 0), pending("agent-a", 1)]
        async with pool.acquire() as conn, conn.transaction():
            with pytest.raises(ValueError, match="1 payload texts for 2 events"):
                await outbox.append_many(
                    conn,
                    events,
                    producer="test",
                    payload_json=[canonical_json(events[0].payload.model_dump(mode="json"))],
                )
        assert await pool.fetchval("SELECT count(*) FROM outbox") == 0
        assert await pool.fetchval("SELECT count(*) FROM event_streams") == 0
    finally:
        await pool.close()

"""Appending to the outbox seals a per-stream hash chain that the verifier accepts."""

from __future__ import annotations

from uuid import uuid4

import pytest

from pactline_events import AgentRegistered, PendingEvent, decode, new_event_id, utc_now, verify_chain
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

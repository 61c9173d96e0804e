"""Small builders for events used across the events tests."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from pactline_events import GENESIS_HASH, AgentRegistered, Envelope, PendingEvent, encode, event_hash

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def agent(agent_id: str = "a-1", name: str = "Support bot") -> AgentRegistered:
    return AgentRegistered(
        agent_id=agent_id,
        name=name,
        operator_id="op-1",
        operator_address="0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
        model_family="anthropic",
    )


def agent_event(
    stream_id: str,
    name: str = "Support bot",
    *,
    seq: int = 1,
    prev_hash: str = GENESIS_HASH,
    event_id: UUID | None = None,
    key_id: str | None = None,
) -> Envelope:
    """An AgentRegistered sealed as event ``seq`` of ``stream_id`` (producer ``test``, unsigned)."""
    return PendingEvent(
        event_id=event_id or UUID(int=seq),
        occurred_at=T0,
        stream_id=stream_id,
        correlation_id=UUID(int=1),
        payload=agent(name=name),
    ).seal(producer="test", stream_seq=seq, prev_hash=prev_hash, key_id=key_id)


def stream(stream_id: str, count: int, start: int = 0) -> list[bytes]:
    """``count`` chained events of one stream, as wire bytes."""
    out: list[bytes] = []
    prev = GENESIS_HASH
    for seq in range(1, count + 1):
        env = agent_event(stream_id, f"bot {seq}", seq=seq, prev_hash=prev, event_id=UUID(int=start + seq))
        prev = event_hash(env)
        out.append(encode(env))
    return out

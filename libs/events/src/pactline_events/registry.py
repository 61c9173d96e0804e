"""The explicit event type registry: wire name -> payload class. Never derived from modules."""

from __future__ import annotations

from .envelope import EventPayload
from .evaluation_events import JuryDeliberated, JuryRequested, VerdictIssued
from .registry_events import AcceptanceRevoked, AgentRegistered, PactAccepted, PactPublished, TaskCompleted
from .settlement_events import EscrowFunded, EscrowSettled, TrustScoreUpdated

EVENT_TYPES: dict[str, type[EventPayload]] = {
    "AgentRegistered": AgentRegistered,
    "PactPublished": PactPublished,
    "PactAccepted": PactAccepted,
    "TaskCompleted": TaskCompleted,
    "AcceptanceRevoked": AcceptanceRevoked,
    "JuryRequested": JuryRequested,
    "JuryDeliberated": JuryDeliberated,
    "VerdictIssued": VerdictIssued,
    "EscrowFunded": EscrowFunded,
    "EscrowSettled": EscrowSettled,
    "TrustScoreUpdated": TrustScoreUpdated,
}

for _name, _cls in EVENT_TYPES.items():
    if _cls.event_type != _name:  # pragma: no cover - guards the table above
        raise RuntimeError(f"registry name {_name!r} != {_cls.__name__}.event_type {_cls.event_type!r}")

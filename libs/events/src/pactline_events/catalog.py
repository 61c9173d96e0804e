"""The event type catalog: wire name -> payload class, explicit, never derived from modules."""

from __future__ import annotations

from .envelope import EventPayload
from .escrow_events import EscrowFunded, EscrowReclaimed, EscrowSettled, EscrowSubmitted
from .jury_events import JuryDeliberated, JuryRequested
from .registry_events import (
    AcceptanceRevoked,
    AgentEndpointRegistered,
    AgentRegistered,
    ApiKeyIssued,
    ApiKeyRevoked,
    PactAccepted,
    PactPublished,
    TaskCompleted,
    TaskDisputed,
)
from .scoring_events import TrustScoreUpdated
from .verdict_events import VerdictIssued

EVENT_TYPES: dict[str, type[EventPayload]] = {
    "AgentRegistered": AgentRegistered,
    "PactPublished": PactPublished,
    "PactAccepted": PactAccepted,
    "TaskCompleted": TaskCompleted,
    "AcceptanceRevoked": AcceptanceRevoked,
    "AgentEndpointRegistered": AgentEndpointRegistered,
    "TaskDisputed": TaskDisputed,
    "ApiKeyIssued": ApiKeyIssued,
    "ApiKeyRevoked": ApiKeyRevoked,
    "JuryRequested": JuryRequested,
    "JuryDeliberated": JuryDeliberated,
    "VerdictIssued": VerdictIssued,
    "EscrowFunded": EscrowFunded,
    "EscrowSettled": EscrowSettled,
    "EscrowSubmitted": EscrowSubmitted,
    "EscrowReclaimed": EscrowReclaimed,
    "TrustScoreUpdated": TrustScoreUpdated,
}

for _name, _cls in EVENT_TYPES.items():
    if _cls.event_type != _name:  # pragma: no cover - guards the table above
        raise RuntimeError(f"catalog name {_name!r} != {_cls.__name__}.event_type {_cls.event_type!r}")

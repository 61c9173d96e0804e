"""The event type catalog: wire name -> payload class, explicit, never derived from modules;
and the authority table: which services may write each event type."""

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
from .topics import EVENT_TOPICS, TopicSpec
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

EVENT_PRODUCERS: dict[str, tuple[str, ...]] = {
    "AgentRegistered": ("pact-registry",),
    "PactPublished": ("pact-registry",),
    "PactAccepted": ("pact-registry",),
    # Tasks come in through the registry's API (reported by the buyer) or, metered, through the
    # gateway that forwards the agent's calls.
    "TaskCompleted": ("pact-registry", "gateway"),
    "AcceptanceRevoked": ("pact-registry",),
    "AgentEndpointRegistered": ("pact-registry",),
    "TaskDisputed": ("pact-registry",),
    "ApiKeyIssued": ("pact-registry",),
    "ApiKeyRevoked": ("pact-registry",),
    "JuryRequested": ("evaluator",),
    "JuryDeliberated": ("jury",),
    "VerdictIssued": ("evaluator",),
    "EscrowFunded": ("settlement",),
    "EscrowSettled": ("settlement",),
    "EscrowSubmitted": ("settlement",),
    "EscrowReclaimed": ("settlement",),
    "TrustScoreUpdated": ("scoring",),
}
"""Who may write what. A consumer refuses an event whose ``producer`` is not listed for its
type, and an event signed by a key of another producer (``pactline_events.signing``); the
broker's ACLs give each producer write access to the topics of its types only."""

if set(EVENT_PRODUCERS) != set(EVENT_TYPES):  # pragma: no cover - guards the tables above
    _missing = sorted(set(EVENT_TYPES) - set(EVENT_PRODUCERS))
    _unknown = sorted(set(EVENT_PRODUCERS) - set(EVENT_TYPES))
    raise RuntimeError(f"EVENT_PRODUCERS must list every event type, no other: missing {_missing}, unknown {_unknown}")

PRODUCERS: tuple[str, ...] = tuple(sorted({p for names in EVENT_PRODUCERS.values() for p in names}))
"""Every service that writes events: one broker principal and one signing key each."""


def producers_of(event_type: str) -> tuple[str, ...]:
    """The services that may write ``event_type`` (empty for a type the catalog does not know)."""
    return EVENT_PRODUCERS.get(event_type, ())


def topics_written_by(producer: str) -> tuple[TopicSpec, ...]:
    """The event topics ``producer`` writes: those carrying a type it may write."""
    return tuple(spec for spec in EVENT_TOPICS if any(producer in producers_of(t) for t in spec.event_types))

"""Pactline's event contract: envelope, catalog, canonical JSON, hash chain, upcasters, topics."""

from .canonical import FloatNotAllowed, canonical_json, sha256_hex
from .catalog import EVENT_TYPES
from .chain import ChainVerifier, StreamHead, verify_chain
from .codec import decode, decode_data, encode, event_hash
from .envelope import GENESIS_HASH, Envelope, EventPayload, PendingEvent
from .errors import ChainBroken, EventError, InvalidEventPayload, MalformedEvent, UnknownEventType
from .escrow_events import EscrowFunded, EscrowReclaimed, EscrowSettled, EscrowSubmitted, SettledLeaf
from .ids import derived_event_id, new_event_id, utc_now
from .jury_events import Judgment, JuryDeliberated, JuryRequested, RubricItem, RubricResult
from .registry_events import (
    AcceptanceRevoked,
    AcceptedEscrow,
    AgentEndpointRegistered,
    AgentError,
    AgentRegistered,
    ApiKeyIssued,
    ApiKeyRevoked,
    Countersignature,
    PactAccepted,
    PactPublished,
    Provenance,
    TaskCompleted,
    TaskDisputed,
    TokenSource,
    ToolCall,
)
from .scoring_events import DimensionScore, TrustScoreUpdated
from .topics import ALL_TOPICS, DEAD_LETTERS, EVENT_TOPICS, TopicSpec, topic_for
from .types import EscrowMode, ModelFamily, Outcome
from .verdict_events import ClauseResult, DimensionResult, SamplingRecord, VerdictIssued

__all__ = [
    "ALL_TOPICS",
    "DEAD_LETTERS",
    "EVENT_TOPICS",
    "EVENT_TYPES",
    "GENESIS_HASH",
    "AcceptanceRevoked",
    "AcceptedEscrow",
    "AgentEndpointRegistered",
    "AgentError",
    "AgentRegistered",
    "ApiKeyIssued",
    "ApiKeyRevoked",
    "ChainBroken",
    "ChainVerifier",
    "ClauseResult",
    "Countersignature",
    "DimensionResult",
    "DimensionScore",
    "Envelope",
    "EscrowFunded",
    "EscrowMode",
    "EscrowReclaimed",
    "EscrowSettled",
    "EscrowSubmitted",
    "EventError",
    "EventPayload",
    "FloatNotAllowed",
    "InvalidEventPayload",
    "Judgment",
    "JuryDeliberated",
    "JuryRequested",
    "MalformedEvent",
    "ModelFamily",
    "Outcome",
    "PactAccepted",
    "PactPublished",
    "PendingEvent",
    "Provenance",
    "RubricItem",
    "RubricResult",
    "SamplingRecord",
    "SettledLeaf",
    "StreamHead",
    "TaskCompleted",
    "TaskDisputed",
    "TokenSource",
    "ToolCall",
    "TopicSpec",
    "TrustScoreUpdated",
    "UnknownEventType",
    "VerdictIssued",
    "canonical_json",
    "decode",
    "decode_data",
    "derived_event_id",
    "encode",
    "event_hash",
    "new_event_id",
    "sha256_hex",
    "topic_for",
    "utc_now",
    "verify_chain",
]

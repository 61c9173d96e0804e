"""Pactline's event contract: envelope, catalog, canonical JSON, hash chain, upcasters, topics."""

from .canonical import FloatNotAllowed, canonical_json, sha256_hex
from .catalog import EVENT_PRODUCERS, EVENT_TYPES, PRODUCERS, producers_of, topics_written_by
from .chain import ChainVerifier, StreamHead, verify_chain
from .codec import decode, decode_data, encode, event_hash
from .envelope import GENESIS_HASH, Envelope, EventPayload, PendingEvent
from .errors import (
    ChainBroken,
    EventError,
    EventRefused,
    ForgedEvent,
    InvalidEventPayload,
    MalformedEvent,
    MisroutedEvent,
    UnknownEventType,
)
from .escrow_events import EscrowFunded, EscrowSettled
from .ids import derived_event_id, new_event_id, utc_now
from .jury_events import Judgment, JuryDeliberated, JuryRequested, RubricItem, RubricResult
from .registry_events import (
    AcceptanceRevoked,
    AcceptedEscrow,
    AgentRegistered,
    PactAccepted,
    PactPublished,
    TaskCompleted,
    ToolCall,
)
from .scoring_events import DimensionScore, TrustScoreUpdated
from .signing import EventSigningKey, EventVerifier, KeyMaterialError, TrustedKey, TrustStore, WrongSigningKey
from .topics import ALL_TOPICS, DEAD_LETTERS, EVENT_TOPICS, TopicSpec, topic_for
from .types import EscrowMode, ModelFamily, Outcome
from .verdict_events import ClauseResult, DimensionResult, SamplingRecord, VerdictIssued

__all__ = [
    "ALL_TOPICS",
    "DEAD_LETTERS",
    "EVENT_PRODUCERS",
    "EVENT_TOPICS",
    "EVENT_TYPES",
    "GENESIS_HASH",
    "PRODUCERS",
    "AcceptanceRevoked",
    "AcceptedEscrow",
    "AgentRegistered",
    "ChainBroken",
    "ChainVerifier",
    "ClauseResult",
    "DimensionResult",
    "DimensionScore",
    "Envelope",
    "EscrowFunded",
    "EscrowMode",
    "EscrowSettled",
    "EventError",
    "EventPayload",
    "EventRefused",
    "EventSigningKey",
    "EventVerifier",
    "FloatNotAllowed",
    "ForgedEvent",
    "InvalidEventPayload",
    "Judgment",
    "JuryDeliberated",
    "JuryRequested",
    "KeyMaterialError",
    "MalformedEvent",
    "MisroutedEvent",
    "ModelFamily",
    "Outcome",
    "PactAccepted",
    "PactPublished",
    "PendingEvent",
    "RubricItem",
    "RubricResult",
    "SamplingRecord",
    "StreamHead",
    "TaskCompleted",
    "ToolCall",
    "TopicSpec",
    "TrustScoreUpdated",
    "TrustStore",
    "TrustedKey",
    "UnknownEventType",
    "VerdictIssued",
    "WrongSigningKey",
    "canonical_json",
    "decode",
    "decode_data",
    "derived_event_id",
    "encode",
    "event_hash",
    "new_event_id",
    "producers_of",
    "sha256_hex",
    "topic_for",
    "topics_written_by",
    "utc_now",
    "verify_chain",
]

"""The envelope every event travels in, and the payload base class events derive from."""

from __future__ import annotations

from typing import Any, ClassVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_serializer

from .types import Sha256Hex, UtcDatetime

GENESIS_HASH = "0" * 64
"""``prev_hash`` of the first event of every stream."""

KEY_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$"
SIGNATURE_PATTERN = r"^[0-9a-f]{128}$"


_PAYLOAD = frozenset({"payload"})


def _absent(value: object) -> bool:
    return value is None


class EventPayload(BaseModel):
    """Base of every event payload. Subclasses set ``event_type`` and ``schema_version``.

    ``event_type`` is an explicit, stable name (never derived from the module path), so a class
    can move or be renamed without changing the wire format.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_type: ClassVar[str]
    schema_version: ClassVar[int] = 1


class Envelope(BaseModel):
    """Metadata plus payload. ``stream_seq`` and ``prev_hash`` chain each stream.

    ``key_id`` and ``signature`` are left out of the JSON when absent (events written before
    signing keep their bytes and hashes); ``pactline_events.signing`` fills them in.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: UUID = Field(description="UUIDv7 of this event")
    event_type: str
    schema_version: int = Field(ge=1)
    occurred_at: UtcDatetime = Field(description="Event time, UTC")
    producer: str = Field(min_length=1, max_length=64)
    stream_id: str = Field(min_length=1, max_length=200, description="The aggregate; also the Kafka key")
    stream_seq: int = Field(ge=1)
    correlation_id: UUID
    causation_id: UUID | None = None
    prev_hash: Sha256Hex
    key_id: str | None = Field(
        None,
        pattern=KEY_ID_PATTERN,
        exclude_if=_absent,
        description="The producer's signing key (its id in the trust store); signed like every other field",
    )
    signature: str | None = Field(
        None,
        pattern=SIGNATURE_PATTERN,
        exclude_if=_absent,
        description="Ed25519 over the canonical JSON of the event without this field, lowercase hex",
    )
    payload: EventPayload

    @field_serializer("payload")
    def _payload(self, value: EventPayload) -> dict[str, Any]:
        return value.model_dump(mode="json")

    def to_json_dict(self, payload_data: dict[str, Any] | None = None) -> dict[str, Any]:
        """Plain JSON data of the whole event, the input of canonical JSON and of the hash.

        ``payload_data`` replaces the payload's ``model_dump(mode="json")`` (``encode`` passes
        ``{}`` when it puts the payload's canonical bytes in place itself).
        """
        if payload_data is None:
            return self.model_dump(mode="json")
        data = self.model_dump(mode="json", exclude=_PAYLOAD)
        data["payload"] = payload_data
        return data


class PendingEvent(BaseModel):
    """An event decided by domain code but not yet placed in its stream.

    Domain code takes ids and time as inputs; the outbox assigns ``stream_seq`` and
    ``prev_hash`` when it appends, inside the same transaction as the state change.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: UUID
    occurred_at: UtcDatetime
    stream_id: str
    correlation_id: UUID
    causation_id: UUID | None = None
    payload: EventPayload

    def seal(self, *, producer: str, stream_seq: int, prev_hash: str, key_id: str | None = None) -> Envelope:
        """The envelope, unsigned; ``key_id`` names the key ``pactline_events.signing`` signs it with."""
        return Envelope(
            event_id=self.event_id,
            event_type=self.payload.event_type,
            schema_version=self.payload.schema_version,
            occurred_at=self.occurred_at,
            producer=producer,
            stream_id=self.stream_id,
            stream_seq=stream_seq,
            correlation_id=self.correlation_id,
            causation_id=self.causation_id,
            prev_hash=prev_hash,
            key_id=key_id,
            payload=self.payload,
        )

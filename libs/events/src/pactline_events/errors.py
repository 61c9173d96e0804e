"""Errors raised while encoding, decoding or verifying events; each names what is wrong."""

from __future__ import annotations


class EventError(ValueError):
    """Base class of every event contract error."""


class MalformedEvent(EventError):
    """The bytes are not a JSON object with a valid envelope."""

    def __init__(self, reason: str, field: str | None = None) -> None:
        self.reason = reason
        self.field = field
        where = f" (field {field})" if field else ""
        super().__init__(f"malformed event{where}: {reason}")


class UnknownEventType(EventError):
    def __init__(self, event_type: str, schema_version: int | None = None) -> None:
        self.event_type = event_type
        self.schema_version = schema_version
        version = f" v{schema_version}" if schema_version is not None else ""
        super().__init__(f"unknown event type {event_type!r}{version}")


class InvalidEventPayload(EventError):
    """A payload failed validation; ``fields`` maps each bad field path to the reason."""

    def __init__(self, event_type: str, fields: dict[str, str]) -> None:
        self.event_type = event_type
        self.fields = fields
        detail = "; ".join(f"{event_type}.{path}: {why}" for path, why in fields.items())
        super().__init__(f"invalid {event_type} payload: {detail}")

    @property
    def field(self) -> str:
        return next(iter(self.fields))


class ChainBroken(EventError):
    """The per-stream hash chain does not hold: an event is missing, altered or reordered."""

    def __init__(self, stream_id: str, stream_seq: int, reason: str) -> None:
        self.stream_id = stream_id
        self.stream_seq = stream_seq
        self.reason = reason
        super().__init__(f"hash chain broken in stream {stream_id!r} at seq {stream_seq}: {reason}")


class EventRefused(EventError):
    """A well-formed event a reader must not act on; ``kind`` is the dead-letter kind.

    The message names the event (type, id, stream and position) and the reason.
    """

    kind = "refused"

    def __init__(
        self,
        reason: str,
        *,
        event_type: object = None,
        event_id: object = None,
        stream_id: object = None,
        stream_seq: object = None,
    ) -> None:
        self.reason = reason
        self.event_type = event_type
        self.event_id = event_id
        self.stream_id = stream_id
        self.stream_seq = stream_seq
        super().__init__(f"{self.kind} event {event_type} {event_id} (stream {stream_id!r} seq {stream_seq}): {reason}")


class ForgedEvent(EventRefused):
    """Not written by whom it claims: unsigned, signed by an untrusted key or by another
    producer's key, a signature that does not verify, or a producer that may not write its type."""

    kind = "forged"


class MisroutedEvent(EventRefused):
    """An authentic event on a topic its type does not travel on (replayed onto another topic)."""

    kind = "misrouted"

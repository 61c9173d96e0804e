"""Encoding events to canonical bytes and decoding (with upcasting) back to typed envelopes."""

from __future__ import annotations

import hashlib
from typing import Any

from pydantic import ValidationError

from .bounded_json import JsonTooDeep, parse_json
from .canonical import canonical_json
from .catalog import EVENT_TYPES
from .envelope import Envelope
from .errors import InvalidEventPayload, MalformedEvent, UnknownEventType
from .upcasters import upcast

MAX_EVENT_BYTES = 900_000
"""Below the broker's default 1 MiB message limit, leaving room for headers."""


PAYLOAD_SLOT = b'"payload":{}'
"""The payload member of an event whose payload is empty (``encode``'s ``payload_json``)."""


def encode(envelope: Envelope, payload_json: bytes | None = None) -> bytes:
    """Canonical JSON bytes of the event: what goes on the wire and what is hashed.

    ``payload_json``: the payload's own canonical bytes (``canonical_json`` of its
    ``model_dump(mode="json")``), when the caller has them already (to store them too). They
    are put in place as they are: canonical JSON of an object is its members in key order,
    each value in its own canonical form, so the event's bytes are those of the event with an
    empty payload, its ``{}`` replaced by the payload's bytes. The envelope has no other object
    member, and inside a string every ``"`` is escaped, so ``"payload":{}`` occurs exactly once.
    """
    if payload_json is None:
        return canonical_json(envelope.to_json_dict())
    shell = canonical_json(envelope.to_json_dict({}))
    at = shell.index(PAYLOAD_SLOT) + len(PAYLOAD_SLOT) - 2
    return b"".join((shell[:at], payload_json, shell[at + 2 :]))


def event_hash(envelope: Envelope) -> str:
    """SHA-256 (hex) of the event's canonical bytes; the next event's ``prev_hash``."""
    return hashlib.sha256(encode(envelope)).hexdigest()


def _reject_float(text: str) -> Any:
    raise MalformedEvent(f"float {text} is not allowed: money is integer minor units, ratios decimal strings")


def _pointer(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(root)"


def decode(raw: bytes | str | None) -> Envelope:
    """Parse wire bytes into a typed envelope, upcasting old payload versions.

    Raises ``MalformedEvent`` (not JSON, floats, bad envelope), ``UnknownEventType`` or
    ``InvalidEventPayload`` (names the event type and each bad field).
    """
    if raw is None:
        raise MalformedEvent("no value (a tombstone): events are never deleted, so a null value is not an event")
    if not isinstance(raw, (bytes, str)):
        raise MalformedEvent(f"value is {type(raw).__name__}, not bytes")
    if len(raw) > MAX_EVENT_BYTES:
        raise MalformedEvent(f"event is {len(raw)} bytes, above the {MAX_EVENT_BYTES} limit")
    try:
        data = parse_json(raw, parse_float=_reject_float, parse_constant=_reject_float)
    except MalformedEvent:
        raise
    except JsonTooDeep as exc:
        raise MalformedEvent(str(exc)) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedEvent(f"not JSON: {exc}") from None
    try:
        return decode_data(data)
    except RecursionError:
        raise MalformedEvent("JSON nested too deeply") from None


def decode_data(data: Any) -> Envelope:
    """Like ``decode`` for already-parsed JSON data."""
    if not isinstance(data, dict):
        raise MalformedEvent("event must be a JSON object")
    event_type = data.get("event_type")
    if not isinstance(event_type, str):
        raise MalformedEvent("missing or non-string event_type", field="event_type")
    version = data.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise MalformedEvent("schema_version must be a positive integer", field="schema_version")
    cls = EVENT_TYPES.get(event_type)
    if cls is None:
        raise UnknownEventType(event_type, version)
    if version > cls.schema_version:
        raise UnknownEventType(event_type, version)
    payload = data.get("payload")
    if not isinstance(payload, dict):
        raise MalformedEvent("payload must be a JSON object", field="payload")
    if version < cls.schema_version:
        payload = upcast(event_type, version, payload, cls.schema_version)
    try:
        typed = cls.model_validate(payload)
    except ValidationError as exc:
        fields = {_pointer(err["loc"]): err["msg"] for err in exc.errors()}
        raise InvalidEventPayload(event_type, fields) from None
    envelope_fields = {key: value for key, value in data.items() if key != "payload"}
    # The envelope keeps the version it was written with: upcasting changes the payload's
    # shape, never the stored event's identity or hash.
    try:
        return Envelope.model_validate({**envelope_fields, "payload": typed})
    except ValidationError as exc:
        err = exc.errors()[0]
        raise MalformedEvent(err["msg"], field=_pointer(err["loc"])) from None

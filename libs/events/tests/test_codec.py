"""Encoding and decoding events: round trips, canonical bytes, and specific errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from event_factories import T0, agent, stream
from pactline_events import (
    GENESIS_HASH,
    AgentRegistered,
    FloatNotAllowed,
    InvalidEventPayload,
    MalformedEvent,
    ModelFamily,
    UnknownEventType,
    canonical_json,
    decode,
    encode,
)
from pactline_events.types import TIMESTAMP_FORMAT, format_timestamp
from pactline_events.upcasters import agent_registered_v1_to_v2

PLUS_5H30 = timezone(timedelta(hours=5, minutes=30))

FIXTURES = Path(__file__).parent / "fixtures"


def test_round_trip_gives_equal_event_and_identical_bytes():
    raw = stream("agent-a-1", 1)[0]
    event = decode(raw)
    assert isinstance(event.payload, AgentRegistered)
    assert event.payload.model_family is ModelFamily.ANTHROPIC
    assert encode(event) == raw


def test_canonical_bytes_sort_keys_and_use_utc_microseconds():
    raw = stream("agent-a-1", 1)[0]
    data = json.loads(raw)
    assert list(data) == sorted(data)
    assert data["occurred_at"] == T0.strftime("%Y-%m-%dT%H:%M:%S.000000Z")
    assert b" " not in raw.replace(b"bot 1", b"")


def test_canonical_json_refuses_floats_with_their_path():
    with pytest.raises(FloatNotAllowed, match="/payload/price"):
        canonical_json({"payload": {"price": 1.5}})


def test_decode_refuses_floats_anywhere():
    data = json.loads(stream("agent-a-1", 1)[0])
    data["payload"]["name"] = 1.0
    with pytest.raises(MalformedEvent, match="float"):
        decode(json.dumps(data))


def test_bad_payload_names_event_type_and_field():
    data = json.loads(stream("agent-a-1", 1)[0])
    data["payload"]["operator_address"] = "not-an-address"
    with pytest.raises(InvalidEventPayload) as info:
        decode(json.dumps(data))
    assert info.value.event_type == "AgentRegistered"
    assert info.value.field == "operator_address"
    assert "AgentRegistered.operator_address" in str(info.value)


def test_unknown_event_type_is_named():
    data = json.loads(stream("agent-a-1", 1)[0])
    data["event_type"] = "AgentVanished"
    with pytest.raises(UnknownEventType, match="AgentVanished"):
        decode(json.dumps(data))


def test_future_schema_version_is_refused_not_guessed():
    data = json.loads(stream("agent-a-1", 1)[0])
    data["schema_version"] = 99
    with pytest.raises(UnknownEventType, match="v99"):
        decode(json.dumps(data))


@pytest.mark.parametrize("raw", [b"not json", b"[1,2]", b'{"event_type": 3}'])
def test_garbage_is_malformed(raw):
    with pytest.raises(MalformedEvent):
        decode(raw)


def test_stored_v1_agent_registered_is_upcast_on_read():
    raw = (FIXTURES / "agent_registered_v1.json").read_bytes().strip()
    event = decode(raw)
    assert event.schema_version == 1  # the stored event keeps its identity
    assert event.payload.model_family is ModelFamily.ANTHROPIC
    assert event.payload.name == "Support bot"


@pytest.mark.parametrize(
    ("model", "family"),
    [("GPT-4o", "openai"), ("claude-3-opus", "anthropic"), ("Llama 3", "meta"), ("Qwen2", "other")],
)
def test_upcaster_maps_model_names_to_families_and_is_pure(model, family):
    v1 = {"agent_id": "a", "name": "n", "operator_id": "o", "operator_address": "0x" + "1" * 40, "model": model}
    before = dict(v1)
    lifted = agent_registered_v1_to_v2(v1)
    assert lifted["model_family"] == family
    assert "model" not in lifted
    assert v1 == before


def test_naive_timestamps_are_refused():
    from datetime import datetime
    from uuid import UUID

    from pactline_events import PendingEvent

    with pytest.raises(ValueError, match="UTC offset"):
        PendingEvent(
            event_id=UUID(int=1),
            occurred_at=datetime(2026, 1, 1),
            stream_id="s",
            correlation_id=UUID(int=2),
            payload=agent(),
        ).seal(producer="p", stream_seq=1, prev_hash=GENESIS_HASH)


@settings(max_examples=300, deadline=None)
@given(
    st.datetimes(
        min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 31), timezones=st.sampled_from([UTC, PLUS_5H30])
    )
    | st.sampled_from([datetime(999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC), datetime(1000, 1, 1, tzinfo=UTC)])
)
def test_timestamps_have_the_one_text_form_of_their_utc_instant(value):
    """``format_timestamp`` gives strftime's ``TIMESTAMP_FORMAT`` text of the UTC instant, for
    every year (it writes them with isoformat from the year 1000 on)."""
    assert format_timestamp(value) == value.astimezone(UTC).strftime(TIMESTAMP_FORMAT)

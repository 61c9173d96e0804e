"""The orjson fast path of canonical JSON gives exactly the reference RFC 8785 bytes.

``canonical_json`` serializes plain event data with orjson (sorted keys) when that provably
equals JCS, and with the reference ``rfc8785`` package otherwise. These tests compare the two
on generated JSON (every Unicode plane in strings, integers at the safe edges, nesting) and
on real events, byte for byte and hash for hash, and check that the fast path really runs.
"""

from __future__ import annotations

import hashlib
import uuid

import orjson
import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from event_factories import agent_event
from pactline_events import AgentRegistered, PendingEvent, canonical_json, encode, event_hash, new_event_id, utc_now
from pactline_events import canonical as canonical_module
from pactline_events.canonical import MAX_SAFE_INTEGER, _check

safe_ints = st.integers(min_value=-MAX_SAFE_INTEGER, max_value=MAX_SAFE_INTEGER) | st.sampled_from(
    [0, -1, MAX_SAFE_INTEGER, -MAX_SAFE_INTEGER, 2**31, -(2**31), 2**32]
)
# Every code point except lone surrogates (which UTF-8 cannot carry), control characters included.
any_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=20)
ascii_keys = st.text(st.characters(max_codepoint=0x7F), max_size=8)
json_values = st.recursive(
    st.none() | st.booleans() | safe_ints | any_text,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(ascii_keys | any_text, inner, max_size=5),
    max_leaves=30,
)


def reference(value: object) -> bytes:
    return rfc8785.dumps(_check(value, ""))


@settings(max_examples=400, deadline=None)
@given(json_values)
def test_generated_json_has_the_reference_bytes(value):
    assert canonical_json(value) == reference(value)


@pytest.mark.parametrize(
    "value",
    [
        {"\ue000": 1, "\U0001f600": 2},  # code-point and UTF-16 orders disagree: reference path
        {"a": '\x00\x1f\x7f\u2028\u2029\ufeff"\\/'},
        {"z": [1, {"b": None, "a": True}], "": -0},
        [MAX_SAFE_INTEGER, -MAX_SAFE_INTEGER],
    ],
)
def test_edge_values_have_the_reference_bytes(value):
    assert canonical_json(value) == reference(value)


def test_an_event_takes_the_fast_path_with_the_same_bytes_and_hash(monkeypatch):
    envelope = PendingEvent(
        event_id=new_event_id(),
        occurred_at=utc_now(),
        stream_id="agent-é-\U0001f600",
        correlation_id=uuid.uuid4(),
        payload=AgentRegistered(
            agent_id="a-1",
            name="ünïcödé \U0001f600 \u2028 \x01",
            operator_id="op",
            operator_address="0x" + "3" * 40,
            model_family="other",
        ),
    ).seal(producer="test", stream_seq=1, prev_hash="0" * 64)
    data = envelope.to_json_dict()
    assert canonical_module._fast_path_applies(data)
    assert encode(envelope) == orjson.dumps(data, option=orjson.OPT_SORT_KEYS) == reference(data)
    assert event_hash(envelope) == hashlib.sha256(reference(data)).hexdigest()


def test_values_the_fast_path_cannot_prove_go_to_the_reference_path():
    assert not canonical_module._fast_path_applies({"\u00e9": 1})  # non-ASCII key
    assert not canonical_module._fast_path_applies([2**53])  # unsafe integer: the reference path refuses it
    assert not canonical_module._fast_path_applies((1, 2))  # not exactly a list
    assert canonical_json((1, 2)) == b"[1,2]"


@settings(max_examples=200, deadline=None)
@given(
    name=any_text.filter(lambda s: s.strip()) | st.just('"payload":{}'),
    stream=st.sampled_from(["agent-1", 'agent-"payload":{}', "agent-\ue000-\U0001f600"]),
    signed=st.booleans(),
)
def test_an_event_with_its_payload_given_as_canonical_bytes_has_the_same_bytes(name, stream, signed):
    """``encode(envelope, payload_json)`` puts the payload's own canonical bytes in the place of
    an empty payload: the same bytes as encoding the whole event, whatever the strings hold."""
    envelope = agent_event(stream, name, key_id="test-1" if signed else None)
    payload_json = canonical_json(envelope.payload.model_dump(mode="json"))
    assert encode(envelope, payload_json) == encode(envelope) == reference(envelope.to_json_dict())

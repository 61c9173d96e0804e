"""The hash-chain verifier catches missing, altered and reordered events."""

from __future__ import annotations

import json

import pytest

from event_factories import stream
from pactline_events import ChainBroken, canonical_json, verify_chain


def test_intact_streams_verify_and_report_heads():
    log = stream("agent-a", 4) + stream("agent-b", 2, start=100)
    heads = verify_chain(log)
    assert heads["agent-a"].seq == 4
    assert heads["agent-b"].seq == 2


def test_interleaved_streams_verify():
    a, b = stream("agent-a", 3), stream("agent-b", 3, start=100)
    verify_chain([a[0], b[0], b[1], a[1], a[2], b[2]])


def test_missing_event_breaks_the_chain():
    log = stream("agent-a", 4)
    del log[1]
    with pytest.raises(ChainBroken, match="missing"):
        verify_chain(log)


def test_reordered_events_break_the_chain():
    log = stream("agent-a", 3)
    log[1], log[2] = log[2], log[1]
    with pytest.raises(ChainBroken, match="seq 2"):
        verify_chain(log)


def test_altered_payload_breaks_the_chain_at_the_successor():
    log = stream("agent-a", 3)
    data = json.loads(log[1])
    data["payload"]["name"] = "someone else"
    log[1] = canonical_json(data)
    with pytest.raises(ChainBroken) as info:
        verify_chain(log)
    assert info.value.stream_seq == 3
    assert "prev_hash" in info.value.reason


def test_re_encoded_bytes_are_detected():
    log = stream("agent-a", 2)
    log[0] = json.dumps(json.loads(log[0]), indent=1).encode()
    with pytest.raises(ChainBroken, match="canonical"):
        verify_chain(log)


def test_duplicate_event_is_detected():
    log = stream("agent-a", 2)
    with pytest.raises(ChainBroken, match="duplicate"):
        verify_chain([log[0], log[0], log[1]])

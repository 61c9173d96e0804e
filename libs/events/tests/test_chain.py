"""The hash-chain verifier catches missing, altered and reordered events."""

from __future__ import annotations

import json

import pytest

from event_factories import stream
from pactline_events import ChainBroken, canonical_json, verify_chain


def test_intact_streams_verify_and_report_heads():
    log = stream("agent-a", 4) + stream("agent-b", 2, start=100)
    heads = verify_chain(log).heads
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


def test_exact_redelivery_is_skipped_and_counted_not_taken_for_tampering():
    log = stream("agent-a", 3)
    # The relay publishes at least once: a whole batch may appear again, after its successors.
    verifier = verify_chain([log[0], log[0], log[1], log[2], log[0], log[1], log[2]])
    assert verifier.heads["agent-a"].seq == 3
    assert verifier.verified == 3
    assert verifier.redeliveries == 4


def test_a_different_event_at_a_used_position_is_a_fork():
    log = stream("agent-a", 2)
    forked = json.loads(log[0])
    forked["payload"]["name"] = "a rival first event"
    with pytest.raises(ChainBroken, match="fork") as info:
        verify_chain([log[0], log[1], canonical_json(forked)])
    assert info.value.stream_seq == 1


def test_an_event_with_a_new_id_replaying_an_old_position_is_a_fork():
    log = stream("agent-a", 2)
    copy = json.loads(log[1])
    copy["event_id"] = "01900000-0000-7000-8000-0000000000ff"
    with pytest.raises(ChainBroken, match="fork"):
        verify_chain([log[0], log[1], canonical_json(copy)])

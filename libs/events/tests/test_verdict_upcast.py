"""VerdictIssued v1, as stored in the log, is read as v2 without losing or inventing evidence."""

from __future__ import annotations

import json
from pathlib import Path

from pactline_events import Outcome, VerdictIssued, decode, encode
from pactline_events.upcasters import verdict_issued_v1_to_v2

STORED_V1 = (Path(__file__).parent / "fixtures" / "verdict_issued_v1.json").read_bytes().strip()


def test_stored_v1_verdict_is_upcast_on_read_and_keeps_its_identity():
    event = decode(STORED_V1)
    assert event.schema_version == 1
    # Read in the v2 shape: chains are verified over stored bytes, never over re-encoded events.
    assert encode(event) != STORED_V1
    verdict = event.payload
    assert isinstance(verdict, VerdictIssued)
    assert verdict.outcome is Outcome.FAIL
    assert [c.clause_id for c in verdict.clause_results] == ["no-pii-leak", "fast-reply", "helpful"]
    assert all(c.evaluated and c.measured is None for c in verdict.clause_results)
    assert verdict.clause_results[1].detail == "1200 ms > 800 ms"


def test_upcast_computes_weights_and_dimensions_from_the_v1_clause_results():
    verdict = decode(STORED_V1).payload
    assert (verdict.passed_weight, verdict.evaluated_weight) == (80, 100)
    assert [(d.dimension, d.outcome, d.passed_weight, d.failed_weight) for d in verdict.dimension_results] == [
        ("accuracy", Outcome.PASS, 50, 0),
        ("latency", Outcome.FAIL, 0, 20),
        ("security", Outcome.PASS, 30, 0),
    ]
    assert verdict.jury_status == "answered"


def test_upcast_claims_nothing_v1_did_not_record():
    verdict = decode(STORED_V1).payload
    assert verdict.evidence_scheme == "sha256-v1"  # not a Merkle root: no clause proof checks against it
    assert verdict.evidence_digest == "0x" + "cd" * 32
    assert verdict.output_digest is None
    assert verdict.provenance == "buyer_only"
    assert verdict.sampling is None


def test_upcaster_is_pure():
    payload = json.loads(STORED_V1)["payload"]
    before = json.dumps(payload, sort_keys=True)
    first = verdict_issued_v1_to_v2(payload)
    assert json.dumps(payload, sort_keys=True) == before
    assert first == verdict_issued_v1_to_v2(payload)

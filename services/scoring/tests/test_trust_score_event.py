"""TrustScoreUpdated v2: a stored v1 event is upcast on read, its missing figures left null."""

from __future__ import annotations

import json
from pathlib import Path

from pactline_events import TrustScoreUpdated, decode
from pactline_events.upcasters import trust_score_updated_v1_to_v2

FIXTURE = Path(__file__).resolve().parents[3] / "libs" / "events" / "tests" / "fixtures" / "trust_score_updated_v1.json"


def test_stored_v1_trust_score_updated_is_upcast_on_read():
    event = decode(FIXTURE.read_bytes().strip())
    assert event.schema_version == 1  # the stored event keeps its identity and hash
    payload = event.payload
    assert isinstance(payload, TrustScoreUpdated)
    assert (payload.composite, payload.verdict_count, payload.tier, payload.confidence) == (412, 9, None, None)
    assert payload.dimensions["accuracy"].alpha == "3.5"
    assert payload.dimensions["accuracy"].lower_bound is None


def test_upcaster_is_pure():
    v1 = json.loads(FIXTURE.read_bytes())["payload"]
    before = json.dumps(v1, sort_keys=True)
    lifted = trust_score_updated_v1_to_v2(v1)
    assert json.dumps(v1, sort_keys=True) == before
    assert lifted["params_digest"] is None
    assert TrustScoreUpdated.model_validate(lifted).formula_version == "pactline-trust/1"

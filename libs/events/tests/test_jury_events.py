"""JuryDeliberated v2 and its upcaster from v1, read from a stored v1 event."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from pactline_events import InvalidEventPayload, JuryDeliberated, decode, encode
from pactline_events.jury_events import JudgmentFlag
from pactline_events.types import Outcome
from pactline_events.upcasters import jury_deliberated_v1_to_v2

FIXTURES = Path(__file__).parent / "fixtures"


def test_stored_v1_jury_deliberated_is_upcast_on_read():
    raw = (FIXTURES / "jury_deliberated_v1.json").read_bytes().strip()
    event = decode(raw)
    assert event.schema_version == 1  # the stored event keeps its identity and its bytes
    payload = event.payload
    assert isinstance(payload, JuryDeliberated)
    # What the evaluator relies on survives: clause outcome and score, request and task ids.
    assert (payload.request_id, payload.task_id) == ("jr-task-42", "task-42")
    (result,) = payload.results
    assert (result.clause_id, result.outcome, result.score) == ("helpful", Outcome.PASS, "0.8")
    # What v1 did not record is null, what follows from v1 is derived.
    assert [j.valid for j in result.judgments] == [True, True, False]
    assert all(j.flags == () and j.latency_ms is None and not j.simulated for j in result.judgments)
    assert (result.agreement, result.valid_votes, result.quorum, result.reason) == (None, None, None, None)
    assert payload.cost == 430
    assert payload.excluded_judges == ()
    assert payload.injection_findings == ()
    assert payload.fence_token is None
    assert payload.canary is None


def test_upcaster_is_pure():
    stored = json.loads((FIXTURES / "jury_deliberated_v1.json").read_text())["payload"]
    before = copy.deepcopy(stored)
    assert jury_deliberated_v1_to_v2(stored) == jury_deliberated_v1_to_v2(stored)
    assert stored == before


def test_v2_round_trips_with_flags():
    stored = json.loads((FIXTURES / "jury_deliberated_v1.json").read_text())
    payload = jury_deliberated_v1_to_v2(stored["payload"])
    payload["results"][0]["judgments"][2]["flags"] = ["canary_echo"]
    v2 = {**stored, "schema_version": 2, "payload": payload}
    event = decode(json.dumps(v2))
    assert event.payload.results[0].judgments[2].flags == (JudgmentFlag.CANARY_ECHO,)
    assert decode(encode(event)) == event


def test_valid_is_required_to_be_a_boolean_and_unknown_fields_are_refused():
    stored = json.loads((FIXTURES / "jury_deliberated_v1.json").read_text())
    payload = jury_deliberated_v1_to_v2(stored["payload"])
    payload["results"][0]["judgments"][0]["valid"] = "maybe"
    with pytest.raises(InvalidEventPayload, match="JuryDeliberated"):
        decode(json.dumps({**stored, "schema_version": 2, "payload": payload}))
    with pytest.raises(InvalidEventPayload, match="JuryDeliberated"):
        decode(json.dumps({**stored, "schema_version": 2, "payload": {**stored["payload"], "verdict": "PASS"}}))


def test_a_minimal_v2_payload_defaults_to_the_values_that_claim_least():
    minimal = JuryDeliberated(request_id="r", task_id="t", acceptance_id="a", panel_version="p", results=())
    assert (minimal.excluded_judges, minimal.injection_findings, minimal.cost, minimal.simulated) == ((), (), 0, False)

"""A pact's evidence requirement: part of the commitment when present, invisible when absent."""

from __future__ import annotations

import pytest

from pactline_events.canonical import canonical_json
from pactline_pacts import MEASURED_CLAUSE_KINDS, PactInvalid, pact_hash, parse_pact, validate_pact


def _with_latency_clause(pact_data):
    pact_data["clauses"][1]["weight"] = 10
    pact_data["clauses"].append(
        {
            "id": "fast",
            "kind": "max_latency_ms",
            "severity": "should",
            "weight": 10,
            "dimension": "latency",
            "limit_ms": 2000,
        }
    )
    return pact_data


def _errors(data) -> dict[str, str]:
    with pytest.raises(PactInvalid) as caught:
        validate_pact(data)
    return {error.pointer: error.message for error in caught.value.errors}


def test_absent_evidence_is_not_written_so_older_pacts_keep_their_hash(pact_data):
    # Given a pact without an evidence requirement
    document = validate_pact(pact_data)
    # Then its normalized form has no evidence key at all (the example hashes stay pinned)
    assert document.evidence is None
    assert "evidence" not in document.normalized()
    assert "evidence" not in document.model_dump(mode="json")


def test_evidence_is_part_of_the_commitment(pact_data):
    pact_data = _with_latency_clause(pact_data)
    without = pact_hash(validate_pact(pact_data))
    pact_data["evidence"] = {"measured_by": "gateway"}
    gateway = validate_pact(pact_data)
    pact_data["evidence"] = {"measured_by": "countersigned"}
    countersigned = validate_pact(pact_data)
    assert gateway.evidence.measured_by == "gateway"
    assert gateway.normalized()["evidence"] == {"measured_by": "gateway"}
    assert len({without, pact_hash(gateway), pact_hash(countersigned)}) == 3
    # and it survives the round trip through its canonical JSON
    again = parse_pact(canonical_json(gateway.normalized()), "application/json")
    assert again == gateway
    assert pact_hash(again) == pact_hash(gateway)


def test_pact_with_evidence_hash_is_pinned(pact_data):
    # A fixed vector for reimplementations: the small pact, a latency clause, gateway evidence.
    pact_data = _with_latency_clause(pact_data)
    pact_data["evidence"] = {"measured_by": "gateway"}
    assert pact_hash(validate_pact(pact_data)) == PINNED_GATEWAY_PACT_HASH


def test_evidence_needs_a_measured_clause(pact_data):
    # Given a pact without latency, cost or token clauses that asks for gateway measurement
    pact_data["evidence"] = {"measured_by": "gateway"}
    # Then the requirement is refused where it stands, naming the clause kinds it is about
    errors = _errors(pact_data)
    assert list(errors) == ["/evidence"]
    assert all(kind in errors["/evidence"] for kind in MEASURED_CLAUSE_KINDS)


@pytest.mark.parametrize(
    ("evidence", "pointer", "fragment"),
    [
        ({"measured_by": "buyer"}, "/evidence/measured_by", "'gateway' or 'countersigned'"),
        ({}, "/evidence/measured_by", "required field is missing"),
        ({"measured_by": "gateway", "by": "me"}, "/evidence/by", "allowed fields here: measured_by"),
        ("gateway", "/evidence", "valid dictionary"),
    ],
)
def test_malformed_evidence_is_refused_at_its_pointer(pact_data, evidence, pointer, fragment):
    pact_data = _with_latency_clause(pact_data)
    pact_data["evidence"] = evidence
    errors = _errors(pact_data)
    assert pointer in errors, errors
    assert fragment in errors[pointer]


PINNED_GATEWAY_PACT_HASH = "774801d60efc71864cab10dffd73308dbc75f047f9289d1a5f9604ba4565d005"

"""The example pacts in examples/pacts validate and hash stably across formats and layouts."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from pactline_events.canonical import canonical_json
from pactline_pacts import PactDocument, pact_hash, parse_pact, validate_pact

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "pacts"
EXAMPLE_FILES = sorted(EXAMPLES.glob("*.*"))


def _content_type(path: Path) -> str:
    return "application/json" if path.suffix == ".json" else "application/yaml"


def _load(path: Path) -> PactDocument:
    return parse_pact(path.read_bytes(), _content_type(path))


def test_the_three_documented_examples_exist():
    assert [p.name for p in EXAMPLE_FILES] == [
        "code-review.yaml",
        "customer-support.yaml",
        "data-extraction.json",
    ]


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.name)
def test_example_pact_validates_and_round_trips(path: Path):
    # Given an example pact, when it is parsed
    document = _load(path)
    # Then it hashes to 64 hex digits and its normalized JSON parses back to the same hash
    digest = pact_hash(document)
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    again = parse_pact(canonical_json(document.normalized()), "application/json")
    assert again == document
    assert pact_hash(again) == digest


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.name)
def test_json_and_yaml_forms_of_one_pact_have_one_hash(path: Path):
    # Given the same example written as JSON (pretty, reversed keys) and as YAML
    data = _load(path).normalized()
    as_json = json.dumps(_reverse_keys(data), indent=4)
    as_yaml = yaml.safe_dump(data, sort_keys=False, default_flow_style=False)
    # When both are parsed, then the hashes agree with the original file's
    expected = pact_hash(_load(path))
    assert pact_hash(parse_pact(as_json, "application/json")) == expected
    assert pact_hash(parse_pact(as_yaml, "text/yaml")) == expected


def test_defaults_and_decimal_spelling_do_not_change_the_hash(pact_data):
    # Given a pact, and the same pact with defaults written out and "0.80" for "0.8"
    spelled_out = json.loads(json.dumps(pact_data))
    spelled_out["pass_rule"]["threshold"] = "0.80"
    spelled_out["escrow"]["currency"] = "USDC"
    spelled_out["clauses"][0].update(ignore_case=False, dotall=False, description="")
    # When both are validated, then they are the same commitment
    assert pact_hash(validate_pact(spelled_out)) == pact_hash(validate_pact(pact_data))


def test_any_change_to_a_commitment_changes_the_hash(pact_data):
    before = pact_hash(validate_pact(pact_data))
    pact_data["clauses"][2]["pass_threshold"] = "0.71"
    assert pact_hash(validate_pact(pact_data)) != before


def test_example_hashes_are_pinned():
    # Editing an example changes its hash (update the pin). Anything else that changes these
    # hashes changes every published pact's hash and breaks escrow references: that needs a
    # new pact format version, not an edit of this test.
    hashes = {p.name: pact_hash(_load(p)) for p in EXAMPLE_FILES}
    assert hashes == PINNED_HASHES


def test_normalized_document_carries_every_default(pact_data):
    normalized = validate_pact(pact_data).normalized()
    assert normalized["escrow"] == {
        "modes": ["per_task"],
        "currency": "USDC",
        "min_task_price": 10000,
        "max_pool_size": None,
        "max_expiry_seconds": None,
    }
    assert normalized["clauses"][0]["ignore_case"] is False
    assert normalized["clauses"][1]["unit"] == "characters"
    assert normalized["pass_rule"] == {"threshold": "0.8"}


def test_json_schema_clause_keeps_its_schema_under_the_schema_key():
    document = _load(EXAMPLES / "data-extraction.json")
    clause = document.clauses[0]
    assert clause.kind == "json_schema"
    assert clause.json_schema["required"] == ["invoice_number", "currency", "total"]
    assert "schema" in document.normalized()["clauses"][0]


def test_pact_hash_refuses_raw_data(pact_data):
    with pytest.raises(TypeError):
        pact_hash(pact_data)


def _reverse_keys(value):
    if isinstance(value, dict):
        return {k: _reverse_keys(value[k]) for k in reversed(list(value))}
    if isinstance(value, list):
        return [_reverse_keys(v) for v in value]
    return value


PINNED_HASHES = {
    "code-review.yaml": "ced2c74506af27ac80f2241d9f5876f621892e852ce84755ac75e2f8b3c56be8",
    "customer-support.yaml": "e8bee61f7f9139966897edc32f17a9e09d15cd4d1dc73c3cda949eccee588135",
    "data-extraction.json": "a42f2d9ee82e58d92e626a521324b12491061907b84adff120cac3b94606fa73",
}

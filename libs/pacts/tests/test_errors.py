"""Each kind of invalid pact is rejected with an actionable message at the exact JSON pointer."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pactline_pacts import (
    KNOWN_CLAUSE_KINDS,
    PactError,
    PactInvalid,
    limits,
    parse_pact,
    validate_pact,
)


def _errors(data: Any) -> dict[str, str]:
    with pytest.raises(PactInvalid) as caught:
        validate_pact(data)
    return {error.pointer: error.message for error in caught.value.errors}


def _parse_errors(raw: bytes | str, content_type: str) -> dict[str, str]:
    with pytest.raises(PactInvalid) as caught:
        parse_pact(raw, content_type)
    return {error.pointer: error.message for error in caught.value.errors}


def test_the_small_pact_is_valid(pact_data):
    document = validate_pact(pact_data)
    assert [c.id for c in document.clauses] == ["verdict-line", "short", "helpful"]


def test_unknown_clause_kind_lists_the_known_ones(pact_data):
    # Given a clause of a kind the platform does not know
    pact_data["clauses"][1]["kind"] = "vibes"
    # When it is validated
    errors = _errors(pact_data)
    # Then the error is at its kind and names every known kind
    assert list(errors) == ["/clauses/1/kind"]
    assert '"vibes"' in errors["/clauses/1/kind"]
    assert all(kind in errors["/clauses/1/kind"] for kind in KNOWN_CLAUSE_KINDS)


def test_missing_clause_kind(pact_data):
    del pact_data["clauses"][2]["kind"]
    errors = _errors(pact_data)
    assert list(errors) == ["/clauses/2/kind"]
    assert "rubric" in errors["/clauses/2/kind"]


def test_invalid_regex_says_why(pact_data):
    pact_data["clauses"][0]["pattern"] = "(unclosed"
    errors = _errors(pact_data)
    assert list(errors) == ["/clauses/0/pattern"]
    assert "missing ), unterminated subpattern at position 0" in errors["/clauses/0/pattern"]


def test_regex_longer_than_the_limit(pact_data):
    pact_data["clauses"][0]["pattern"] = "a" * (limits.MAX_REGEX_LENGTH + 1)
    assert list(_errors(pact_data)) == ["/clauses/0/pattern"]


def test_invalid_json_schema_points_inside_the_schema(pact_data):
    # Given a json_schema clause whose schema misspells a type
    pact_data["clauses"][1] = {
        "id": "shape",
        "kind": "json_schema",
        "severity": "must",
        "weight": 20,
        "dimension": "format_compliance",
        "schema": {"type": "object", "properties": {"total": {"type": "strin"}}},
    }
    # When validated, then the error points at the bad keyword and quotes the checker
    errors = _errors(pact_data)
    pointer = "/clauses/1/schema/properties/total/type"
    assert list(errors) == [pointer]
    assert "not a valid JSON Schema (Draft 2020-12)" in errors[pointer]
    assert "'strin'" in errors[pointer]


def test_json_schema_of_another_draft_is_refused(pact_data):
    pact_data["clauses"][1] = {
        "id": "shape",
        "kind": "json_schema",
        "severity": "must",
        "weight": 20,
        "dimension": "format_compliance",
        "schema": {"$schema": "http://json-schema.org/draft-07/schema#", "type": "object"},
    }
    assert list(_errors(pact_data)) == ["/clauses/1/schema/$schema"]


def test_json_schema_property_named_model_is_data_not_a_measurement_field(pact_data):
    pact_data["clauses"][1] = {
        "id": "shape",
        "kind": "json_schema",
        "severity": "must",
        "weight": 20,
        "dimension": "format_compliance",
        "schema": {"type": "object", "properties": {"model": {"type": "string"}}},
    }
    assert validate_pact(pact_data).clauses[1].json_schema["properties"]["model"]


def test_weights_that_do_not_add_up_say_the_sum(pact_data):
    pact_data["clauses"][1]["weight"] = 25
    errors = _errors(pact_data)
    assert list(errors) == ["/clauses"]
    assert "add up to 105 (40 + 25 + 40)" in errors["/clauses"]
    assert "exactly 100" in errors["/clauses"]


@pytest.mark.parametrize("weight", [0, -5, 101, "20", True])
def test_each_weight_is_a_positive_integer(pact_data, weight):
    pact_data["clauses"][1]["weight"] = weight
    assert "/clauses/1/weight" in _errors(pact_data)


@pytest.mark.parametrize(
    ("where", "value"),
    [
        (("pass_rule", "threshold"), "1.01"),
        (("pass_rule", "threshold"), "-0.1"),
        (("pass_rule", "threshold"), "0.12345"),
        (("pass_rule", "threshold"), "8e-1"),
        (("pass_rule", "threshold"), " 0.8"),
        (("clauses", 2, "pass_threshold"), "2"),
    ],
)
def test_thresholds_out_of_range_or_badly_written(pact_data, where, value):
    target = pact_data
    for key in where[:-1]:
        target = target[key]
    target[where[-1]] = value
    pointer = "/" + "/".join(str(part) for part in where)
    assert list(_errors(pact_data)) == [pointer]


def test_float_threshold_asks_for_a_string(pact_data):
    pact_data["pass_rule"]["threshold"] = 0.8
    errors = _errors(pact_data)
    assert list(errors) == ["/pass_rule/threshold"]
    assert 'write "0.8" as a string' in errors["/pass_rule/threshold"]


def test_float_in_yaml_asks_for_a_string(pact_data):
    raw = json.dumps(pact_data).replace('"threshold": "0.8"', '"threshold": 0.8')
    errors = _parse_errors(raw, "application/yaml")  # JSON is valid YAML
    assert list(errors) == ["/pass_rule/threshold"]
    assert 'write "0.8" as a string' in errors["/pass_rule/threshold"]


def test_json_nan_is_refused():
    errors = _parse_errors('{"format": NaN}', "application/json")
    assert errors["/format"].startswith("NaN and Infinity are not allowed")


def test_tolerance_is_bounded_so_normalizing_never_rounds(pact_data):
    pact_data["clauses"][1] = {
        "id": "total",
        "kind": "numeric_tolerance",
        "severity": "must",
        "weight": 20,
        "dimension": "accuracy",
        "tolerance": "1" * 30,
    }
    assert list(_errors(pact_data)) == ["/clauses/1/tolerance"]


def test_float_anywhere_is_refused_even_inside_a_schema(pact_data):
    pact_data["clauses"][1] = {
        "id": "shape",
        "kind": "json_schema",
        "severity": "must",
        "weight": 20,
        "dimension": "format_compliance",
        "schema": {"type": "number", "minimum": 0.5},
    }
    assert list(_errors(pact_data)) == ["/clauses/1/schema/minimum"]


def test_duplicate_clause_ids_point_at_the_second(pact_data):
    pact_data["clauses"][2]["id"] = "verdict-line"
    errors = _errors(pact_data)
    assert list(errors) == ["/clauses/2/id"]
    assert "/clauses/0 already uses it" in errors["/clauses/2/id"]


def test_clause_id_must_be_a_slug(pact_data):
    pact_data["clauses"][0]["id"] = "Verdict Line"
    errors = _errors(pact_data)
    assert list(errors) == ["/clauses/0/id"]
    assert "slug" in errors["/clauses/0/id"]


def test_length_bounds_min_above_max(pact_data):
    pact_data["clauses"][1].update(min=600, max=500)
    errors = _errors(pact_data)
    assert list(errors) == ["/clauses/1/min"]
    assert "min (600) is greater than max (500)" in errors["/clauses/1/min"]


@pytest.mark.parametrize("field", ["judges", "judge", "model", "prompt", "temperature"])
def test_measurement_field_at_the_top_is_refused(pact_data, field):
    pact_data[field] = ["anything"]
    errors = _errors(pact_data)
    assert list(errors) == [f"/{field}"]
    assert "the platform chooses the judges, models, prompts and sampling rate" in errors[f"/{field}"]


@pytest.mark.parametrize("field", ["models", "prompts", "sampling_rate", "Sampling-Rate"])
def test_measurement_field_in_a_clause_is_refused(pact_data, field):
    pact_data["clauses"][2][field] = "x"
    errors = _errors(pact_data)
    assert list(errors) == [f"/clauses/2/{field}"]
    assert "platform chooses" in errors[f"/clauses/2/{field}"]


def test_unknown_fields_are_errors_that_list_the_allowed_ones(pact_data):
    pact_data["clauses"][1]["maximum"] = 5
    pact_data["escrow"]["fee"] = 1
    errors = _errors(pact_data)
    assert list(errors) == ["/clauses/1/maximum", "/escrow/fee"]
    assert "allowed fields here:" in errors["/clauses/1/maximum"]
    assert "min_task_price" in errors["/escrow/fee"]


def test_missing_required_fields(pact_data):
    del pact_data["title"]
    del pact_data["clauses"][2]["criterion"]
    assert _errors(pact_data) == {
        "/clauses/2/criterion": "required field is missing",
        "/title": "required field is missing",
    }


def test_escrow_terms_must_be_coherent(pact_data):
    pact_data["escrow"].update(modes=["per_task", "per_task"], max_pool_size=5)
    errors = _errors(pact_data)
    assert set(errors) == {"/escrow/modes", "/escrow/max_pool_size"}


def test_dispute_window_is_bounded(pact_data):
    pact_data["dispute_window_seconds"] = limits.MAX_DISPUTE_WINDOW_SECONDS + 1
    assert list(_errors(pact_data)) == ["/dispute_window_seconds"]


def test_too_many_clauses(pact_data):
    pact_data["clauses"] = [
        {**pact_data["clauses"][0], "id": f"c{i}", "weight": 1} for i in range(limits.MAX_CLAUSES + 1)
    ]
    errors = _errors(pact_data)
    assert "at most 50 items" in errors["/clauses"]


def test_a_pact_needs_a_clause(pact_data):
    pact_data["clauses"] = []
    assert "at least 1 item" in _errors(pact_data)["/clauses"]


def test_every_error_is_collected_not_just_the_first(pact_data):
    pact_data["clauses"][0]["pattern"] = "["
    pact_data["clauses"][1]["kind"] = "nope"
    pact_data["pass_rule"]["threshold"] = "3"
    pact_data["judges"] = []
    assert list(_errors(pact_data)) == [
        "/clauses/0/pattern",
        "/clauses/1/kind",
        "/judges",
        "/pass_rule/threshold",
    ]


def test_pact_must_be_an_object():
    assert _errors(["not", "an", "object"]) == {"": "a pact must be a JSON object, got an array"}


def test_oversize_document_is_refused_before_parsing():
    errors = _parse_errors(b" " * (limits.MAX_DOCUMENT_BYTES + 1), "application/json")
    assert list(errors) == [""]
    assert "65537 bytes; the limit is 65536" in errors[""]


def test_overlong_string_anywhere(pact_data):
    pact_data["description"] = "x" * (limits.MAX_STRING_LENGTH + 1)
    assert list(_errors(pact_data)) == ["/description"]


def test_nesting_deeper_than_the_limit(pact_data):
    deep: dict[str, Any] = {}
    node = deep
    for _ in range(limits.MAX_NESTING_DEPTH):
        node["not"] = {}
        node = node["not"]
    pact_data["clauses"][1] = {**pact_data["clauses"][1], "kind": "json_schema", "schema": deep}
    errors = _errors(pact_data)
    assert len(errors) == 1
    assert next(iter(errors)).startswith("/clauses/1/schema/not/not")


def test_json_syntax_error_has_line_and_column():
    errors = _parse_errors('{\n  "format": "pactline.pact/v1",\n  "name": }', "application/json")
    assert errors == {"": "JSON syntax error at line 3, column 11: Expecting value"}


def test_yaml_syntax_error_has_line_and_column():
    errors = _parse_errors("format: pactline.pact/v1\ntitle: [a, b\nname: x\n", "text/yaml")
    assert errors == {"": "YAML syntax error at line 3, column 5: expected ',' or ']', but got ':'"}


def test_yaml_aliases_are_refused():
    errors = _parse_errors("a: &x [1, 2]\nb: *x\n", "application/yaml")
    assert "aliases" in errors[""]
    assert "line 2, column 4" in errors[""]


def test_duplicate_keys_are_refused_in_yaml_and_json(pact_data):
    yaml_errors = _parse_errors("title: a\ntitle: b\n", "text/yaml")
    assert "line 2, column 1: key 'title' appears twice" in yaml_errors[""]
    raw = json.dumps(pact_data)[:-1] + ', "version": 2}'
    assert _parse_errors(raw, "application/json") == {"/version": 'key "version" appears twice'}


def test_yaml_timestamps_must_be_quoted(pact_data):
    raw = json.dumps(pact_data)[:-1] + ', "note": 2024-01-01}'
    errors = _parse_errors(raw, "text/yaml")
    assert "/note" in errors
    assert "not a JSON value" in errors["/note"]


def test_unsupported_content_type():
    assert list(_parse_errors("{}", "text/plain")) == [""]


def test_content_type_parameters_are_ignored(pact_data):
    document = parse_pact(json.dumps(pact_data).encode(), "application/json; charset=utf-8")
    assert document.name == "small-pact"


def test_errors_print_as_pointer_and_message():
    invalid = PactInvalid([PactError("/clauses/10/id", "b"), PactError("/clauses/9/id", "a")])
    assert invalid.pointers == ["/clauses/9/id", "/clauses/10/id"]
    assert "/clauses/9/id: a" in str(invalid)


def test_documents_are_frozen(pact_data):
    document = validate_pact(pact_data)
    with pytest.raises(ValueError, match="frozen"):
        document.version = 2  # type: ignore[misc]

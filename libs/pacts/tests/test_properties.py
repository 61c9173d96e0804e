"""Property tests over generated pacts: valid ones round-trip to the same hash through JSON and
YAML; mutated ones are rejected with an error at the mutation."""

from __future__ import annotations

import copy
import json
import random
import re
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pactline_events.canonical import canonical_json
from pactline_pacts import (
    KNOWN_CLAUSE_KINDS,
    MEASUREMENT_FIELDS,
    PactInvalid,
    pact_hash,
    parse_pact,
    validate_pact,
)

PROPERTY_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

words = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")),
    min_size=1,
    max_size=30,
)
ratios = st.integers(0, 10_000).map(lambda n: f"{n // 10_000}.{n % 10_000:04d}")
tool_names = st.from_regex(r"[a-z][a-z0-9_]{0,15}", fullmatch=True)
pointers = st.lists(st.from_regex(r"[a-z_]{1,8}", fullmatch=True), max_size=3).map(
    lambda parts: "".join(f"/{p}" for p in parts)
)
dimensions = st.sampled_from(["accuracy", "safety", "reliability", "latency", "cost", "format_compliance", "security"])


def _optional(**fields: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({}, optional=fields)


def _body(kind: str) -> st.SearchStrategy[dict[str, Any]]:
    flags = {"ignore_case": st.booleans(), "multiline": st.booleans(), "dotall": st.booleans()}
    bodies: dict[str, st.SearchStrategy[dict[str, Any]]] = {
        "json_schema": st.fixed_dictionaries(
            {"schema": st.sampled_from([{}, {"type": "object"}, {"type": "array", "items": {}}])}
        ),
        "regex_required": st.fixed_dictionaries({"pattern": words.map(re.escape)}, optional=flags),
        "regex_forbidden": st.fixed_dictionaries({"pattern": words.map(re.escape)}, optional=flags),
        "contains": st.fixed_dictionaries(
            {"values": st.lists(words, min_size=1, max_size=4, unique=True)},
            optional={"case_sensitive": st.booleans()},
        ),
        "not_contains": st.fixed_dictionaries({"values": st.lists(words, min_size=1, max_size=4, unique=True)}),
        "max_latency_ms": st.fixed_dictionaries({"limit_ms": st.integers(1, 3_600_000)}),
        "max_cost": st.fixed_dictionaries({"limit_minor_units": st.integers(1, 10**12)}),
        "max_tokens": st.fixed_dictionaries(
            {"limit_tokens": st.integers(1, 100_000)},
            optional={"scope": st.sampled_from(["output", "total"])},
        ),
        "length_bounds": st.integers(0, 1000).flatmap(
            lambda low: st.fixed_dictionaries(
                {"min": st.just(low), "max": st.integers(max(low, 1), 5000)},
                optional={"unit": st.sampled_from(["characters", "words", "lines"])},
            )
        ),
        "allowed_tools": st.fixed_dictionaries({"tools": st.lists(tool_names, max_size=4, unique=True)}),
        "forbidden_tools": st.fixed_dictionaries({"tools": st.lists(tool_names, min_size=1, max_size=4, unique=True)}),
        "exact_match": _optional(output_pointer=pointers, reference_pointer=pointers, case_sensitive=st.booleans()),
        "numeric_tolerance": st.fixed_dictionaries(
            {"tolerance": ratios},
            optional={"mode": st.sampled_from(["absolute", "relative"])},
        ),
        "no_pii": _optional(
            categories=st.lists(
                st.sampled_from(["email", "phone", "card_number", "iban", "api_key"]),
                min_size=1,
                unique=True,
            )
        ),
        "rubric": st.fixed_dictionaries({"criterion": words, "pass_threshold": ratios}),
    }
    return bodies[kind]


@st.composite
def clause_lists(draw: st.DrawFn) -> list[dict[str, Any]]:
    count = draw(st.integers(1, 8))
    cuts = sorted(draw(st.lists(st.integers(1, 99), min_size=count - 1, max_size=count - 1, unique=True)))
    weights = [b - a for a, b in zip([0, *cuts], [*cuts, 100], strict=True)]
    clauses = []
    for index, weight in enumerate(weights):
        kind = draw(st.sampled_from(sorted(KNOWN_CLAUSE_KINDS)))
        clause = {
            "id": f"c{index}-{kind.replace('_', '-')}",
            "kind": kind,
            "severity": draw(st.sampled_from(["must", "should"])),
            "weight": weight,
            "dimension": draw(dimensions),
            **draw(_body(kind)),
        }
        clauses.append(clause)
    return clauses


@st.composite
def valid_pacts(draw: st.DrawFn) -> dict[str, Any]:
    modes = draw(st.sampled_from([["per_task"], ["aggregate"], ["per_task", "aggregate"]]))
    price = draw(st.integers(1, 10**9))
    escrow: dict[str, Any] = {"modes": modes, "min_task_price": price}
    if "aggregate" in modes and draw(st.booleans()):
        escrow["max_pool_size"] = draw(st.integers(price, 10**12))
    return {
        "format": "pactline.pact/v1",
        "name": draw(st.from_regex(r"[a-z][a-z0-9]{0,10}(-[a-z0-9]{1,6}){0,2}", fullmatch=True)),
        "version": draw(st.integers(1, 1000)),
        "title": draw(words),
        "clauses": draw(clause_lists()),
        "pass_rule": {"threshold": draw(ratios)},
        "dispute_window_seconds": draw(st.integers(3600, 2_592_000)),
        "escrow": escrow,
    }


def _shuffled(value: Any, rng: random.Random) -> Any:
    if isinstance(value, dict):
        keys = list(value)
        rng.shuffle(keys)
        return {k: _shuffled(value[k], rng) for k in keys}
    if isinstance(value, list):
        return [_shuffled(v, rng) for v in value]
    return value


@PROPERTY_SETTINGS
@given(data=valid_pacts(), seed=st.integers(0, 2**32))
def test_valid_pacts_round_trip_to_the_same_hash(data: dict[str, Any], seed: int):
    # Given a generated valid pact
    document = validate_pact(data)
    digest = pact_hash(document)
    normalized = document.normalized()
    # When its normalized form is written as canonical JSON, shuffled pretty JSON and YAML
    shuffled = _shuffled(normalized, random.Random(seed))
    forms = [
        (canonical_json(normalized), "application/json"),
        (json.dumps(shuffled, indent=2, ensure_ascii=bool(seed % 2)), "application/json"),
        (yaml.safe_dump(shuffled, sort_keys=False, allow_unicode=True), "application/yaml"),
    ]
    # Then every form parses back to the same document and hash
    for raw, content_type in forms:
        again = parse_pact(raw, content_type)
        assert again == document
        assert pact_hash(again) == digest


BAD_PATTERNS = ["(", "[a-", "*a", "a{2,1}", "(?P<1>x)", "\\", "(?<!a+)b"]


MUTATIONS = ["bad_regex", "weight", "unknown_kind", "forbidden_field", "float"]


@st.composite
def mutated_pacts(draw: st.DrawFn, mutation: str) -> tuple[dict[str, Any], str]:
    """A valid pact with one mutation, and the pointer an error must point to."""
    data = copy.deepcopy(draw(valid_pacts()))
    clauses = data["clauses"]
    index = draw(st.integers(0, len(clauses) - 1))
    clause = clauses[index]
    if mutation == "bad_regex":
        keep = {k: clause[k] for k in ("id", "severity", "weight", "dimension")}
        pattern = draw(st.sampled_from(BAD_PATTERNS))
        clauses[index] = {
            **keep,
            "kind": draw(st.sampled_from(["regex_required", "regex_forbidden"])),
            "pattern": pattern,
        }
        return data, f"/clauses/{index}/pattern"
    if mutation == "weight":
        delta = draw(st.integers(1, 50))
        clause["weight"] += delta if clause["weight"] + delta <= 100 else -delta
        return data, "/clauses"
    if mutation == "unknown_kind":
        clause["kind"] = draw(st.text(min_size=1, max_size=20).filter(lambda k: k not in KNOWN_CLAUSE_KINDS))
        return data, f"/clauses/{index}/kind"
    if mutation == "forbidden_field":
        field = draw(st.sampled_from(sorted(MEASUREMENT_FIELDS)))
        where = draw(st.sampled_from(["", f"/clauses/{index}", "/pass_rule", "/escrow"]))
        target = {"": data, "/pass_rule": data["pass_rule"], "/escrow": data["escrow"]}.get(where, clause)
        target[field] = draw(st.sampled_from(["gpt-x", 0, ["a", "b"], {"n": 3}]))
        return data, f"{where}/{field}"
    assert mutation == "float"
    data["pass_rule"]["threshold"] = draw(st.integers(0, 100)) / 100
    return data, "/pass_rule/threshold"


@pytest.mark.parametrize("mutation", MUTATIONS)
def test_mutated_pacts_are_rejected_at_the_mutation(mutation: str):
    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(case=mutated_pacts(mutation), as_yaml=st.booleans())
    def check(case: tuple[dict[str, Any], str], as_yaml: bool) -> None:
        # Given a valid pact with one mutation
        data, mutated = case
        raw = yaml.safe_dump(data, allow_unicode=True) if as_yaml else json.dumps(data)
        # When it is parsed
        try:
            parse_pact(raw, "text/yaml" if as_yaml else "application/json")
        except PactInvalid as invalid:
            pointers = invalid.pointers
            messages = {e.pointer: e.message for e in invalid.errors}
        else:
            raise AssertionError(f"mutation at {mutated} was accepted")
        # Then one of the errors points at the mutation
        assert mutated in pointers, pointers
        if mutation == "forbidden_field":
            assert "the platform chooses" in messages[mutated]

    check()

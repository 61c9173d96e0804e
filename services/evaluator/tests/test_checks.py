"""Every deterministic check, from a table of cases: outcome, measured value, edge cases."""

from __future__ import annotations

import pytest

from evaluator_testkit import clause, evidence
from pactline_evaluator.checks import CHECKS, json_values, run_check
from pactline_events import Outcome

PASS, FAIL, INCONCLUSIVE = Outcome.PASS, Outcome.FAIL, Outcome.INCONCLUSIVE
BIG = 256 * 1024

REF_SCHEMA = {
    "$defs": {"positive": {"type": "integer", "minimum": 1}},
    "type": "object",
    "properties": {"n": {"$ref": "#/$defs/positive"}},
    "required": ["n"],
}

# (kind, clause fields, output, evidence changes, outcome, measured or None to skip)
CASES = [
    # json_schema
    ("json_schema", {"schema": REF_SCHEMA}, '{"n": 5}', {}, PASS, "0 errors"),
    ("json_schema", {"schema": REF_SCHEMA}, '{"n": 0}', {}, FAIL, "1 errors"),
    ("json_schema", {"schema": REF_SCHEMA}, '{"n": "5"}', {}, FAIL, "1 errors"),  # a number written as a string
    ("json_schema", {"schema": REF_SCHEMA}, '{"n": 1.0}', {}, PASS, None),  # 1.0 is an integer in JSON Schema
    ("json_schema", {"schema": REF_SCHEMA}, '{"n": 5, "n": 0}', {}, FAIL, "not JSON"),  # duplicate keys
    ("json_schema", {"schema": REF_SCHEMA}, "", {}, FAIL, "not JSON"),
    ("json_schema", {"schema": REF_SCHEMA}, '{"n": NaN}', {}, FAIL, "not JSON"),
    ("json_schema", {"schema": {"type": "array"}}, "[" + "1," * (BIG // 2 - 1) + "1]", {}, PASS, None),
    ("json_schema", {"schema": {"$ref": "https://example.com/remote.json"}}, "{}", {}, INCONCLUSIVE, None),
    # regex_required / regex_forbidden
    ("regex_required", {"pattern": "#[0-9]+"}, "order #123", {}, PASS, "match at 6"),
    ("regex_required", {"pattern": "#[0-9]+"}, "no order", {}, FAIL, "no match"),
    ("regex_required", {"pattern": "ORDER", "ignore_case": True}, "order", {}, PASS, None),
    ("regex_required", {"pattern": "café"}, "cafe\u0301", {}, PASS, None),  # NFD output, NFC pattern
    ("regex_required", {"pattern": "^b$"}, "a\nb", {}, FAIL, None),
    ("regex_required", {"pattern": "^b$", "multiline": True}, "a\nb", {}, PASS, None),
    ("regex_required", {"pattern": "a.b", "dotall": True}, "a\nb", {}, PASS, None),
    ("regex_required", {"pattern": r"(a)\1"}, "aa", {}, INCONCLUSIVE, None),  # backreference: not linear-time
    ("regex_required", {"pattern": "x"}, "", {}, FAIL, None),
    ("regex_forbidden", {"pattern": "secret"}, "all clear", {}, PASS, "no match"),
    ("regex_forbidden", {"pattern": "secret"}, "se\u200bcret", {}, FAIL, "match at 0"),  # zero-width space
    ("regex_forbidden", {"pattern": "secret"}, "\u202esecret\u202c", {}, FAIL, None),  # bidi override
    ("regex_forbidden", {"pattern": "(?<=a)b"}, "ab", {}, INCONCLUSIVE, None),  # lookbehind
    # contains / not_contains
    ("contains", {"values": ["refund", "order"]}, "your order refund", {}, PASS, "2/2 found"),
    ("contains", {"values": ["refund", "order"]}, "your order", {}, FAIL, "1/2 found"),
    ("contains", {"values": ["ÉCOLE"], "case_sensitive": False}, "l'école", {}, PASS, None),
    ("contains", {"values": ["ÉCOLE"]}, "l'école", {}, FAIL, None),
    ("contains", {"values": ["café"]}, "un cafe\u0301", {}, PASS, None),  # NFC phrase, NFD output
    ("contains", {"values": ["👍🏽"]}, "great 👍🏽", {}, PASS, None),
    (
        "contains",
        {"values": ["\u05e9\u05dc\u05d5\u05dd"]},
        "\u202b\u05e9\u05dc\u05d5\u05dd \u05e2\u05d5\u05dc\u05dd\u202c",
        {},
        PASS,
        None,
    ),  # RTL text in an embedding
    ("contains", {"values": ["x"]}, "", {}, FAIL, "0/1 found"),
    ("not_contains", {"values": ["password"]}, "all good", {}, PASS, "0/1 found"),
    ("not_contains", {"values": ["password"]}, "pass\u200dword: hunter2", {}, FAIL, "1/1 found"),  # ZWJ inside
    ("not_contains", {"values": ["Password"], "case_sensitive": False}, "PASSWORD", {}, FAIL, None),
    ("not_contains", {"values": ["x"]}, "y" * BIG, {}, PASS, None),
    # length_bounds
    ("length_bounds", {"min": 1, "max": 10}, "", {}, FAIL, "0 characters"),
    ("length_bounds", {"max": BIG}, "a" * BIG, {}, PASS, f"{BIG} characters"),
    ("length_bounds", {"max": BIG}, "a" * (BIG + 1), {}, FAIL, f"{BIG + 1} characters"),
    ("length_bounds", {"max": 1}, "e\u0301", {}, PASS, "1 characters"),  # NFD counts as its NFC form
    ("length_bounds", {"max": 2}, "👍🏽", {}, PASS, "2 characters"),  # code points, not graphemes
    ("length_bounds", {"unit": "words", "max": 2}, "  hello   world \n", {}, PASS, "2 words"),
    (
        "length_bounds",
        {"unit": "words", "max": 2},
        "\u05e9\u05dc\u05d5\u05dd \u05e2\u05d5\u05dc\u05dd \u05d9\u05e4\u05d4",
        {},
        FAIL,
        "3 words",
    ),
    ("length_bounds", {"unit": "lines", "max": 3}, "a\nb\r\nc", {}, PASS, "3 lines"),
    # measurements
    ("max_latency_ms", {"limit_ms": 100}, "", {"latency_ms": 100}, PASS, "100"),
    ("max_latency_ms", {"limit_ms": 100}, "", {"latency_ms": 101}, FAIL, "101"),
    ("max_latency_ms", {"limit_ms": 100}, "", {"latency_ms": None}, INCONCLUSIVE, None),
    ("max_cost", {"limit_minor_units": 1000}, "", {"cost": 1000}, PASS, "1000"),
    ("max_cost", {"limit_minor_units": 1000}, "", {"cost": 10**12}, FAIL, None),
    ("max_cost", {"limit_minor_units": 1000}, "", {"cost": None}, INCONCLUSIVE, None),
    ("max_tokens", {"limit_tokens": 10}, "", {"output_tokens": 10}, PASS, "10"),
    ("max_tokens", {"limit_tokens": 10}, "", {"output_tokens": 11, "total_tokens": 11}, FAIL, "11"),
    ("max_tokens", {"limit_tokens": 60}, "", {"total_tokens": 50}, PASS, "<= 50"),  # total bounds output
    ("max_tokens", {"limit_tokens": 40}, "", {"total_tokens": 50}, INCONCLUSIVE, "<= 50"),
    ("max_tokens", {"limit_tokens": 40}, "", {"total_tokens": None}, INCONCLUSIVE, None),
    ("max_tokens", {"limit_tokens": 40, "scope": "total"}, "", {"total_tokens": 50}, FAIL, "50"),
    ("max_tokens", {"limit_tokens": 40, "scope": "total"}, "", {"total_tokens": None}, INCONCLUSIVE, None),
    # tools
    ("allowed_tools", {"tools": []}, "", {}, PASS, "0 calls, 0 not allowed"),
    ("allowed_tools", {"tools": []}, "", {"tool_names": ("search",)}, FAIL, "1 calls, 1 not allowed"),
    ("allowed_tools", {"tools": ["search"]}, "", {"tool_names": ("search", "search")}, PASS, None),
    ("allowed_tools", {"tools": ["search"]}, "", {"tool_names": ("Search",)}, FAIL, None),  # names compare exactly
    ("forbidden_tools", {"tools": ["rm"]}, "", {"tool_names": ("ls",)}, PASS, "1 calls, 0 forbidden"),
    ("forbidden_tools", {"tools": ["rm"]}, "", {"tool_names": ("ls", "rm")}, FAIL, "2 calls, 1 forbidden"),
    # exact_match
    ("exact_match", {}, "Paris", {"reference": None}, INCONCLUSIVE, None),
    ("exact_match", {"case_sensitive": False}, "  Paris \n", {"reference": "paris"}, PASS, "equal"),
    ("exact_match", {}, "Paris", {"reference": "paris"}, FAIL, "different"),
    ("exact_match", {"trim_whitespace": False}, "Paris ", {"reference": "Paris"}, FAIL, None),
    ("exact_match", {}, "cafe\u0301", {"reference": "café"}, PASS, None),
    ("exact_match", {"output_pointer": "/answer"}, '{"answer": 42}', {"reference": "42"}, PASS, None),
    (
        "exact_match",
        {"output_pointer": "/answer", "reference_pointer": "/a"},
        '{"answer": "42"}',
        {"reference": '{"a": 42}'},
        PASS,
        None,
    ),  # a number written as a string equals the number
    (
        "exact_match",
        {"output_pointer": "/answer", "reference_pointer": "/a"},
        '{"answer": 42.0}',
        {"reference": '{"a": 42}'},
        PASS,
        None,
    ),
    (
        "exact_match",
        {"output_pointer": "/answer", "reference_pointer": "/a"},
        '{"answer": true}',
        {"reference": '{"a": 1}'},
        FAIL,
        None,
    ),  # booleans are not numbers
    (
        "exact_match",
        {"output_pointer": "/items", "reference_pointer": "/items"},
        '{"items": [1, {"k": "v"}]}',
        {"reference": '{"items": [1, {"k": "v"}]}'},
        PASS,
        None,
    ),
    ("exact_match", {"output_pointer": "/a"}, "not json", {"reference": "x"}, FAIL, "not JSON"),
    ("exact_match", {"output_pointer": "/a"}, '{"b": 1}', {"reference": "x"}, FAIL, "missing"),
    ("exact_match", {"output_pointer": "/a"}, '{"a": 1, "a": 2}', {"reference": "1"}, FAIL, "not JSON"),
    ("exact_match", {"reference_pointer": "/a"}, "x", {"reference": '{"b": 1}'}, INCONCLUSIVE, None),
    ("exact_match", {"output_pointer": "/a~1b/0"}, '{"a/b": ["x"]}', {"reference": "x"}, PASS, None),
    # numeric_tolerance
    ("numeric_tolerance", {"tolerance": "0.1"}, "41.95", {"reference": "42"}, PASS, "0.05"),
    (
        "numeric_tolerance",
        {"tolerance": "0.1", "output_pointer": "/v"},
        '{"v": "41.95"}',
        {"reference": "4"},
        FAIL,
        None,
    ),
    (
        "numeric_tolerance",
        {"tolerance": "0.1", "output_pointer": "/v"},
        '{"v": "41.95"}',
        {"reference": "42"},
        PASS,
        None,
    ),
    ("numeric_tolerance", {"tolerance": "0.1"}, "42.2", {"reference": '"42"'}, FAIL, "0.2"),
    ("numeric_tolerance", {"tolerance": "0.1"}, "about 42", {"reference": "42"}, FAIL, "not a number"),
    ("numeric_tolerance", {"tolerance": "0.1"}, "true", {"reference": "42"}, FAIL, "not a number"),
    ("numeric_tolerance", {"tolerance": "0.1"}, "42", {"reference": None}, INCONCLUSIVE, None),
    ("numeric_tolerance", {"tolerance": "0.1"}, "42", {"reference": "n/a"}, INCONCLUSIVE, None),
    ("numeric_tolerance", {"tolerance": "0.05", "mode": "relative"}, "105", {"reference": "100"}, PASS, "5"),
    ("numeric_tolerance", {"tolerance": "0.05", "mode": "relative"}, "105.01", {"reference": "100"}, FAIL, None),
    # Exact decimals: a float comparison would call these equal.
    ("numeric_tolerance", {"tolerance": "0"}, "0.1000000000000000000000000000001", {"reference": "0.1"}, FAIL, None),
    ("numeric_tolerance", {"tolerance": "0"}, "1e999999", {"reference": "1"}, FAIL, "not a number"),
    ("numeric_tolerance", {"tolerance": "0"}, "1" * 5000, {"reference": "1"}, FAIL, "not a number"),
    # no_pii
    ("no_pii", {}, "Your order ships Monday.", {}, PASS, "0 found"),
    ("no_pii", {}, "", {}, PASS, "0 found"),
    ("no_pii", {}, "write to jane.doe@example.com", {}, FAIL, "1 found"),
    ("no_pii", {"categories": ["phone"]}, "write to jane.doe@example.com", {}, PASS, None),
    ("no_pii", {"categories": ["card_number"]}, "card 4111 1111 1111 1111", {}, FAIL, None),
    ("no_pii", {"categories": ["card_number"]}, "card 4111 1111 1111 1112", {}, PASS, None),  # fails Luhn
    ("no_pii", {"categories": ["iban"]}, "IBAN DE89 3704 0044 0532 0130 00 please", {}, FAIL, None),
    ("no_pii", {"categories": ["iban"]}, "IBAN DE88 3704 0044 0532 0130 00", {}, PASS, None),  # bad check digits
    ("no_pii", {"categories": ["phone"]}, "call +44 20 7946 0958", {}, FAIL, None),
    ("no_pii", {"categories": ["phone"]}, "call (415) 555-2671 today", {}, FAIL, None),
    (
        "no_pii",
        {"categories": ["phone"]},
        "\uff0b\uff14\uff14 \uff12\uff10 \uff17\uff19\uff14\uff16 \uff10\uff19\uff15\uff18",
        {},
        FAIL,
        None,
    ),  # full-width digits
    ("no_pii", {"categories": ["phone"]}, "at 2024-01-15 10:30:00 order 1234567890123", {}, PASS, None),
    ("no_pii", {"categories": ["api_key"]}, "use sk_live_abcdefghijklmnop1234", {}, FAIL, None),
    ("no_pii", {"categories": ["api_key"]}, "AKIAABCDEFGHIJKLMNOP", {}, FAIL, None),
    ("no_pii", {"categories": ["api_key"]}, "-----BEGIN RSA PRIVATE KEY-----", {}, FAIL, None),
    ("no_pii", {"categories": ["api_key"]}, "task-abcdefghijklmnopqrstuvwxyz", {}, PASS, None),
    ("no_pii", {}, "lorem ipsum " * (BIG // 12), {}, PASS, None),
]


@pytest.mark.parametrize(
    ("kind", "fields", "output", "changes", "outcome", "measured"),
    CASES,
    ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)],
)
def test_check_table(kind, fields, output, changes, outcome, measured):
    result = run_check(clause(kind, **fields), evidence(output, **changes))
    assert (result.outcome, result.detail != "") == (outcome, True), result.detail
    if measured is not None:
        assert result.measured == measured, result.detail


def test_every_deterministic_kind_has_cases():
    assert {case[0] for case in CASES} == set(CHECKS)


def test_no_pii_names_categories_and_positions_never_the_data():
    result = run_check(clause("no_pii"), evidence("mail jane.doe@example.com or 4111 1111 1111 1111"))
    assert result.outcome is FAIL
    assert "email at character 5" in result.detail
    assert "card_number" in result.detail
    assert "jane" not in result.detail
    assert "4111" not in result.detail


def test_missing_measurements_are_never_a_pass():
    for kind, fields in [("max_latency_ms", {"limit_ms": 1}), ("max_cost", {"limit_minor_units": 1})]:
        result = run_check(clause(kind, **fields), evidence(latency_ms=None, cost=None))
        assert result.outcome is INCONCLUSIVE, kind


def test_details_and_measured_values_are_bounded():
    phrases = [f"phrase-{i}-" + "x" * 400 for i in range(64)]
    result = run_check(clause("contains", values=phrases), evidence("nothing"))
    assert len(result.detail) <= 2000
    assert result.detail.endswith("…")


def test_each_json_schema_clause_is_checked_against_its_own_schema_however_many_there_are():
    """The schema text is kept per clause object (json_values._schema_text): clauses checked
    in turn, more of them than are kept, each still uses its own schema."""
    needs_n = clause("json_schema", schema={"type": "object", "required": ["n"]})
    needs_m = clause("json_schema", schema={"type": "object", "required": ["m"]})
    for _ in range(2):
        assert run_check(needs_n, evidence('{"n": 1}')).outcome is PASS
        assert run_check(needs_m, evidence('{"n": 1}')).outcome is FAIL
    many = [clause("json_schema", schema={"type": "object", "required": [f"k{i}"]}) for i in range(1030)]
    for i, each in enumerate(many):
        assert run_check(each, evidence(f'{{"k{i}": 0}}')).outcome is PASS
    assert len(json_values._SCHEMA_TEXTS) <= json_values._SCHEMA_TEXTS_KEPT
    assert run_check(needs_m, evidence('{"m": 1}')).outcome is PASS

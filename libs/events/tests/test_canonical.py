"""Canonical JSON is RFC 8785 (JCS) plus Pactline's "no floats, no unsafe integers" rule.

The vectors come from RFC 8785 itself (sections 3.2.2 and 3.2.3) and from cases where a
naive implementation (Python's sort_keys, which orders by code point) and JCS (which orders
by UTF-16 code units) disagree. Expected bytes are written out literally, so a change of
implementation that moves a single byte fails here.
"""

from __future__ import annotations

import hashlib
import json

import pytest
import rfc8785

from pactline_events import FloatNotAllowed, canonical_json, sha256_hex
from pactline_events.canonical import MAX_SAFE_INTEGER, IntegerOutOfRange

# RFC 8785 section 3.2.3: property sorting by UTF-16 code units.
RFC_SORTING_INPUT = {
    "\u20ac": "Euro Sign",
    "\r": "Carriage Return",
    "\ufb33": "Hebrew Letter Dalet With Dagesh",
    "1": "One",
    "\U0001f600": "Emoji: Grinning Face",
    "\u0080": "Control",
    "\u00f6": "Latin Small Letter O With Diaeresis",
}
RFC_SORTING_ORDER = ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]


def test_rfc8785_sorting_example_orders_keys_by_utf16_code_units():
    out = canonical_json(RFC_SORTING_INPUT)
    assert list(json.loads(out)) == RFC_SORTING_ORDER
    expected = (
        '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis",'
        '"\u20ac":"Euro Sign","\U0001f600":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}'
    )
    assert out == expected.encode("utf-8")


def test_rfc8785_string_and_literal_example():
    # Section 3.2.2 without its "numbers" member (floats are refused on top of JCS).
    data = {"string": "\u20ac$\u000f\u000aA'\u0042\u0022\u005c\\\"/", "literals": [None, True, False]}
    assert canonical_json(data) == '{"literals":[null,true,false],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'.encode()


def test_the_library_passes_the_rfc_number_vectors_that_pactline_refuses_to_carry():
    # The same section's numbers, through the JCS library alone: it is a faithful JCS.
    numbers = [333333333.33333329, 1e30, 4.50, 2e-3, 0.000000000000000000000000001]
    assert rfc8785.dumps(numbers) == b"[333333333.3333333,1e+30,4.5,0.002,1e-27]"
    with pytest.raises(FloatNotAllowed, match="/numbers/0"):
        canonical_json({"numbers": numbers})


def test_keys_outside_the_basic_multilingual_plane_sort_by_their_surrogates():
    # U+1F600 is D83D DE00 in UTF-16, so it sorts before U+FB33; by code point it would not.
    out = canonical_json({"\ufb33": 1, "\U0001f600": 2, "\U00010000": 3, "\uffff": 4})
    assert list(json.loads(out)) == ["\U00010000", "\U0001f600", "\ufb33", "\uffff"]
    assert list(json.loads(json.dumps({"\ufb33": 1, "\U0001f600": 2}, sort_keys=True))) == ["\ufb33", "\U0001f600"]


def test_keys_that_differ_only_in_case_are_distinct_and_uppercase_sorts_first():
    out = canonical_json({"b": 1, "a": 2, "B": 3, "A": 4, "\u00e9": 5, "\u00c9": 6})
    assert out == '{"A":4,"B":3,"a":2,"b":1,"\u00c9":6,"\u00e9":5}'.encode()


def test_nested_objects_and_arrays_are_canonical_at_every_level_without_whitespace():
    out = canonical_json({"z": [{"y": 1, "x": [True, None]}], "a": {"c": "", "b": -0}})
    assert out == b'{"a":{"b":0,"c":""},"z":[{"x":[true,null],"y":1}]}'


def test_large_integers_up_to_2_pow_53_minus_1_pass_and_beyond_are_refused_with_their_path():
    assert canonical_json([MAX_SAFE_INTEGER, -MAX_SAFE_INTEGER]) == b"[9007199254740991,-9007199254740991]"
    with pytest.raises(IntegerOutOfRange, match="/payload/amount"):
        canonical_json({"payload": {"amount": MAX_SAFE_INTEGER + 1}})
    with pytest.raises(IntegerOutOfRange, match="/0"):
        canonical_json([-(2**64)])


def test_floats_are_refused_anywhere_with_their_json_pointer():
    with pytest.raises(FloatNotAllowed, match="/a~1b/0"):
        canonical_json({"a/b": [1.0]})


def test_only_json_types_are_accepted():
    with pytest.raises(TypeError, match="non-string key"):
        canonical_json({1: "x"})
    with pytest.raises(TypeError, match="bytes"):
        canonical_json({"x": b"raw"})


def test_hash_is_sha256_of_the_canonical_bytes():
    value = {"\U0001f600": "x", "\ufb33": [1, "two"]}
    assert sha256_hex(value) == hashlib.sha256(canonical_json(value)).hexdigest()
    assert sha256_hex(value) == "14a86d9a42f503fd03033a337ea5edc995034ea8f21f926b21ec1c2d3d444043"

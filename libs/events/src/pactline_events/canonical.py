"""Canonical JSON: the one byte form of anything Pactline hashes, signs or replays.

The form is RFC 8785, the JSON Canonicalization Scheme (JCS): UTF-8, no insignificant
whitespace, object keys sorted by their UTF-16 code units, strings with the minimal escapes,
numbers in their ECMAScript form. On top of JCS Pactline allows no floats at all (money is
integer minor units, ratios are decimal strings) and no integer outside the range a JSON
reader holds exactly (|n| < 2**53), so that every language that implements JCS computes the
same bytes and the same SHA-256. docs/events.md states the rule.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

import orjson
import rfc8785

MAX_SAFE_INTEGER = 2**53 - 1
"""The largest integer every JSON reader holds exactly (an IEEE 754 double's 53-bit mantissa)."""


class FloatNotAllowed(TypeError):
    """A float reached canonical JSON; money and ratios must be integers or decimal strings."""

    def __init__(self, path: str, value: float) -> None:
        super().__init__(f"float {value!r} at {path or '/'}: use integer minor units or a decimal string")
        self.path = path
        self.value = value


class IntegerOutOfRange(ValueError):
    """An integer beyond +-(2**53 - 1): JCS readers in other languages would round it."""

    def __init__(self, path: str, value: int) -> None:
        super().__init__(
            f"integer {value} at {path or '/'} is outside +-(2**53 - 1); send large values (uint256) as decimal strings"
        )
        self.path = path
        self.value = value


def _pointer_token(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _check(value: Any, path: str) -> Any:
    """Refuse what JCS-in-every-language cannot agree on; return plain JSON data (lists, dicts)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            raise IntegerOutOfRange(path, value)
        return value
    if isinstance(value, float):
        raise FloatNotAllowed(path, value)
    if isinstance(value, Mapping):
        plain: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"non-string key {key!r} at {path or '/'}")
            plain[key] = _check(item, f"{path}/{_pointer_token(key)}")
        return plain
    if isinstance(value, Sequence) and not isinstance(value, (bytes, bytearray)):
        return [_check(item, f"{path}/{index}") for index, item in enumerate(value)]
    raise TypeError(f"{type(value).__name__} at {path or '/'} is not JSON")


def _fast_path_applies(value: Any) -> bool:
    """True when orjson's sorted output is byte-for-byte the JCS form of ``value``.

    That holds for exact dict/list/str/int/bool/None with safe integers and ASCII-only keys:
    orjson escapes strings exactly as JCS does, and for ASCII keys code-point order (orjson's)
    is UTF-16 code-unit order (JCS's). Anything else takes the reference path, which also
    produces the precise error. tests/test_canonical_fast_path.py proves the equality.
    """
    kind = type(value)
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str or not key.isascii():
                return False
            # Leaves inline: one call per container, not per value (this runs for every event).
            item_kind = type(item)
            if item_kind is str or item_kind is bool or item is None:
                continue
            if item_kind is int:
                if not -MAX_SAFE_INTEGER <= item <= MAX_SAFE_INTEGER:
                    return False
            elif not _fast_path_applies(item):
                return False
        return True
    if kind is list:
        return all(_fast_path_applies(v) for v in value)
    if kind is str or kind is bool or value is None:
        return True
    if kind is int:
        return -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER
    return False


def canonical_json(value: Any) -> bytes:
    """Serialize plain JSON data (dict/list/str/int/bool/None) to its RFC 8785 bytes."""
    if _fast_path_applies(value):
        # orjson (Rust) is ~40x faster than the reference rfc8785 package on an event; it
        # refuses lone surrogates, which then fall through to the reference path's error.
        try:
            return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
        except orjson.JSONEncodeError:
            pass
    try:
        return rfc8785.dumps(_check(value, ""))
    except rfc8785.CanonicalizationError as exc:  # e.g. a lone surrogate, which UTF-8 cannot carry
        raise ValueError(f"not canonicalizable: {exc}") from None


def sha256_hex(value: Any) -> str:
    """SHA-256 of the canonical JSON of ``value``, as 64 lowercase hex digits."""
    return hashlib.sha256(canonical_json(value)).hexdigest()

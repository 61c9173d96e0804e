"""Canonical JSON: the one byte form of anything Pactline hashes, signs or replays.

Rules (documented in docs/events.md so any language can reproduce them): UTF-8, object keys
sorted by code point, no insignificant whitespace, no floats anywhere (money is integer minor
units, ratios are decimal strings), non-ASCII characters emitted as-is (not \\u-escaped).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any


class FloatNotAllowed(TypeError):
    """A float reached canonical JSON; money and ratios must be integers or decimal strings."""

    def __init__(self, path: str, value: float) -> None:
        super().__init__(f"float {value!r} at {path or '/'}: use integer minor units or a decimal string")
        self.path = path
        self.value = value


def _check(value: Any, path: str) -> None:
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return
    if isinstance(value, float):
        raise FloatNotAllowed(path, value)
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"non-string key {key!r} at {path or '/'}")
            _check(item, f"{path}/{key.replace('~', '~0').replace('/', '~1')}")
        return
    if isinstance(value, Sequence):
        for index, item in enumerate(value):
            _check(item, f"{path}/{index}")
        return
    raise TypeError(f"{type(value).__name__} at {path or '/'} is not JSON")


def canonical_json(value: Any) -> bytes:
    """Serialize plain JSON data (dict/list/str/int/bool/None) to canonical bytes."""
    _check(value, "")
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def sha256_hex(value: Any) -> str:
    """SHA-256 of the canonical JSON of ``value``, as 64 lowercase hex digits."""
    return hashlib.sha256(canonical_json(value)).hexdigest()

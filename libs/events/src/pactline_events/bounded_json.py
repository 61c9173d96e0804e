"""JSON parsing that a deeply nested input cannot crash.

Python's C JSON parser recurses once per level of nesting and relies on the recursion limit to
stop. web3 imports py_ecc, which raises that limit to 100,000, so in any process that imported
web3 (every service, the CLI, the audit replay) a 100,000-level message overflows the C stack
and kills the process instead of raising. Everything that parses JSON it did not write itself
(events off the log, request bodies, an agent's answer) goes through ``parse_json``.
"""

from __future__ import annotations

import json
from typing import Any

MAX_JSON_DEPTH = 256
"""Deepest nesting of arrays and objects accepted (events, requests, agents' answers)."""


class JsonTooDeep(ValueError):
    """Arrays/objects nest beyond ``MAX_JSON_DEPTH``: refused before parsing."""

    def __init__(self, limit: int = MAX_JSON_DEPTH) -> None:
        super().__init__(f"JSON nested too deeply (more than {limit} levels)")


def nested_deeper_than(raw: bytes, limit: int) -> bool:
    """True when arrays/objects nest beyond ``limit`` (brackets inside strings do not count)."""
    depth = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # closing quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return False


def parse_json(raw: bytes | str, *, limit: int = MAX_JSON_DEPTH, **loads: Any) -> Any:
    """``json.loads(raw, **loads)``, refusing nesting beyond ``limit`` with ``JsonTooDeep`` (a
    ``ValueError``, as malformed JSON is)."""
    if not isinstance(raw, (bytes, bytearray, str)):  # as json.loads: a tombstone's None is a TypeError
        raise TypeError(f"JSON must be str or bytes, not {type(raw).__name__}")
    data = raw.encode() if isinstance(raw, str) else raw
    # Counting brackets is C-fast; only a bracket-heavy value pays for the precise scan.
    if data.count(b"[") + data.count(b"{") > limit and nested_deeper_than(data, limit):
        raise JsonTooDeep(limit)
    try:
        return json.loads(raw, **loads)
    except RecursionError:
        raise JsonTooDeep(limit) from None

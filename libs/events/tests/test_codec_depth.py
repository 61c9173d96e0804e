"""Deeply nested JSON is refused before parsing, whatever the recursion limit of the process.

web3 imports py_ecc, which raises Python's recursion limit to 100,000; the C JSON parser then
recurses until the C stack overflows on a 100,000-level message and the process dies. Each case
runs in a child process so that a regression fails this test instead of killing the run.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from pactline_events import MalformedEvent, decode
from pactline_events.bounded_json import MAX_JSON_DEPTH

CHILD = """
import sys
sys.setrecursionlimit(100_000)  # what importing web3 (py_ecc) does
from pactline_events import MalformedEvent, decode
for raw in (b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 100_000 + b"1" + b"}" * 100_000):
    try:
        decode(raw)
    except MalformedEvent as exc:
        print(exc)
"""


def test_deep_json_is_a_malformed_event_even_with_a_raised_recursion_limit():
    child = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=60)
    assert child.returncode == 0, child.stderr[-2000:]
    assert child.stdout.count("nested too deeply") == 2


def test_brackets_inside_strings_do_not_count_and_the_limit_is_exact():
    inside_strings = b'{"event_type": "' + b"[" * 1000 + b'"}'
    with pytest.raises(MalformedEvent, match="schema_version"):  # parsed, then refused for another reason
        decode(inside_strings)
    at_limit = b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH
    with pytest.raises(MalformedEvent, match="must be a JSON object"):
        decode(at_limit)
    with pytest.raises(MalformedEvent, match="nested too deeply"):
        decode(b"[" + at_limit + b"]")


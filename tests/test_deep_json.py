"""Every parser of JSON the platform did not write itself refuses a deeply nested value instead of
crashing the process: web3 (py_ecc) raises Python's recursion limit to 100,000, and the C JSON
parser then overflows the C stack (a segfault) long before it raises RecursionError."""

from __future__ import annotations

import subprocess
import sys

EVERY_PARSER = """
import sys
sys.setrecursionlimit(100_000)  # what importing web3 (py_ecc) does
from pactline_events import ChainVerifier, MalformedEvent, parse_json, JsonTooDeep
from pactline_evaluator.checks.json_values import NotJson, parse_json as parse_output
from pactline_gateway.completions import RequestInvalid, parse_request
deep = b'{"stream_id":' * 100_000 + b"1" + b"}" * 100_000
for name, parse, refused in (
    ("parse_json", parse_json, JsonTooDeep),
    ("chain", ChainVerifier().add, MalformedEvent),  # what `pactline audit replay` reads the log with
    ("agent output", lambda raw: parse_output(raw.decode()), NotJson),
    ("gateway request", parse_request, RequestInvalid),
):
    try:
        parse(deep)
    except refused as exc:
        print(name, "refused:", exc)
"""


def test_every_parser_of_outside_json_refuses_deep_nesting_instead_of_crashing():
    """The log (chain verifier, audit replay), an agent's output (evaluator) and a buyer's request
    (gateway): each refuses a 100,000-level value, in a process whose recursion limit web3 raised."""
    child = subprocess.run([sys.executable, "-c", EVERY_PARSER], capture_output=True, text=True, timeout=60)
    assert child.returncode == 0, child.stderr[-2000:]
    lines = child.stdout.splitlines()
    assert [line.split(" refused:")[0] for line in lines] == ["parse_json", "chain", "agent output", "gateway request"]
    assert all("nested too deeply" in line for line in lines), lines

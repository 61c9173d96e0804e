"""No pattern in a pact can make the evaluator backtrack: RE2 (and Rust's regex in schemas) run
in time linear in the input, so an evil pattern on a long output finishes within a bound that a
backtracking engine (2^n steps) could never meet."""

from __future__ import annotations

import concurrent.futures
import re
import time

import pytest

from evaluator_testkit import clause, evidence
from pactline_evaluator.checks import run_check
from pactline_evaluator.checks.patterns import compile_pattern
from pactline_events import Outcome

EVIL = ["(a+)+$", "(a|aa)+$", "(a|a)+$", "(.*a){20}$", "^(([a-z])+.)+[A-Z]([a-z])+$"]
LONG = "a" * (256 * 1024) + "!"
# Generous for a linear scan of 256 KiB on a loaded 2-core machine; (a+)+$ on this input
# would take a backtracking engine about 2^262144 steps.
BOUND_S = 10.0


def _within_bound(work):
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        started = time.monotonic()
        result = pool.submit(work).result(timeout=BOUND_S)
        return result, time.monotonic() - started


@pytest.mark.parametrize("pattern", EVIL)
def test_evil_pattern_on_a_long_output_finishes_within_the_bound(pattern):
    result, elapsed = _within_bound(lambda: run_check(clause("regex_forbidden", pattern=pattern), evidence(LONG)))
    assert result.outcome is Outcome.PASS  # nothing matches: the run ends in "!"
    assert elapsed < BOUND_S


def test_evil_patterns_inside_a_json_schema_are_linear_too():
    schema = {
        "type": "object",
        "properties": {"s": {"type": "string", "pattern": "(a+)+$"}},
        "patternProperties": {"(a|aa)+$": {"type": "integer"}},
    }
    output = '{"s": "' + "a" * 100_000 + '!", "' + "a" * 100_000 + '!": "x"}'
    result, elapsed = _within_bound(lambda: run_check(clause("json_schema", schema=schema), evidence(output)))
    assert result.outcome is Outcome.FAIL  # "s" does not match
    assert elapsed < BOUND_S


def test_the_engine_is_re2_not_pythons_re():
    compiled = compile_pattern("(a+)+$")
    assert not isinstance(compiled, re.Pattern)
    assert type(compiled).__module__.startswith("re2")


def test_python_syntax_re2_lacks_is_inconclusive_with_the_reason():
    result = run_check(clause("regex_required", pattern=r"(\w)\1"), evidence("aa"))
    assert result.outcome is Outcome.INCONCLUSIVE
    assert "RE2" in result.detail
    assert "\\1" in result.detail

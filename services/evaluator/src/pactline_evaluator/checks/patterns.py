"""Regular expressions run by RE2, a linear-time engine: no pattern can backtrack forever."""

from __future__ import annotations

import functools

import re2


class PatternUnsupported(ValueError):
    """RE2 cannot run the pattern (for example a backreference or a lookaround)."""

    def __init__(self, pattern: str, reason: str) -> None:
        super().__init__(f"RE2 cannot run {pattern!r}: {reason}")
        self.pattern = pattern
        self.reason = reason


# Bounds RE2's automaton memory per pattern; past it RE2 falls back to a slower linear
# simulation, never to backtracking.
_MAX_MEM = 32 << 20


@functools.lru_cache(maxsize=1024)
def compile_pattern(pattern: str, *, ignore_case: bool = False, multiline: bool = False, dotall: bool = False):
    options = re2.Options()
    options.log_errors = False
    options.max_mem = _MAX_MEM
    options.case_sensitive = not ignore_case
    options.dot_nl = dotall
    # RE2's `^`/`$` match at line breaks with the (?m) flag only.
    source = f"(?m){pattern}" if multiline else pattern
    try:
        return re2.compile(source, options)
    except re2.error as error:
        reason = error.args[0] if error.args else str(error)
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise PatternUnsupported(pattern, str(reason)) from None

"""Checks on the output as text: patterns, phrases and length."""

from __future__ import annotations

import unicodedata

from pactline_pacts import (
    ContainsClause,
    LengthBoundsClause,
    NotContainsClause,
    RegexForbiddenClause,
    RegexRequiredClause,
)

from ..evidence import TaskEvidence
from .patterns import PatternUnsupported, compile_pattern
from .result import CheckResult, failed, inconclusive, passed, quoted
from .text_forms import folded, matching_form


def _search(clause: RegexRequiredClause | RegexForbiddenClause, output: str):
    pattern = compile_pattern(
        clause.pattern, ignore_case=clause.ignore_case, multiline=clause.multiline, dotall=clause.dotall
    )
    return pattern.search(matching_form(output))


def regex_required(clause: RegexRequiredClause, task: TaskEvidence) -> CheckResult:
    try:
        match = _search(clause, task.output)
    except PatternUnsupported as error:
        return inconclusive(None, f"the pattern cannot run on the linear-time engine (RE2): {error.reason}")
    if match is None:
        return failed("no match", "the pattern matches nowhere in the output")
    return passed(f"match at {match.start()}", f"the pattern matches at character {match.start()}")


def regex_forbidden(clause: RegexForbiddenClause, task: TaskEvidence) -> CheckResult:
    try:
        match = _search(clause, task.output)
    except PatternUnsupported as error:
        return inconclusive(None, f"the pattern cannot run on the linear-time engine (RE2): {error.reason}")
    if match is None:
        return passed("no match", "the forbidden pattern matches nowhere in the output")
    return failed(f"match at {match.start()}", f"the forbidden pattern matches at character {match.start()}")


def _phrase_positions(values: tuple[str, ...], output: str, case_sensitive: bool) -> list[tuple[str, int]]:
    """(phrase, position in the compared text or -1) for each phrase, in the pact's order."""
    text = matching_form(output)
    if not case_sensitive:
        text = folded(text)
    found = []
    for value in values:
        phrase = matching_form(value)
        if not case_sensitive:
            phrase = folded(phrase)
        found.append((value, text.find(phrase) if phrase else -1))
    return found


def contains(clause: ContainsClause, task: TaskEvidence) -> CheckResult:
    positions = _phrase_positions(clause.values, task.output, clause.case_sensitive)
    missing = [value for value, at in positions if at < 0]
    measured = f"{len(positions) - len(missing)}/{len(positions)} found"
    if missing:
        return failed(measured, "missing: " + ", ".join(quoted(v, 60) for v in missing))
    return passed(measured, "every phrase occurs in the output")


def not_contains(clause: NotContainsClause, task: TaskEvidence) -> CheckResult:
    positions = _phrase_positions(clause.values, task.output, clause.case_sensitive)
    present = [(value, at) for value, at in positions if at >= 0]
    measured = f"{len(present)}/{len(positions)} found"
    if present:
        return failed(measured, "found: " + ", ".join(f"{quoted(v, 60)} at character {at}" for v, at in present))
    return passed(measured, "no forbidden phrase occurs in the output")


def output_length(output: str, unit: str) -> int:
    """Length of the NFC output: code points, runs of non-whitespace, or str.splitlines() lines."""
    text = unicodedata.normalize("NFC", output)
    if unit == "characters":
        return len(text)
    if unit == "words":
        return len(text.split())
    return len(text.splitlines())


def length_bounds(clause: LengthBoundsClause, task: TaskEvidence) -> CheckResult:
    length = output_length(task.output, clause.unit)
    measured = f"{length} {clause.unit}"
    if length < clause.min:
        return failed(measured, f"{length} {clause.unit} is below the minimum of {clause.min}")
    if length > clause.max:
        return failed(measured, f"{length} {clause.unit} is above the maximum of {clause.max}")
    return passed(measured, f"{length} {clause.unit} lies in [{clause.min}, {clause.max}]")

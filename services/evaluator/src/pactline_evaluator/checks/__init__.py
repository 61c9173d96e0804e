"""One small pure check per deterministic clause kind (docs/evaluation.md, "Checks")."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pactline_pacts import JURY_CLAUSE_KINDS, KNOWN_CLAUSE_KINDS

from ..evidence import TaskEvidence
from . import json_values, measurements, pii, text, tools
from .result import CheckResult

Check = Callable[[Any, TaskEvidence], CheckResult]

CHECKS: dict[str, Check] = {
    "json_schema": json_values.json_schema,
    "regex_required": text.regex_required,
    "regex_forbidden": text.regex_forbidden,
    "contains": text.contains,
    "not_contains": text.not_contains,
    "max_latency_ms": measurements.max_latency_ms,
    "max_cost": measurements.max_cost,
    "max_tokens": measurements.max_tokens,
    "length_bounds": text.length_bounds,
    "allowed_tools": tools.allowed_tools,
    "forbidden_tools": tools.forbidden_tools,
    "exact_match": json_values.exact_match,
    "numeric_tolerance": json_values.numeric_tolerance,
    "no_pii": pii.no_pii,
}

if set(CHECKS) != KNOWN_CLAUSE_KINDS - JURY_CLAUSE_KINDS:  # pragma: no cover - guards the table
    raise RuntimeError(f"checks and deterministic clause kinds differ: {set(CHECKS) ^ KNOWN_CLAUSE_KINDS}")


def run_check(clause: Any, task: TaskEvidence) -> CheckResult:
    return CHECKS[clause.kind](clause, task)


__all__ = ["CHECKS", "CheckResult", "run_check"]

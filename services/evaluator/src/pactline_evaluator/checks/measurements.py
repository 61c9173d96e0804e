"""Checks on the task's measurements: latency, cost, tokens. A missing one is INCONCLUSIVE."""

from __future__ import annotations

from pactline_pacts import MaxCostClause, MaxLatencyClause, MaxTokensClause

from ..evidence import TaskEvidence
from .result import CheckResult, failed, inconclusive, passed


def _at_most(value: int | None, limit: int, unit: str, what: str) -> CheckResult:
    if value is None:
        return inconclusive(None, f"the task reported no {what}")
    if value <= limit:
        return passed(str(value), f"{value} {unit} <= limit {limit} {unit}")
    return failed(str(value), f"{value} {unit} > limit {limit} {unit}")


def max_latency_ms(clause: MaxLatencyClause, task: TaskEvidence) -> CheckResult:
    return _at_most(task.latency_ms, clause.limit_ms, "ms", "latency")


def max_cost(clause: MaxCostClause, task: TaskEvidence) -> CheckResult:
    return _at_most(task.cost, clause.limit_minor_units, "minor units", "cost")


def max_tokens(clause: MaxTokensClause, task: TaskEvidence) -> CheckResult:
    limit = clause.limit_tokens
    if clause.scope == "total":
        return _at_most(task.total_tokens, limit, "tokens", "total token count")
    if task.output_tokens is not None:
        return _at_most(task.output_tokens, limit, "output tokens", "output token count")
    total = task.total_tokens
    if total is None:
        return inconclusive(None, "the task reported no token count")
    # Only a total was reported: it bounds the output's count from above.
    if total <= limit:
        return passed(f"<= {total}", f"output tokens <= total {total} <= limit {limit}")
    return inconclusive(
        f"<= {total}",
        f"only a total of {total} tokens was reported (above the limit {limit}); the output's count is unknown",
    )

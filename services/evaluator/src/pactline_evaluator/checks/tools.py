"""Checks on the tool calls the task reports, by exact tool name."""

from __future__ import annotations

from pactline_pacts import AllowedToolsClause, ForbiddenToolsClause

from ..evidence import TaskEvidence
from .result import CheckResult, failed, passed, quoted


def _names(names: list[str]) -> str:
    return ", ".join(quoted(name, 60) for name in dict.fromkeys(names))


def allowed_tools(clause: AllowedToolsClause, task: TaskEvidence) -> CheckResult:
    allowed = set(clause.tools)
    outside = [name for name in task.tool_names if name not in allowed]
    measured = f"{len(task.tool_names)} calls, {len(outside)} not allowed"
    if outside:
        return failed(measured, "called tools outside the allowed list: " + _names(outside))
    return passed(measured, "every tool called is allowed" if task.tool_names else "no tool was called")


def forbidden_tools(clause: ForbiddenToolsClause, task: TaskEvidence) -> CheckResult:
    forbidden = set(clause.tools)
    called = [name for name in task.tool_names if name in forbidden]
    measured = f"{len(task.tool_names)} calls, {len(called)} forbidden"
    if called:
        return failed(measured, "called forbidden tools: " + _names(called))
    return passed(measured, "no forbidden tool was called")

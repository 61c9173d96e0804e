"""What a check reads about one task, taken from TaskCompleted in one place (``task_evidence``),
so a change of the event's shape is absorbed here and nowhere else."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Provenance = Literal["gateway", "countersigned", "buyer_only"]
PROVENANCES: frozenset[str] = frozenset({"gateway", "countersigned", "buyer_only"})

# The TaskCompleted field that says how the measurements were obtained (issue 10). Events
# written before it existed carry none and count as reported by the buyer alone.
PROVENANCE_FIELD = "provenance"


@dataclass(frozen=True, slots=True)
class TaskEvidence:
    """The evidence of one completed task. ``None`` means the task did not report it."""

    task_id: str
    input: str
    output: str
    output_digest: str
    tool_names: tuple[str, ...]
    latency_ms: int | None
    cost: int | None
    output_tokens: int | None
    total_tokens: int | None
    reference: str | None
    provenance: Provenance


def provenance_of(task: Any) -> Provenance:
    """The task's provenance; absent (a v1 event) or unknown values count as ``buyer_only``,
    the level that can never produce a FAIL of a measured clause."""
    value = getattr(task, PROVENANCE_FIELD, None)
    value = getattr(value, "value", value)  # an enum member or its plain string
    return value if isinstance(value, str) and value in PROVENANCES else "buyer_only"


def _optional_int(task: Any, name: str) -> int | None:
    value = getattr(task, name, None)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def task_evidence(task: Any) -> TaskEvidence:
    """Evidence from a TaskCompleted payload (v1, or a later version with more fields).

    v1 reports one ``tokens`` count for the whole task, read as the total (input + output); a
    version that reports ``output_tokens`` / ``input_tokens`` separately is read exactly.
    """
    output_tokens = _optional_int(task, "output_tokens")
    input_tokens = _optional_int(task, "input_tokens")
    total = _optional_int(task, "total_tokens")
    if total is None and output_tokens is not None and input_tokens is not None:
        total = input_tokens + output_tokens
    if total is None and output_tokens is None:
        total = _optional_int(task, "tokens")
    return TaskEvidence(
        task_id=task.task_id,
        input=task.input,
        output=task.output,
        output_digest=task.output_digest,
        tool_names=tuple(call.name for call in task.tool_calls),
        latency_ms=_optional_int(task, "latency_ms"),
        cost=_optional_int(task, "cost"),
        output_tokens=output_tokens,
        total_tokens=total,
        reference=getattr(task, "reference", None),
        provenance=provenance_of(task),
    )

"""The task report a provider countersigns: the task's digests and measurements as EIP-712
typed data (docs/evaluation.md, "Evidence provenance", specifies every field)."""

from __future__ import annotations

import hashlib
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from pactline_events import ToolCall, canonical_json

DOMAIN: dict[str, str] = {"name": "Pactline", "version": "1"}
NOT_REPORTED = -1
"""Signed in place of an optional measurement the report leaves out (EIP-712 has no null)."""

TASK_REPORT_TYPES: dict[str, list[dict[str, str]]] = {
    "EIP712Domain": [{"name": "name", "type": "string"}, {"name": "version", "type": "string"}],
    "TaskReport": [
        {"name": "acceptanceId", "type": "string"},
        {"name": "idempotencyKey", "type": "string"},
        {"name": "escrowJobId", "type": "string"},
        {"name": "inputDigest", "type": "bytes32"},
        {"name": "outputDigest", "type": "bytes32"},
        {"name": "toolCallsDigest", "type": "bytes32"},
        {"name": "referenceDigest", "type": "bytes32"},
        {"name": "latencyMs", "type": "uint256"},
        {"name": "firstTokenMs", "type": "int256"},
        {"name": "cost", "type": "uint256"},
        {"name": "tokens", "type": "uint256"},
        {"name": "inputTokens", "type": "int256"},
        {"name": "outputTokens", "type": "int256"},
    ],
}


class TaskReport(BaseModel):
    """What the buyer reports about one task, as both parties see it before it is submitted."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    acceptance_id: str = Field(min_length=1)
    idempotency_key: str = Field(min_length=1)
    escrow_job_id: str | None = None
    input: str
    output: str
    tool_calls: tuple[ToolCall, ...] = ()
    reference: str | None = None
    latency_ms: int = Field(ge=0)
    first_token_ms: int | None = Field(default=None, ge=0)
    cost: int = Field(ge=0)
    tokens: int = Field(ge=0)
    input_tokens: int | None = Field(default=None, ge=0)
    output_tokens: int | None = Field(default=None, ge=0)

    def digests(self) -> dict[str, str]:
        """The four 0x-hex SHA-256 digests the signature covers instead of the texts."""
        return {
            "inputDigest": _sha256(_utf8(self.input)),
            "outputDigest": _sha256(_utf8(self.output)),
            "toolCallsDigest": _sha256(canonical_json([call.model_dump(mode="json") for call in self.tool_calls])),
            "referenceDigest": "0x" + "00" * 32 if self.reference is None else _sha256(_utf8(self.reference)),
        }

    def message(self) -> dict[str, Any]:
        return {
            "acceptanceId": self.acceptance_id,
            "idempotencyKey": self.idempotency_key,
            "escrowJobId": self.escrow_job_id or "",
            **self.digests(),
            "latencyMs": self.latency_ms,
            "firstTokenMs": _or_not_reported(self.first_token_ms),
            "cost": self.cost,
            "tokens": self.tokens,
            "inputTokens": _or_not_reported(self.input_tokens),
            "outputTokens": _or_not_reported(self.output_tokens),
        }


def typed_data(report: TaskReport) -> dict[str, Any]:
    """The full EIP-712 message (``eth_signTypedData_v4`` input) for ``report``."""
    return {"types": TASK_REPORT_TYPES, "primaryType": "TaskReport", "domain": DOMAIN, "message": report.message()}


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def _sha256(data: bytes) -> str:
    return "0x" + hashlib.sha256(data).hexdigest()


def _or_not_reported(value: int | None) -> int:
    return NOT_REPORTED if value is None else value

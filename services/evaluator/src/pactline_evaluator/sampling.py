"""Which ``should`` rubric clauses the jury judges on a task: the platform's sampling policy.

A deterministic function of the policy version, the task id and the clause id, so a replay
makes the same choice and no operator or buyer can steer it (docs/evaluation.md, "Sampling").
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal

from pactline_pacts.fields import decimal_text

SCALE = 10_000  # rates have at most 4 decimal places


class InvalidSamplingRate(ValueError):
    def __init__(self, rate: Decimal) -> None:
        super().__init__(f"sampling rate {rate} must lie in [0, 1] with at most 4 decimal places")
        self.rate = rate


@dataclass(frozen=True, slots=True)
class SamplingPolicy:
    version: str
    should_rubric_rate: Decimal

    def __post_init__(self) -> None:
        scaled = self.should_rubric_rate * SCALE
        if not (0 <= self.should_rubric_rate <= 1) or scaled != scaled.to_integral_value():
            raise InvalidSamplingRate(self.should_rubric_rate)

    @property
    def rate_text(self) -> str:
        return decimal_text(self.should_rubric_rate)


def draw(policy_version: str, task_id: str, clause_id: str) -> int:
    """A number in [0, 10000): the first 8 bytes of SHA-256 over the three ids, mod 10000."""
    digest = hashlib.sha256(f"{policy_version}\n{task_id}\n{clause_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % SCALE


def is_sampled(policy: SamplingPolicy, task_id: str, clause_id: str) -> bool:
    return draw(policy.version, task_id, clause_id) < int(policy.should_rubric_rate * SCALE)

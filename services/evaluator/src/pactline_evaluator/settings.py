"""Evaluator configuration from the environment (PACTLINE_*), read once at start-up.

The sampling policy and the jury deadline are the platform's, never a pact's or an operator's;
a change of either is a new policy version, recorded in every verdict it produces.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from pydantic import Field

from pactline_identities import KeyPepperSettings
from pactline_service import ServiceSettings

from .domain import Policy
from .sampling import SamplingPolicy


class EvaluatorSettings(ServiceSettings, KeyPepperSettings):
    # PACTLINE_REGISTRY_KEY_PEPPER (KeyPepperSettings): the registry's pepper, to check the API
    # keys of the read API against the HMACs the registry announces.
    # PACTLINE_EVALUATOR_SAMPLING_POLICY_VERSION: names the policy below; change it with the rate.
    evaluator_sampling_policy_version: str = Field("2026-11-1", min_length=1, max_length=64)
    # PACTLINE_EVALUATOR_SHOULD_RUBRIC_RATE: share of tasks on which each `should` rubric clause
    # is judged, a decimal in [0, 1] with at most 4 places (`must` rubric clauses: always).
    evaluator_should_rubric_rate: Decimal = Field(Decimal("0.25"), ge=0, le=1, decimal_places=4)
    # PACTLINE_EVALUATOR_JURY_TIMEOUT_S: the deadline is the task's event time plus this.
    evaluator_jury_timeout_s: int = Field(600, ge=1, le=7 * 86_400)
    # PACTLINE_EVALUATOR_SWEEP_GRACE_S: how long after a deadline the sweeper waits before it
    # times a task out (answers still in flight, docs/evaluation.md "Deadline").
    evaluator_sweep_grace_s: int = Field(60, ge=0, le=86_400)
    # PACTLINE_EVALUATOR_SWEEP_INTERVAL_S: how often the sweeper looks for overdue tasks.
    evaluator_sweep_interval_s: float = Field(5.0, gt=0, le=3600)

    def policy(self) -> Policy:
        return Policy(
            SamplingPolicy(self.evaluator_sampling_policy_version, self.evaluator_should_rubric_rate),
            timedelta(seconds=self.evaluator_jury_timeout_s),
        )

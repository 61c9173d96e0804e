"""Sampling of should rubric clauses: deterministic in (policy version, task, clause), at the rate."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pactline_evaluator.sampling import InvalidSamplingRate, SamplingPolicy, draw, is_sampled


def test_the_draw_is_a_fixed_function_of_the_ids():
    # Fixed vector, so another implementation (docs/evaluation.md) can check itself.
    assert draw("sampling-2026-11", "tsk-1", "helpful") == 8236
    assert draw("sampling-2026-11", "tsk-1", "helpful") == draw("sampling-2026-11", "tsk-1", "helpful")
    assert draw("sampling-2026-12", "tsk-1", "helpful") != draw("sampling-2026-11", "tsk-1", "helpful")


@pytest.mark.parametrize(("rate", "expected"), [("0", 0), ("1", 2000)])
def test_rates_zero_and_one_judge_nothing_and_everything(rate, expected):
    policy = SamplingPolicy("v1", Decimal(rate))
    assert sum(is_sampled(policy, f"tsk-{i}", "c") for i in range(2000)) == expected


def test_the_share_sampled_follows_the_rate():
    policy = SamplingPolicy("v1", Decimal("0.25"))
    share = sum(is_sampled(policy, f"tsk-{i}", "c") for i in range(8000)) / 8000
    assert 0.22 < share < 0.28


@pytest.mark.parametrize("rate", ["-0.1", "1.5", "0.12345"])
def test_rates_outside_the_unit_interval_or_too_precise_are_refused(rate):
    with pytest.raises(InvalidSamplingRate):
        SamplingPolicy("v1", Decimal(rate))

"""The raw baseline's warm-up rule and the pass it reports (bench/kafka_baseline.py)."""

from __future__ import annotations

import kafka_baseline as baseline  # bench/ is on the tests' path (pyproject.toml)


def test_the_warm_up_goes_on_while_a_pass_gains_ten_percent_or_more():
    assert not baseline.warmed([])
    assert not baseline.warmed([6172.0])
    assert not baseline.warmed([6172.0, 9067.0, 14274.0])  # +57%
    assert not baseline.warmed([6172.0, 9067.0, 9973.7])  # +10.0%: still rising


def test_one_noisy_pass_does_not_end_the_warm_up_early():
    assert not baseline.warmed([6172.0, 5900.0])


def test_the_warm_up_ends_at_a_plateau_or_a_drop():
    assert baseline.warmed([6172.0, 9067.0, 14274.0, 14500.0])  # +1.6%
    assert baseline.warmed([6172.0, 9067.0, 14274.0, 11026.0])  # slower than the pass before


def test_the_warm_up_ends_after_its_passes_whatever_the_rates():
    rising = [1000.0 * 2**n for n in range(6)]
    assert not baseline.warmed(rising[:5], max_passes=6)
    assert baseline.warmed(rising, max_passes=6)
    assert baseline.warmed(rising[:3], max_passes=3)


def test_the_reported_pass_is_the_median_one_with_its_own_latencies():
    passes = [
        {"events_per_s": 12580.1, "latency_ms": {"p50": 12.6, "p99": 29.7}},
        {"events_per_s": 10394.0, "latency_ms": {"p50": 13.6, "p99": 68.5}},
        {"events_per_s": 11026.0, "latency_ms": {"p50": 12.9, "p99": 32.8}},
    ]
    assert baseline.median_pass(passes) is passes[2]

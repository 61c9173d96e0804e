"""The gas-limit rule, from fixed cases."""

from __future__ import annotations

import pytest

from pactline_escrow.gas import HEADROOM_GAS, gas_limit


def test_the_headroom_covers_two_balances_refilled_from_zero():
    assert HEADROOM_GAS == 34_200  # 2 x (20,000 - 2,900)


@pytest.mark.parametrize(
    ("estimate", "margin_pct", "limit"),
    [
        (58_888, 20, 58_888 + 11_777 + 34_200),  # a funding on a non-empty escrow
        (21_000, 0, 55_200),
        (99, 20, 99 + 19 + 34_200),  # rounded down
        (100_000, 200, 334_200),
    ],
)
def test_the_limit_is_the_estimate_plus_the_margin_plus_the_headroom(estimate, margin_pct, limit):
    assert gas_limit(estimate, margin_pct) == limit


def test_the_default_margin_is_twenty_percent():
    assert gas_limit(50_000) == 50_000 + 10_000 + 34_200


@pytest.mark.parametrize(("estimate", "margin_pct"), [(-1, 20), (50_000, -5)])
def test_a_negative_estimate_or_margin_is_refused(estimate, margin_pct):
    with pytest.raises(ValueError, match="must not be negative"):
        gas_limit(estimate, margin_pct)

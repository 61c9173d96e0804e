"""The lower credible bound of a dimension, computed exactly with integers.

L(a, b) is the lower end of the Wilson score interval at z = 2 for a passes among a + b
(pseudo-)observations, a closed-form stand-in for the lower quantile of Beta(a, b):

    L = (a + z^2/2 - z * sqrt(a*b/(a+b) + z^2/4)) / (a + b + z^2)

It rises with a, falls with b, and is 0 when a = 0. The result is floor(10^6 * L) of the exact
real number (no rounding inside), so the monotonicity holds digit for digit and any language
with big integers gets the same value.
"""

from __future__ import annotations

from math import isqrt

from .formula import MICRO

_Z_SQUARED = 4


def lower_bound_micro(a_num: int, b_num: int, denominator: int) -> int:
    """floor(10^6 * L(a, b)) for a = a_num / denominator and b = b_num / denominator.

    ``b_num`` must be positive (the prior's failures guarantee it), ``a_num`` non-negative.
    """
    if a_num < 0 or b_num <= 0 or denominator <= 0:
        raise ValueError(f"lower bound needs a >= 0, b > 0, q > 0 (got {a_num}, {b_num}, {denominator})")
    if a_num == 0:
        return 0
    q = denominator
    n = a_num + b_num
    d = n + _Z_SQUARED * q  # (a + b + z^2) * q
    p = a_num + (_Z_SQUARED // 2) * q  # (a + z^2/2) * q
    # z * sqrt(S) with S * n = q*a*b + q^2*n (all times q^2), z = 2
    s_times_n = q * a_num * b_num + q * q * n

    def fits(m: int) -> bool:
        # m <= 10^6 * (p - 2 sqrt(S)) / d  <=>  2 * 10^6 * sqrt(S) <= 10^6 * p - m * d
        rest = MICRO * p - m * d
        return rest >= 0 and 4 * MICRO * MICRO * s_times_n <= rest * rest * n

    root = isqrt(s_times_n * n)  # floor(sqrt(S) * n)
    m = min(MICRO, (MICRO * (p * n - 2 * root)) // (n * d))
    while m > 0 and not fits(m):
        m -= 1
    return m

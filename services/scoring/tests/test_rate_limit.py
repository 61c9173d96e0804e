"""The Trust Oracle's per-client token bucket, on a clock the test moves."""

from __future__ import annotations

from pactline_scoring.rate_limit import ClientRateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_client_gets_its_burst_then_waits_for_tokens():
    clock = Clock()
    limiter = ClientRateLimiter(rate=2.0, burst=3, clock=clock)
    assert [limiter.allow("10.0.0.1")[0] for _ in range(4)] == [True, True, True, False]
    assert limiter.allow("10.0.0.1") == (False, 0.5)
    clock.now += 0.5
    assert limiter.allow("10.0.0.1") == (True, 0.0)


def test_clients_do_not_share_a_bucket_and_the_oldest_is_forgotten():
    clock = Clock()
    limiter = ClientRateLimiter(rate=1.0, burst=1, clock=clock, max_clients=2)
    assert limiter.allow("a")[0]
    assert limiter.allow("b")[0]
    assert not limiter.allow("a")[0]
    limiter.allow("c")  # three clients: "b", the least recently seen, is forgotten
    assert limiter.allow("b")[0]

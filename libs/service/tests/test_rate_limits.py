"""The token buckets the registry (writes per API key) and the Trust Oracle (reads per client
address) limit their callers with, on clocks the tests move."""

from __future__ import annotations

import pytest

from pactline_service.rate_limits import TokenBuckets

# Per key --------------------------------------------------------------------------------


def test_a_bucket_allows_a_burst_then_the_rate():
    limiter = TokenBuckets(rate_per_s=2, burst=3)
    assert [limiter.take("k", 0.0) for _ in range(3)] == [None, None, None]
    assert limiter.take("k", 0.0) == pytest.approx(0.5)  # one token every half second
    assert limiter.take("other", 0.0) is None  # per key
    assert limiter.take("k", 0.5) is None
    assert limiter.take("k", 0.5) == pytest.approx(0.5)
    assert [limiter.take("k", 100.0) for _ in range(4)][3] is not None  # refilled to the burst, no more


def test_idle_keys_are_forgotten_beyond_the_bound():
    limiter = TokenBuckets(rate_per_s=1, burst=1, max_keys=2)
    for key in ("a", "b", "c"):
        assert limiter.take(key, 0.0) is None
    assert limiter.take("a", 0.0) is None  # forgotten, so back with a full bucket
    assert limiter.take("c", 0.0) is not None


def test_a_client_waits_exactly_until_its_next_token():
    limiter = TokenBuckets(rate_per_s=2.0, burst=3)
    assert [limiter.take("10.0.0.1", 100.0) is None for _ in range(4)] == [True, True, True, False]
    assert limiter.take("10.0.0.1", 100.0) == 0.5
    assert limiter.take("10.0.0.1", 100.5) is None


def test_the_least_recently_seen_key_is_forgotten_first():
    limiter = TokenBuckets(rate_per_s=1.0, burst=1, max_keys=2)
    assert limiter.take("a", 0.0) is None
    assert limiter.take("b", 0.0) is None
    assert limiter.take("a", 0.0) is not None  # refused, but seen: "b" is now the oldest
    limiter.take("c", 0.0)  # three keys: "b" is forgotten
    assert limiter.take("b", 0.0) is None


def test_a_limit_needs_a_positive_rate_and_a_burst():
    with pytest.raises(ValueError, match="positive rate"):
        TokenBuckets(rate_per_s=0, burst=1)
    with pytest.raises(ValueError, match="burst of at least 1"):
        TokenBuckets(rate_per_s=1, burst=0)

"""Rate limits a service applies to its callers: a token bucket per key, held by this process.

Each key (the registry: an API key's writes; the Trust Oracle: a client address's reads) may
act ``rate_per_s`` times a second on average and ``burst`` times at once. Pure: the caller
passes the clock in (``time.monotonic()``). With several replicas each holds its own buckets,
so a key's effective limit is the replica count times this one. The least recently seen keys
beyond ``max_keys`` are forgotten (a forgotten key comes back with a full bucket, which is
where an idle key would be anyway), so memory stays bounded whatever the callers send.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    updated: float


class TokenBuckets:
    def __init__(self, rate_per_s: float, burst: int, max_keys: int = 100_000) -> None:
        if rate_per_s <= 0 or burst < 1:
            raise ValueError("a rate limit needs a positive rate and a burst of at least 1")
        self.rate_per_s = rate_per_s
        self.burst = burst
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def take(self, key: str, now: float) -> float | None:
        """Spend one token of ``key``: None when allowed, else the seconds until one is."""
        bucket = self._buckets.pop(key, None) or _Bucket(float(self.burst), now)
        bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.updated) * self.rate_per_s)
        bucket.updated = now
        self._buckets[key] = bucket  # most recent last: the oldest key is forgotten first
        while len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return None
        return (1 - bucket.tokens) / self.rate_per_s

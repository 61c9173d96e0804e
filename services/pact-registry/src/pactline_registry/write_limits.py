"""Per-key rate limits on writes: a token bucket for each API key, held by this process.

Each key may write ``rate_per_s`` times a second on average and ``burst`` times at once. Pure:
the caller passes the clock in (``time.monotonic()``). With several registry replicas each
holds its own buckets, so a key's effective limit is the replica count times this one.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    updated: float


class WriteLimiter:
    def __init__(self, rate_per_s: float, burst: int, max_keys: int = 100_000) -> None:
        if rate_per_s <= 0 or burst < 1:
            raise ValueError("a write limit needs a positive rate and a burst of at least 1")
        self.rate_per_s = rate_per_s
        self.burst = burst
        self.max_keys = max_keys
        # Least recently used first; a forgotten key comes back with a full bucket, which is
        # where an idle key would be anyway.
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def take(self, key: str, now: float) -> float | None:
        """Spend one write of ``key``: None when allowed, else the seconds until one is."""
        bucket = self._buckets.pop(key, None) or _Bucket(float(self.burst), now)
        bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.updated) * self.rate_per_s)
        bucket.updated = now
        self._buckets[key] = bucket
        while len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return None
        return (1 - bucket.tokens) / self.rate_per_s

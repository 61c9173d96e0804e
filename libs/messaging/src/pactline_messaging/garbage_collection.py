"""Garbage collection thresholds for a replay from offset 0 (a projection rebuild, an audit).

A replay decodes polls of thousands of events that all live until the poll is folded. Every
one of them survives the young collections, so with CPython's default thresholds (700, 10, 10)
the full collection, which scans the whole heap, runs every couple of thousand events: measured
on the scoring rebuild, it took more time than decoding and verifying the events did. Raising
the thresholds while the replay runs makes young collections rarer and full ones rarer still;
nothing is leaked (cycles are collected later), and the previous thresholds come back after.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

REPLAY_THRESHOLDS = (50_000, 20, 100)
"""gc.set_threshold() while replaying: a full collection at most every 10^8 allocations."""


@contextlib.contextmanager
def replay_thresholds() -> Iterator[None]:
    """Run the block with ``REPLAY_THRESHOLDS`` (process-wide: use it in a process that replays)."""
    previous = gc.get_threshold()
    gc.set_threshold(*REPLAY_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*previous)

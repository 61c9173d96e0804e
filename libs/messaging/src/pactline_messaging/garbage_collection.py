"""Garbage collection paused while a process replays the log from offset 0 (a projection
rebuild, an audit).

A replay decodes polls of thousands of events that all live until the poll is folded, so every
one of them survives the young collections and gets scanned again and again: with CPython's
default thresholds the collector took more time than decoding and verifying the events did
(scoring rebuild, 10,000-event polls), and with raised thresholds still about a sixth of the
time. A replay makes almost no cyclic garbage (a 41,000-event scoring rebuild left 21 objects
for the collector; everything else is freed by reference counting), so the replay runs with
automatic collection off and collects explicitly now and then (``COLLECT_EVERY`` events): the
memory cycles could hold stays bounded whatever the length of the log.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

COLLECT_EVERY = 1_000_000
"""Events folded between two explicit full collections during a replay."""


@contextlib.contextmanager
def collection_paused() -> Iterator[None]:
    """Run the block with automatic garbage collection off (process-wide: for a process that
    replays), then restore it and collect."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
        gc.collect()

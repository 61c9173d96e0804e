"""Garbage collection paused while a process replays the log from offset 0 (a projection
rebuild, an audit), deferred while a consumer applies a poll, and never again over what a
service made at startup.

A replay decodes polls of thousands of events that all live until the poll is folded, so every
one of them survives the young collections and gets scanned again and again: with CPython's
default thresholds the collector took more time than decoding and verifying the events did
(scoring rebuild, 10,000-event polls), and with raised thresholds still about a sixth of the
time. A replay makes almost no cyclic garbage (a 41,000-event scoring rebuild left 21 objects
for the collector; everything else is freed by reference counting), so the replay runs with
automatic collection off and collects explicitly now and then (``COLLECT_EVERY`` events): the
memory cycles could hold stays bounded whatever the length of the log.

A live consumer's poll has the same shape on a smaller scale: its few hundred events and what
is made of them live until the poll commits, so the young collections that run meanwhile scan
them again and again without freeing anything (the evaluator spent about a sixth of its CPU in
the collector). ``collections_deferred`` turns automatic collection off while a poll is
applied and collects the young generations once it is done: at most one poll's cycles wait
for the collector. ``freeze_startup_objects`` moves everything a service made while starting
(modules, schemas, clients: over 100,000 objects) out of the collector's reach, so an
occasional full collection no longer scans them (about 0.1 s each, one every second or two
under load).
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

_deferring = 0
"""Blocks inside ``collections_deferred`` now (consumers of one process can overlap)."""
_enabled_before = True

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


@contextlib.contextmanager
def collections_deferred() -> Iterator[None]:
    """Run the block with automatic collection off, then collect the young generations (0 and
    1) when the last overlapping block ends. Process-wide, as the collector is."""
    global _deferring, _enabled_before
    if _deferring == 0:
        _enabled_before = gc.isenabled()
        gc.disable()
    _deferring += 1
    try:
        yield
    finally:
        _deferring -= 1
        if _deferring == 0 and _enabled_before:
            gc.enable()
            gc.collect(1)


def freeze_startup_objects() -> None:
    """Collect once, then exempt every object alive now from later collections (``gc.freeze``):
    for a service that has finished starting."""
    gc.collect()
    gc.freeze()

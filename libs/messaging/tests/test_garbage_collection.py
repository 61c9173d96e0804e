"""The collector is off while a poll is applied (however many consumers overlap), back on and
the young generations collected after; a service's startup objects are frozen out of it."""

from __future__ import annotations

import gc

import pytest

from pactline_messaging.garbage_collection import collection_paused, collections_deferred, freeze_startup_objects


@pytest.fixture(autouse=True)
def collector_restored():
    enabled = gc.isenabled()
    yield
    gc.unfreeze()
    if enabled:
        gc.enable()
    else:
        gc.disable()


def test_collection_is_off_inside_and_back_on_after_the_last_overlapping_block():
    gc.enable()
    with collections_deferred():
        assert not gc.isenabled()
        with collections_deferred():  # a second consumer's poll overlapping the first
            assert not gc.isenabled()
        assert not gc.isenabled()  # the first poll is still being applied
    assert gc.isenabled()


def test_a_cycle_made_during_a_poll_is_collected_when_it_ends():
    gc.enable()

    class Node:
        pass

    with collections_deferred():
        node = Node()
        node.self = node
        cycles = [o for o in gc.get_objects() if type(o) is Node]
        assert len(cycles) == 1
        del node, cycles
    assert not [o for o in gc.get_objects() if type(o) is Node]


def test_collection_stays_off_when_it_was_off_before():
    gc.disable()
    with collections_deferred():
        assert not gc.isenabled()
    assert not gc.isenabled()
    with collection_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_a_failing_poll_still_turns_collection_back_on():
    gc.enable()
    with pytest.raises(LookupError), collections_deferred():
        raise LookupError("the handler failed")
    assert gc.isenabled()


def test_startup_objects_are_frozen_out_of_collection():
    gc.unfreeze()
    startup_object = {"made": "at startup"}
    freeze_startup_objects()
    assert gc.get_freeze_count() > 0
    assert not any(o is startup_object for o in gc.get_objects())  # no generation holds it now

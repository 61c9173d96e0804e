"""Declaring handlers: by payload class from the catalog, once each, topics derived."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pactline_events import AgentRegistered, Envelope, TrustScoreUpdated, derived_event_id
from pactline_events.topics import AGENTS, TRUST_SCORES
from pactline_messaging import EventHandlers, HandlerContext


async def noop(ctx: HandlerContext, event: Envelope) -> None:
    return None


def test_a_handler_for_an_event_outside_the_catalog_is_refused():
    class NotInCatalog(AgentRegistered):
        event_type = "NotInCatalog"

    with pytest.raises(ValueError, match="not in the event catalog"):
        EventHandlers().on(NotInCatalog)(noop)


def test_an_event_type_gets_one_handler_only():
    handlers = EventHandlers()
    handlers.on(AgentRegistered)(noop)
    with pytest.raises(ValueError, match="already has a handler"):
        handlers.on(AgentRegistered)(noop)


def test_topics_follow_from_the_handled_event_types_in_a_stable_order():
    handlers = EventHandlers()
    handlers.on(TrustScoreUpdated, AgentRegistered)(noop)
    assert handlers.topics == (TRUST_SCORES.name, AGENTS.name)
    assert handlers.get("AgentRegistered") is noop
    assert handlers.get("PactPublished") is None


def test_derived_event_ids_are_uuid7_stamped_with_the_event_time_and_differ_by_their_parts():
    moment = datetime(2026, 11, 27, 12, 0, 0, 123456, tzinfo=UTC)
    first = derived_event_id(moment, "scoring", "cause-1", "trust-a", 0)
    assert first == derived_event_id(moment, "scoring", "cause-1", "trust-a", 0)
    assert first.version == 7
    assert first.int >> 80 == 1_795_780_800_123  # Unix milliseconds of `moment`
    assert str(first) == "01a21ce0-6e7b-79b2-8795-a554f2e637f8"
    others = {derived_event_id(moment, "scoring", "cause-1", "trust-a", n) for n in range(1, 50)}
    assert first not in others
    assert len(others) == 49
    with pytest.raises(ValueError, match="UTC offset"):
        derived_event_id(datetime(2026, 1, 1), "x")


def test_deadlocks_and_serialization_failures_never_count_against_a_message():
    import asyncpg

    from pactline_messaging.retrying import is_infrastructure_error

    assert is_infrastructure_error(asyncpg.DeadlockDetectedError("deadlock detected"))
    assert is_infrastructure_error(asyncpg.SerializationError("could not serialize access"))
    assert not is_infrastructure_error(asyncpg.UniqueViolationError("duplicate key"))
    assert not is_infrastructure_error(ValueError("a bad payload"))

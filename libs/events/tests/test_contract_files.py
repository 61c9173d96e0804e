"""The checked-in JSON Schemas match the models, and every event type has a topic."""

from __future__ import annotations

import json

import jsonschema

from event_factories import stream
from pactline_events import EVENT_TOPICS, EVENT_TYPES, topic_for
from pactline_events.schemas import SCHEMA_DIR, rendered


def test_checked_in_schemas_are_fresh():
    wanted = rendered()
    on_disk = {p.name: p.read_text() for p in SCHEMA_DIR.glob("*.json")}
    stale = sorted(name for name in wanted.keys() | on_disk.keys() if wanted.get(name) != on_disk.get(name))
    assert not stale, f"stale schemas {stale}: run `uv run python -m pactline_events.schemas`"


def test_schemas_are_valid_and_accept_real_events():
    schema = json.loads((SCHEMA_DIR / "AgentRegistered.v2.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(json.loads(stream("agent-a", 1)[0]), schema)


def test_schema_rejects_a_wrong_event_type():
    schema = json.loads((SCHEMA_DIR / "AgentRegistered.v2.json").read_text())
    event = json.loads(stream("agent-a", 1)[0])
    event["event_type"] = "PactPublished"
    assert not jsonschema.Draft202012Validator(schema).is_valid(event)


def test_every_event_type_has_exactly_one_topic():
    carried = [et for spec in EVENT_TOPICS for et in spec.event_types]
    assert sorted(carried) == sorted(EVENT_TYPES)
    assert topic_for("TaskCompleted") == topic_for("PactAccepted")


def test_event_topics_keep_everything():
    assert all(spec.configs["retention.ms"] == "-1" for spec in EVENT_TOPICS)

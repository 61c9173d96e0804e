"""Exports a JSON Schema per event type and an AsyncAPI document of the topics.

The files are checked in under libs/events/schemas/ so consumers in any language can validate
what they read; a test fails when they are stale. Regenerate with
``uv run python -m pactline_events.schemas``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from .catalog import EVENT_TYPES
from .envelope import Envelope
from .topics import ALL_TOPICS

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas"
DIALECT = "https://json-schema.org/draft/2020-12/schema"


def event_schema(event_type: str) -> dict[str, Any]:
    """The JSON Schema of a whole event (envelope plus this type's payload)."""
    cls = EVENT_TYPES[event_type]
    envelope = Envelope.model_json_schema(mode="serialization")
    payload = cls.model_json_schema(mode="serialization", ref_template="#/$defs/{model}")
    defs = {**envelope.pop("$defs", {}), **payload.pop("$defs", {})}
    defs.pop("EventPayload", None)
    props = dict(envelope["properties"])
    for name in ("key_id", "signature"):
        # Absent rather than null when an event is unsigned (the encoder leaves them out).
        field = dict(props[name])
        string = next(option for option in field.pop("anyOf") if option.get("type") == "string")
        field.pop("default", None)
        props[name] = {**field, **string}
    props["event_type"] = {"const": event_type}
    props["schema_version"] = {"const": cls.schema_version}
    props["payload"] = {"$ref": f"#/$defs/{event_type}Payload"}
    defs[f"{event_type}Payload"] = payload
    return {
        "$schema": DIALECT,
        "$id": f"https://pactline.dev/schemas/events/{event_type}.v{cls.schema_version}.json",
        "title": event_type,
        "description": (cls.__doc__ or "").strip(),
        "type": "object",
        "properties": props,
        "required": envelope["required"],
        "additionalProperties": False,
        "$defs": defs,
    }


def asyncapi() -> dict[str, Any]:
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for spec in ALL_TOPICS:
        messages = {
            et: {"name": et, "payload": {"$ref": f"./{et}.v{EVENT_TYPES[et].schema_version}.json"}}
            for et in spec.event_types
        }
        channels[spec.name] = {
            "address": spec.name,
            "messages": messages,
            "description": f"key: {spec.key}; partitions: {spec.partitions}; retention.ms: {spec.retention_ms}",
            "bindings": {
                "kafka": {"partitions": spec.partitions, "topicConfiguration": {"retention.ms": spec.retention_ms}}
            },
        }
        operations[f"receive.{spec.name}"] = {"action": "receive", "channel": {"$ref": f"#/channels/{spec.name}"}}
    return {
        "asyncapi": "3.0.0",
        "info": {"title": "Pactline events", "version": "1", "description": "Every topic Pactline writes."},
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
    }


def rendered() -> dict[str, str]:
    """File name -> exact text, for writing and for the staleness test."""
    files = {f"{et}.v{cls.schema_version}.json": event_schema(et) for et, cls in EVENT_TYPES.items()}
    files["asyncapi.json"] = asyncapi()
    return {name: json.dumps(doc, indent=2, sort_keys=True) + "\n" for name, doc in files.items()}


def main() -> None:
    SCHEMA_DIR.mkdir(exist_ok=True)
    wanted = rendered()
    for stale in SCHEMA_DIR.glob("*.json"):
        if stale.name not in wanted:
            stale.unlink()
    for name, text in wanted.items():
        (SCHEMA_DIR / name).write_text(text)
    print(f"wrote {len(wanted)} files to {SCHEMA_DIR}", file=sys.stderr)


if __name__ == "__main__":
    main()

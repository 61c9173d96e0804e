"""TaskCompleted v2 (provenance, measurements, countersignature), its upcaster from a stored v1
event, and the events about agent endpoints, disputes and API keys."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import jsonschema
import pytest

from event_factories import T0
from pactline_events import (
    AgentEndpointRegistered,
    ApiKeyIssued,
    InvalidEventPayload,
    PendingEvent,
    Provenance,
    TaskCompleted,
    TokenSource,
    decode,
    encode,
    topic_for,
)
from pactline_events.schemas import SCHEMA_DIR
from pactline_events.upcasters import task_completed_v1_to_v2

FIXTURES = Path(__file__).parent / "fixtures"
SIGNATURE = "0x" + "ab" * 65


def gateway_task(**changes) -> dict:
    output = '{"answer": 42}'
    fields = {
        "task_id": "tsk-1",
        "acceptance_id": "acc-1",
        "pact_id": "pct-1",
        "agent_id": "agt-1",
        "input": '[{"content":"hi","role":"user"}]',
        "output": output,
        "latency_ms": 120,
        "first_token_ms": 40,
        "cost": 50_000,
        "tokens": 30,
        "input_tokens": 12,
        "output_tokens": 18,
        "token_source": "agent_usage",
        "idempotency_key": "gw-1",
        "output_digest": hashlib.sha256(output.encode()).hexdigest(),
        "provenance": "gateway",
    }
    return {**fields, **changes}


def test_stored_v1_task_is_read_as_a_buyer_only_report():
    # Given a TaskCompleted written before provenance existed
    raw = (FIXTURES / "task_completed_v1.json").read_bytes().strip()
    # When it is read today
    event = decode(raw)
    # Then it keeps its identity and reads as the buyer's own report
    assert event.schema_version == 1
    task = event.payload
    assert task.provenance is Provenance.BUYER_ONLY
    assert task.token_source is TokenSource.REPORTED
    assert (task.latency_ms, task.cost, task.tokens) == (850, 1200, 310)
    assert (task.input_tokens, task.output_tokens, task.first_token_ms) == (None, None, None)
    assert (task.countersignature, task.agent_error) == (None, None)


def test_task_upcaster_is_pure_and_keeps_every_v1_field():
    v1 = json.loads((FIXTURES / "task_completed_v1.json").read_text())["payload"]
    before = json.loads(json.dumps(v1))
    lifted = task_completed_v1_to_v2(v1)
    assert v1 == before
    assert {k: lifted[k] for k in v1} == v1
    assert lifted["provenance"] == "buyer_only"


def test_a_gateway_task_round_trips_and_validates_against_its_schema():
    payload = TaskCompleted.model_validate(gateway_task(agent_error={"kind": "http_status", "status": 500}))
    envelope = PendingEvent(
        event_id="0190d1a2-0000-7000-8000-000000000009",
        occurred_at=T0,
        stream_id="gateway-acc-1",
        correlation_id="0190d1a2-0000-7000-8000-000000000001",
        payload=payload,
    ).seal(producer="gateway", stream_seq=1, prev_hash="0" * 64)
    raw = encode(envelope)
    assert decode(raw) == envelope
    schema = json.loads((SCHEMA_DIR / "TaskCompleted.v2.json").read_text())
    jsonschema.validate(json.loads(raw), schema)
    assert topic_for("TaskCompleted") == topic_for("TaskDisputed") == topic_for("PactAccepted")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"provenance": "countersigned"}, "countersignature comes with provenance countersigned"),
        (
            {"provenance": "buyer_only", "countersignature": {"signer": "0x" + "11" * 20, "signature": SIGNATURE}},
            "countersignature comes with provenance countersigned",
        ),
        ({"provenance": "buyer_only", "agent_error": {"kind": "timeout"}}, "agent_error is recorded by the gateway"),
        ({"tokens": 31}, r"tokens must equal input_tokens \+ output_tokens"),
        ({"first_token_ms": 121}, "first_token_ms cannot exceed latency_ms"),
        ({"latency_ms": 2**53}, "less than or equal to 9007199254740991"),
    ],
)
def test_inconsistent_tasks_are_refused(changes, message):
    with pytest.raises(ValueError, match=message):
        TaskCompleted.model_validate(gateway_task(**changes))


def test_countersigned_task_carries_the_signature():
    signed = TaskCompleted.model_validate(
        gateway_task(
            provenance="countersigned",
            token_source="reported",
            countersignature={"signer": "0x" + "11" * 20, "signature": SIGNATURE},
        )
    )
    assert signed.countersignature.scheme == "eip712-pactline-task-report-v1"


@pytest.mark.parametrize(
    "url",
    [
        "ftp://agents.example.com/v1",
        "https://user:pass@agents.example.com/v1",
        "https://agents.example.com/v1?key=secret",
        "https://agents.example.com/v1#frag",
        "https:///v1",
    ],
)
def test_agent_endpoints_are_plain_http_urls(url):
    with pytest.raises(ValueError, match="base_url"):
        AgentEndpointRegistered(agent_id="agt-1", operator_id="prn-1", base_url=url)


def test_api_key_events_carry_an_hmac_never_a_key():
    issued = ApiKeyIssued(
        key_id="0123456789abcdef",
        principal_id="prn-1",
        role="buyer",
        scopes=["read", "tasks:write"],
        key_hmac="f" * 64,
    )
    assert issued.scopes == ("read", "tasks:write")
    data = issued.model_dump(mode="json")
    data["key_hmac"] = "pl_live_0123456789abcdef_secret"
    with pytest.raises(ValueError, match="key_hmac"):
        ApiKeyIssued.model_validate(data)


def test_invalid_v2_payload_on_the_wire_names_the_field():
    payload = TaskCompleted.model_validate(gateway_task())
    envelope = PendingEvent(
        event_id="0190d1a2-0000-7000-8000-000000000009",
        occurred_at=T0,
        stream_id="gateway-acc-1",
        correlation_id="0190d1a2-0000-7000-8000-000000000001",
        payload=payload,
    ).seal(producer="gateway", stream_seq=1, prev_hash="0" * 64)
    data = json.loads(encode(envelope))
    data["payload"]["provenance"] = "trust_me"
    with pytest.raises(InvalidEventPayload, match=r"TaskCompleted\.provenance"):
        decode(json.dumps(data))

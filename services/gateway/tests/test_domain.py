"""Given/when/then tests of the gateway's pure decisions: authentication by HMAC, admission of a
call under an acceptance, and the TaskCompleted a measured call becomes."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest

from pactline_events import AgentError, Provenance, TokenSource, canonical_json
from pactline_gateway import domain
from pactline_gateway.completions import Completion, parse_request
from pactline_gateway.domain import KnownAcceptance, KnownKey, Measurement, Refused

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
PEPPER = "test-pepper"
KEY = "pl_live_0123456789abcdef_s3cret-s3cret-s3cret-s3cret-s3cret"


def known_key(**changes) -> KnownKey:
    base = {
        "key_id": "0123456789abcdef",
        "principal_id": "buyer-1",
        "role": "buyer",
        "scopes": frozenset({"read", "tasks:write", "acceptances:write"}),
        "key_hmac": hmac.new(PEPPER.encode(), KEY.encode(), hashlib.sha256).hexdigest(),
        "revoked": False,
    }
    return KnownKey(**{**base, **changes})


def acceptance(**changes) -> KnownAcceptance:
    base = {
        "acceptance_id": "acc-1",
        "pact_id": "pct-1",
        "agent_id": "agt-1",
        "buyer_id": "buyer-1",
        "mode": "aggregate",
        "price_per_task": 60_000,
        "pool_size": 600_000,
        "max_tasks": None,
        "expires_at": NOW + timedelta(days=1),
        "revoked": False,
        "tasks_used": 0,
    }
    return KnownAcceptance(**{**base, **changes})


def chat(**extension) -> object:
    body = {"messages": [{"role": "user", "content": "hi"}]}
    if extension:
        body["pactline"] = extension
    return parse_request(json.dumps(body).encode())


def admit(
    key=None, accepted="default", base_url="http://127.0.0.1:8180/agents/reliable/v1", request=None, previous=None
):
    return domain.admit(
        key or known_key(),
        "acc-1",
        acceptance() if accepted == "default" else accepted,
        base_url,
        request or chat(),
        previous,
        "tsk-1",
        NOW,
    )


def test_the_key_is_checked_by_its_hmac_and_revocation():
    assert domain.authenticate(KEY, known_key(), PEPPER).principal_id == "buyer-1"
    cases = [
        ("", known_key(), "missing_api_key"),
        (KEY + "x", known_key(), "invalid_api_key"),
        (KEY, None, "invalid_api_key"),
        (KEY, known_key(key_hmac=None, revoked=True), "invalid_api_key"),
        (KEY, known_key(revoked=True), "api_key_revoked"),
    ]
    for presented, key, code in cases:
        with pytest.raises(Refused) as refused:
            domain.authenticate(presented, key, PEPPER)
        assert (refused.value.status, refused.value.code) == (401, code)
    with pytest.raises(Refused, match="not valid"):
        domain.authenticate(KEY, known_key(), "another-pepper")


def test_key_ids_are_read_only_from_well_formed_keys():
    assert domain.key_id_of(KEY) == "0123456789abcdef"
    assert domain.key_id_of("pl_live_0123456789ABCDEF_x") is None
    assert domain.key_id_of("sk-0123456789abcdef_x") is None


def test_the_acceptances_buyer_is_admitted_with_what_its_task_will_carry():
    admission = admit(request=chat(idempotency_key="order-7", reference="42"))
    frame = admission.frame
    assert (frame.task_id, frame.idempotency_key, frame.reference) == ("tsk-1", "order-7", "42")
    assert (frame.acceptance_id, frame.pact_id, frame.agent_id, frame.price_per_task) == (
        "acc-1",
        "pct-1",
        "agt-1",
        60_000,
    )
    assert frame.input == '[{"role":"user","content":"hi"}]'
    assert admission.base_url == "http://127.0.0.1:8180/agents/reliable/v1"
    assert admit().frame.idempotency_key == "tsk-1"  # no key given: the task id is the key


@pytest.mark.parametrize(
    ("call", "status", "code"),
    [
        ({"key": known_key(role="operator")}, 403, "role_not_allowed"),
        ({"key": known_key(scopes=frozenset({"read"}))}, 403, "missing_scope"),
        ({"accepted": None}, 404, "acceptance_not_found"),
        ({"key": known_key(principal_id="buyer-2")}, 403, "not_acceptance_buyer"),
        ({"previous": "tsk-0"}, 409, "idempotency_key_reused"),
        ({"accepted": acceptance(revoked=True)}, 409, "acceptance_revoked"),
        ({"accepted": acceptance(expires_at=NOW)}, 409, "acceptance_expired"),
        ({"accepted": acceptance(max_tasks=3, tasks_used=3)}, 409, "acceptance_exhausted"),
        ({"accepted": acceptance(tasks_used=10)}, 409, "acceptance_pool_exhausted"),
        ({"request": chat(escrow_job_id="7")}, 422, "escrow_job_id_forbidden"),
        ({"accepted": acceptance(mode="per_task", pool_size=None)}, 422, "escrow_job_id_required"),
        ({"base_url": None}, 409, "agent_endpoint_missing"),
    ],
)
def test_calls_outside_the_acceptance_are_refused(call, status, code):
    with pytest.raises(Refused) as refused:
        admit(**call)
    assert (refused.value.status, refused.value.code) == (status, code)


def test_per_task_calls_carry_their_escrow_job():
    admission = admit(accepted=acceptance(mode="per_task", pool_size=None), request=chat(escrow_job_id="7"))
    assert admission.frame.escrow_job_id == "7"


def test_a_measured_call_is_gateway_evidence_priced_by_the_acceptance():
    completion = Completion("Shipped.", (), usage_input_tokens=9, usage_output_tokens=3)
    event = domain.task_completed(admit().frame, Measurement(completion, latency_ms=420, first_token_ms=80))
    assert event.provenance is Provenance.GATEWAY
    assert (event.latency_ms, event.first_token_ms) == (420, 80)
    assert (event.input_tokens, event.output_tokens, event.tokens) == (9, 3, 12)
    assert event.token_source is TokenSource.AGENT_USAGE
    assert event.cost == 60_000
    assert event.output_digest == hashlib.sha256(b"Shipped.").hexdigest()
    assert event.countersignature is None


def test_without_usage_tokens_are_estimated_at_four_bytes_each():
    event = domain.task_completed(admit().frame, Measurement(Completion("x" * 9), latency_ms=1, first_token_ms=None))
    assert event.token_source is TokenSource.ESTIMATE
    # input: the 32-byte messages JSON -> 8 tokens; output: 9 bytes -> 3 tokens (rounded up)
    assert (event.input_tokens, event.output_tokens) == (8, 3)


def test_a_failed_call_is_evidence_too():
    error = AgentError(kind="http_status", status=500, message="boom")
    event = domain.task_completed(
        admit().frame, Measurement(Completion(), latency_ms=12, first_token_ms=None, error=error)
    )
    assert event.agent_error == error
    assert event.output == ""


def test_oversized_outputs_are_cut_and_the_cut_is_recorded():
    huge = "é" * (200 * 1024)  # 400 KiB of UTF-8
    event = domain.task_completed(admit().frame, Measurement(Completion(huge), latency_ms=5, first_token_ms=1))
    assert len(event.output.encode()) <= domain.MAX_OUTPUT_BYTES
    assert event.agent_error.kind == "too_large"
    assert event.output_digest == hashlib.sha256(event.output.encode()).hexdigest()


def test_outputs_that_escape_past_the_event_limit_are_halved_until_they_fit():
    control = "\x01" * (250 * 1024)  # each escapes to six bytes in canonical JSON
    event = domain.task_completed(admit().frame, Measurement(Completion(control), latency_ms=5, first_token_ms=1))
    assert len(canonical_json(event.model_dump(mode="json"))) <= domain.MAX_TASK_EVENT_BYTES
    assert event.agent_error.kind == "too_large"


def test_a_call_the_gateway_lost_is_recorded_as_interrupted():
    frame = admit().frame
    event = domain.interrupted(frame, started_at=NOW, now=NOW + timedelta(minutes=6))
    assert event.agent_error.kind == "interrupted"
    assert event.provenance is Provenance.GATEWAY
    assert (event.output, event.first_token_ms, event.latency_ms) == ("", None, 360_000)
    assert event.task_id == frame.task_id

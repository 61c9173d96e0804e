"""Given/when/then tests of the pure decisions: no database, no broker, ids and time as inputs."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pactline_events import Provenance
from pactline_events.types import EscrowMode, ModelFamily
from pactline_evidence import EndpointPolicy, countersign
from pactline_pacts import pact_hash, parse_pact
from pactline_registry import domain
from pactline_registry.domain import (
    ROLE_SCOPES,
    Acceptance,
    Agent,
    AlreadyDone,
    ApiKey,
    Caller,
    DisputableTask,
    EscrowRequest,
    EvidenceTerms,
    PactVersion,
    Role,
    StoredTask,
    TaskRequest,
)
from pactline_registry.errors import Conflict, Forbidden, Invalid, NotFound, TooLarge

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "pacts"
NOW = datetime(2026, 1, 1, tzinfo=UTC)
OPERATOR = Caller("op-1", Role.OPERATOR, "0x" + "11" * 20, ROLE_SCOPES[Role.OPERATOR])
BUYER = Caller("buyer-1", Role.BUYER, "0x" + "22" * 20, ROLE_SCOPES[Role.BUYER])
AGENT = Agent("agt-1", "bot", "op-1", "0x" + "11" * 20, ModelFamily.OPENAI)
SUPPORT = parse_pact((EXAMPLES / "customer-support.yaml").read_bytes(), "application/yaml")
PACT = PactVersion("pct-1", SUPPORT.version, "agt-1", "op-1", pact_hash(SUPPORT), SUPPORT)
# anvil's account #1, a well-known test key: the provider who countersigns.
PROVIDER_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
PROVIDER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
OPEN = EvidenceTerms(measured_by=None, provider_address=PROVIDER)


def terms(**changes) -> EscrowRequest:
    base = {"mode": EscrowMode.PER_TASK, "price_per_task": 100_000, "pool_size": None, "max_tasks": None}
    return EscrowRequest(**{**base, "expires_in_seconds": 86_400, **changes})


def acceptance(**changes) -> Acceptance:
    base = {
        "acceptance_id": "acc-1",
        "pact_id": "pct-1",
        "pact_version": 1,
        "agent_id": "agt-1",
        "operator_id": "op-1",
        "provider_address": "0x" + "11" * 20,
        "buyer_id": "buyer-1",
        "buyer_address": "0x" + "22" * 20,
        "mode": EscrowMode.PER_TASK,
        "price_per_task": 100_000,
        "pool_size": None,
        "max_tasks": None,
        "expires_at": NOW + timedelta(days=1),
        "revoked": False,
        "tasks_count": 0,
    }
    return Acceptance(**{**base, **changes})


def task(key: str = "k", job: str | None = "7", output: str = "ok") -> TaskRequest:
    return TaskRequest(key, "in", output, (), 10, 5, 20, None, job)


def test_accepting_embeds_the_pact_and_dates_the_expiry_from_now():
    event = domain.accept_pact(BUYER, AGENT, PACT, terms(), "acc-1", NOW)
    assert event.document == SUPPORT
    assert event.expires_at == NOW + timedelta(days=1)
    assert event.agent_model_family is ModelFamily.OPENAI
    assert event.provider_address == AGENT.operator_address


@pytest.mark.parametrize(
    ("change", "pointer"),
    [
        ({"price_per_task": 49_999}, "/escrow/price_per_task"),
        ({"mode": EscrowMode.AGGREGATE}, "/escrow/pool_size"),
        ({"mode": EscrowMode.AGGREGATE, "pool_size": 5_000_000_001}, "/escrow/pool_size"),
        ({"pool_size": 1_000_000}, "/escrow/pool_size"),
        ({"expires_in_seconds": 2_592_001}, "/escrow/expires_in_seconds"),
    ],
)
def test_terms_outside_the_offer_are_refused_at_their_field(change, pointer):
    with pytest.raises(Invalid) as refused:
        domain.accept_pact(BUYER, AGENT, PACT, terms(**change), "acc-1", NOW)
    assert [f.pointer for f in refused.value.fields] == [pointer]


def test_only_buyers_accept_and_only_the_operator_publishes():
    with pytest.raises(Forbidden):
        domain.accept_pact(OPERATOR, AGENT, PACT, terms(), "acc-1", NOW)
    stranger = Caller("op-2", Role.OPERATOR, "0x" + "33" * 20, ROLE_SCOPES[Role.OPERATOR])
    with pytest.raises(Forbidden):
        domain.publish_pact(stranger, AGENT, SUPPORT, "pct-1", {})


def test_publishing_is_idempotent_per_hash_and_versions_are_immutable():
    first = domain.publish_pact(OPERATOR, AGENT, SUPPORT, "pct-1", {})
    assert first.pact_hash == pact_hash(SUPPORT)
    assert isinstance(
        domain.publish_pact(OPERATOR, AGENT, SUPPORT, "pct-1", {SUPPORT.version: first.pact_hash}), AlreadyDone
    )
    with pytest.raises(Conflict, match="already published"):
        domain.publish_pact(OPERATOR, AGENT, SUPPORT, "pct-1", {SUPPORT.version: "0" * 64})


def test_a_task_is_taken_once_per_idempotency_key():
    event = domain.submit_task(BUYER, acceptance(), OPEN, task(), None, "tsk-1", NOW)
    assert event.output_digest == "2689367b205c16ce32ed4200942b8b8b1e262dfc70d9bc9fbc77c49699a4f1df"
    again = domain.submit_task(BUYER, acceptance(), OPEN, task(), StoredTask("tsk-1", task().digest()), "tsk-2", NOW)
    assert again == AlreadyDone("tsk-1")
    with pytest.raises(Conflict, match="different body"):
        domain.submit_task(
            BUYER, acceptance(), OPEN, task(output="other"), StoredTask("tsk-1", task().digest()), "tsk-2", NOW
        )


@pytest.mark.parametrize(
    ("state", "code"),
    [
        ({"revoked": True}, "acceptance_revoked"),
        ({"expires_at": NOW}, "acceptance_expired"),
        ({"max_tasks": 3, "tasks_count": 3}, "acceptance_exhausted"),
        ({"mode": EscrowMode.AGGREGATE, "pool_size": 250_000, "tasks_count": 2}, "acceptance_pool_exhausted"),
    ],
)
def test_tasks_under_ended_acceptances_are_refused(state, code):
    with pytest.raises(Conflict) as refused:
        domain.submit_task(BUYER, acceptance(**state), OPEN, task(), None, "tsk-1", NOW)
    assert refused.value.code == code


def test_escrow_job_is_required_per_task_and_forbidden_in_a_pool():
    with pytest.raises(Invalid, match="job id"):
        domain.submit_task(BUYER, acceptance(), OPEN, task(job=None), None, "tsk-1", NOW)
    pool = acceptance(mode=EscrowMode.AGGREGATE, pool_size=1_000_000)
    with pytest.raises(Invalid, match="omit escrow_job_id"):
        domain.submit_task(BUYER, pool, OPEN, task(), None, "tsk-1", NOW)
    assert domain.submit_task(BUYER, pool, OPEN, task(job=None), None, "tsk-1", NOW).escrow_job_id is None


def test_outputs_beyond_256_kib_are_too_large_and_other_buyers_find_nothing():
    with pytest.raises(TooLarge) as refused:
        domain.submit_task(BUYER, acceptance(), OPEN, task(output="x" * (256 * 1024 + 1)), None, "tsk-1", NOW)
    assert refused.value.fields[0].pointer == "/output"
    other = Caller("buyer-2", Role.BUYER, "0x" + "44" * 20, ROLE_SCOPES[Role.BUYER])
    with pytest.raises(NotFound) as hidden:
        domain.submit_task(other, acceptance(), OPEN, task(), None, "tsk-1", NOW)
    assert hidden.value.code == "acceptance_not_found"


def test_revocation_by_the_parties_only_and_once():
    assert domain.revoke_acceptance(OPERATOR, acceptance(), "bye").revoked_by == "op-1"
    auditor = Caller("aud-1", Role.AUDITOR, None, ROLE_SCOPES[Role.AUDITOR])
    with pytest.raises(Forbidden):
        domain.revoke_acceptance(auditor, acceptance(), "")
    stranger = Caller("op-2", Role.OPERATOR, None, ROLE_SCOPES[Role.OPERATOR])
    with pytest.raises(NotFound):
        domain.revoke_acceptance(stranger, acceptance(), "")
    with pytest.raises(Conflict):
        domain.revoke_acceptance(BUYER, acceptance(revoked=True), "")


def test_superseded_versions_are_refused_unless_the_operator_still_offers_them():
    superseded = dataclasses.replace(PACT, latest_version=PACT.version + 1)
    with pytest.raises(Conflict) as refused:
        domain.accept_pact(BUYER, AGENT, superseded, terms(), "acc-1", NOW)
    assert refused.value.code == "pact_version_superseded"
    assert refused.value.fields[0].pointer == "/pact_version"
    assert f"version {PACT.version + 1}" in refused.value.fields[0].message
    offered = dataclasses.replace(superseded, superseded_acceptable=True)
    assert domain.accept_pact(BUYER, AGENT, offered, terms(), "acc-1", NOW).pact_version == PACT.version
    latest = dataclasses.replace(PACT, latest_version=PACT.version)
    assert domain.accept_pact(BUYER, AGENT, latest, terms(), "acc-1", NOW).pact_version == PACT.version


ADMIN = Caller("adm-1", Role.ADMIN, None, ROLE_SCOPES[Role.ADMIN])
READ_ONLY = frozenset({domain.Scope.READ})
KEY_ID = "0123456789abcdef"


@pytest.mark.parametrize(
    ("caller", "owner", "error"),
    [
        (dataclasses.replace(BUYER, scopes=READ_ONLY), "buyer-1", "missing_scope"),  # a read-only key, its own
        (dataclasses.replace(ADMIN, scopes=READ_ONLY), "buyer-1", "missing_scope"),  # an admin limited to read
        (dataclasses.replace(ADMIN, scopes=READ_ONLY), "adm-1", "missing_scope"),
        (BUYER, "op-1", "api_key_not_found"),  # someone else's: as if it did not exist
        (Caller("aud-1", Role.AUDITOR, None, ROLE_SCOPES[Role.AUDITOR]), "buyer-1", "api_key_not_found"),
    ],
)
def test_revoking_a_key_needs_a_key_that_may_write_and_others_keys_the_admin_scope(caller, owner, error):
    with pytest.raises((Forbidden, NotFound)) as refused:
        domain.revoke_key(caller, ApiKey(KEY_ID, owner, revoked=False))
    assert refused.value.code == error


def test_keys_are_revoked_by_their_principal_or_an_admin_and_once():
    assert domain.revoke_key(BUYER, ApiKey(KEY_ID, "buyer-1", revoked=False)).revoked_by == "buyer-1"
    assert domain.revoke_key(ADMIN, ApiKey(KEY_ID, "buyer-1", revoked=False)).revoked_by == "adm-1"
    assert domain.revoke_key(BUYER, ApiKey(KEY_ID, "buyer-1", revoked=True)) == AlreadyDone(KEY_ID)


def test_scope_errors_name_roles_and_scopes_by_their_wire_values():
    auditor = Caller("aud-1", Role.AUDITOR, None, frozenset({domain.Scope.READ}))
    with pytest.raises(Forbidden) as info:
        domain.require_scope(auditor, domain.Scope.PACTS_WRITE)
    assert str(info.value.message) == "the 'auditor' role cannot do this; it needs the 'pacts:write' scope"
    assert "<Scope" not in str(info.value.message)


# Evidence: provenance, countersignatures, disputes, agent endpoints -----------------------------


def test_a_report_without_countersignature_is_buyer_only():
    event = domain.submit_task(BUYER, acceptance(), OPEN, task(), None, "tsk-1", NOW)
    assert event.provenance is Provenance.BUYER_ONLY
    assert event.countersignature is None


def test_a_report_the_provider_signed_is_countersigned():
    report = task()
    signed = dataclasses.replace(report, countersignature=countersign(report.report("acc-1"), PROVIDER_KEY))
    event = domain.submit_task(BUYER, acceptance(), OPEN, signed, None, "tsk-1", NOW)
    assert event.provenance is Provenance.COUNTERSIGNED
    assert event.countersignature == signed.countersignature


def test_a_countersignature_over_other_measurements_is_refused():
    # Given the provider signed a latency of 10 ms, and the buyer reports 10^12 ms with that signature
    honest = task()
    signature = countersign(honest.report("acc-1"), PROVIDER_KEY)
    inflated = dataclasses.replace(honest, latency_ms=10**12, countersignature=signature)
    # When it is submitted, then it is refused at the signature, naming who really signed
    with pytest.raises(Invalid) as refused:
        domain.submit_task(BUYER, acceptance(), OPEN, inflated, None, "tsk-1", NOW)
    assert refused.value.code == "countersignature_invalid"
    assert refused.value.fields[0].pointer == "/countersignature/signature"
    assert PROVIDER in refused.value.message


def test_a_signature_for_another_acceptance_is_refused():
    report = task()
    elsewhere = dataclasses.replace(report, countersignature=countersign(report.report("acc-2"), PROVIDER_KEY))
    with pytest.raises(Invalid, match="not by the provider"):
        domain.submit_task(BUYER, acceptance(), OPEN, elsewhere, None, "tsk-1", NOW)


def test_pacts_requiring_the_gateway_refuse_every_report():
    gateway = EvidenceTerms(measured_by="gateway", provider_address=PROVIDER)
    report = task()
    signed = dataclasses.replace(report, countersignature=countersign(report.report("acc-1"), PROVIDER_KEY))
    for submitted in (report, signed):
        with pytest.raises(Invalid) as refused:
            domain.submit_task(BUYER, acceptance(), gateway, submitted, None, "tsk-1", NOW)
        assert refused.value.code == "gateway_measurement_required"
        assert "through the gateway" in refused.value.message


def test_pacts_requiring_countersignature_refuse_buyer_only_reports():
    countersigned = EvidenceTerms(measured_by="countersigned", provider_address=PROVIDER)
    with pytest.raises(Invalid) as refused:
        domain.submit_task(BUYER, acceptance(), countersigned, task(), None, "tsk-1", NOW)
    assert refused.value.code == "countersignature_required"
    report = task()
    signed = dataclasses.replace(report, countersignature=countersign(report.report("acc-1"), PROVIDER_KEY))
    event = domain.submit_task(BUYER, acceptance(), countersigned, signed, None, "tsk-1", NOW)
    assert event.provenance is Provenance.COUNTERSIGNED


@pytest.mark.parametrize(
    ("change", "pointer"),
    [({"input_tokens": 5, "output_tokens": 5}, "/tokens"), ({"first_token_ms": 11}, "/first_token_ms")],
)
def test_contradictory_measurements_are_refused(change, pointer):
    with pytest.raises(Invalid) as refused:
        domain.submit_task(BUYER, acceptance(), OPEN, dataclasses.replace(task(), **change), None, "tsk-1", NOW)
    assert [f.pointer for f in refused.value.fields] == [pointer]


def disputable(**changes) -> DisputableTask:
    base = {
        "task_id": "tsk-1",
        "acceptance_id": "acc-1",
        "agent_id": "agt-1",
        "operator_id": "op-1",
        "buyer_id": "buyer-1",
        "provenance": Provenance.BUYER_ONLY,
        "submitted_at": NOW,
        "dispute_window_seconds": 3600,
        "disputed": False,
    }
    return DisputableTask(**{**base, **changes})


def test_the_operator_disputes_a_buyer_only_report_inside_the_window():
    event = domain.dispute_task(OPERATOR, disputable(), "latency of 10^12 ms is absurd", NOW + timedelta(hours=1))
    assert (event.task_id, event.disputed_by, event.agent_id) == ("tsk-1", "op-1", "agt-1")
    assert domain.dispute_task(OPERATOR, disputable(disputed=True), "again", NOW) == AlreadyDone("tsk-1")


@pytest.mark.parametrize(
    ("caller", "task_changes", "when", "error"),
    [
        (BUYER, {}, NOW, "not_agent_operator"),
        (Caller("op-2", Role.OPERATOR, None, ROLE_SCOPES[Role.OPERATOR]), {}, NOW, "task_not_found"),
        (OPERATOR, {"provenance": Provenance.COUNTERSIGNED}, NOW, "task_countersigned"),
        (OPERATOR, {}, NOW + timedelta(seconds=3601), "dispute_window_closed"),
    ],
)
def test_disputes_outside_the_rules_are_refused(caller, task_changes, when, error):
    with pytest.raises((Forbidden, Conflict, NotFound)) as refused:
        domain.dispute_task(caller, disputable(**task_changes), "no", when)
    assert refused.value.code == error


LOCAL = EndpointPolicy.from_settings("127.0.0.1/32", allow_http=True)


def test_the_operator_registers_its_agents_endpoint_once_per_url():
    url = "http://127.0.0.1:8180/agents/reliable/v1"
    event = domain.register_endpoint(OPERATOR, AGENT, url, None, LOCAL)
    assert (event.agent_id, event.operator_id, event.base_url) == ("agt-1", "op-1", url)
    assert domain.register_endpoint(OPERATOR, AGENT, url, url, LOCAL) == AlreadyDone("agt-1")
    stranger = Caller("op-2", Role.OPERATOR, None, ROLE_SCOPES[Role.OPERATOR])
    with pytest.raises(Forbidden):
        domain.register_endpoint(stranger, AGENT, url, None, LOCAL)


def test_private_endpoints_are_refused_unless_the_deployment_allows_them():
    with pytest.raises(Invalid) as refused:
        domain.register_endpoint(OPERATOR, AGENT, "https://169.254.169.254/v1", None, EndpointPolicy())
    assert refused.value.code == "agent_endpoint_refused"
    assert refused.value.fields[0].pointer == "/base_url"
    with pytest.raises(Invalid, match="not a public address"):
        domain.register_endpoint(OPERATOR, AGENT, "http://127.0.0.1:8180/v1", None, EndpointPolicy(allow_http=True))

"""The broker grants follow the catalog: each service writes only the topics of the event types
it produces (plus dead letters) and reads at least what its handlers and projections consume."""

from __future__ import annotations

import pytest

from pactline_evaluator.app import SPEC as EVALUATOR
from pactline_events import DEAD_LETTERS, EVENT_PRODUCERS, topic_for
from pactline_jury.app import SPEC as JURY
from pactline_messaging.broker_acls import AUDITOR, PRINCIPALS, SERVICE_READS, grants, kafka_acls_calls
from pactline_registry.app import SPEC as REGISTRY
from pactline_scoring.app import SPEC as SCORING
from pactline_scoring.settings import ScoringSettings
from pactline_settlement.app import SPEC as SETTLEMENT


def topics(principal: str, operation: str) -> set[str]:
    return {g.name for g in grants() if g.principal == principal and g.resource == "topic" and g.operation == operation}


def test_a_service_writes_only_the_topics_of_its_own_event_types():
    for service in SERVICE_READS:
        produced = {topic_for(t) for t, producers in EVENT_PRODUCERS.items() if service in producers}
        assert topics(service, "Write") == produced | {DEAD_LETTERS.name}, service


@pytest.mark.parametrize("spec", [REGISTRY, EVALUATOR, JURY, SCORING, SETTLEMENT], ids=lambda s: s.name)
def test_each_service_may_read_what_it_consumes(spec):
    consumed = set(spec.handlers.topics) if spec.handlers else set()
    if spec is SCORING:
        consumed |= {t.name for t in ScoringSettings().topics()}
    assert consumed <= topics(spec.name, "Read")
    # Its own consumer group (named after it) and no other.
    assert {g.name for g in grants() if g.principal == spec.name and g.resource == "group"} <= {spec.name}


def test_the_auditor_only_reads_and_the_admin_needs_no_grant():
    assert {g.operation for g in grants() if g.principal == AUDITOR} == {"Read"}
    assert "admin" in PRINCIPALS
    assert not [g for g in grants() if g.principal == "admin"]


def test_kafka_acls_calls_cover_every_grant_once():
    granted = set()
    for call in kafka_acls_calls():
        principal, operation = call[2].removeprefix("User:"), call[4]
        pairs = list(zip(call[5::2], call[6::2], strict=True))
        granted |= {(principal, kind.removeprefix("--"), name, operation) for kind, name in pairs}
    assert granted == {(g.principal, g.resource, g.name, g.operation) for g in grants()}

"""`pactline audit replay` end to end on the real Kafka and Postgres: against a live Trust
Oracle it agrees, counts an exact redelivery, and fails naming a verdict forged in the log."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from pactline_cli.audit_replay import replay
from pactline_events import Outcome
from pactline_scoring.formula import FormulaParams
from pactline_scoring.ledger import TrustLedger, snapshot_digest
from scoring_oracle import Oracle, publish, running_oracle, scenario
from waiting import wait_for

pytestmark = pytest.mark.infra


@pytest.fixture
async def oracle(kafka_topics, database_url, db_schema) -> AsyncIterator[Oracle]:
    async with running_oracle(kafka_topics, database_url, db_schema) as running:
        yield running


async def test_audit_replay_agrees_counts_redeliveries_and_names_a_tampered_event(oracle, kafka_topics):
    prefix, run = oracle.prefix, uuid.uuid4().hex[:8]
    log, good, _ = scenario(run)
    await publish(kafka_topics, prefix, log.events)
    await wait_for(oracle.caught_up, what="the projection folded every event")
    # An exact redelivery (a relay that crashed after sending) is counted, not taken for tampering.
    await publish(kafka_topics, prefix, [log.events[5]])
    await wait_for(oracle.caught_up, what="the projection skipped the redelivery")

    report = await replay(kafka_topics, oracle.http, prefix=prefix)
    assert report.ok, report.to_json()
    assert report.events_read == len(log.events) + 1
    assert (report.chains_verified, report.redeliveries) == (len(log.events), 1)
    assert report.digest == report.oracle_digest
    assert report.digest == snapshot_digest(
        TrustLedger.of(log.events, FormulaParams()).snapshot(log.events[-1].occurred_at)
    )

    # Someone rewrites a verdict of the reliable agent as a failure and appends it to the log.
    original = next(e for e in log.events if e.event_type == "VerdictIssued" and e.payload.agent_id == good)
    forged = original.model_copy(update={"payload": original.payload.model_copy(update={"outcome": Outcome.FAIL})})
    await publish(kafka_topics, prefix, [forged])
    tampered = await replay(kafka_topics, oracle.http, prefix=prefix, wait_s=2)
    assert not tampered.ok
    # Its signature no longer matches its bytes: the replay names it as forged before the chain
    # would have shown the fork.
    assert any(
        original.stream_id in line and f"seq {original.stream_seq}" in line and "forged" in line
        for line in tampered.broken
    ), tampered.broken

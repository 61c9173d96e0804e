"""Fixtures for the gateway's tests: the SIMULATED agents and the gateway on real localhost
ports, and a seeder that publishes the registry's events (helpers in tests/support/gateway_testkit.py;
these tests do not run the registry itself, tests/e2e does)."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import pytest

from gateway_testkit import SLOPPY_DELAY_MS, RunningGateway, Seeder, gateway_settings
from live_server import serving
from pactline_events.topics import ACCEPTANCES, AGENTS, IDENTITIES
from pactline_gateway import simulated_agents
from pactline_gateway.app import SPEC
from pactline_messaging import idempotent_producer
from pactline_service import build_app
from topic_reader import start_group_at_end


@pytest.fixture(scope="session")
async def agents_url() -> AsyncIterator[str]:
    """Base URL of the SIMULATED agents; behaviour URLs are <this>/agents/<behaviour>/v1."""
    async with serving(simulated_agents.create_app(sloppy_delay_ms=SLOPPY_DELAY_MS), lifespan="off") as url:
        yield url


@pytest.fixture
async def gateway(database_url: str, kafka_topics: str, db_schema: str) -> AsyncIterator[RunningGateway]:
    for topic in (IDENTITIES, ACCEPTANCES, AGENTS):  # this test's events only, not the whole log
        await start_group_at_end(kafka_topics, SPEC.name, topic)
    app = build_app(dataclasses.replace(SPEC, schema=db_schema), gateway_settings(database_url, kafka_topics))
    async with serving(app) as url:
        yield RunningGateway(url, app)


@pytest.fixture
async def seed(kafka_topics: str, gateway: RunningGateway) -> AsyncIterator[Seeder]:
    producer = idempotent_producer(kafka_topics, "gateway-tests")
    await producer.start()
    try:
        yield Seeder(producer, gateway)
    finally:
        await producer.stop()

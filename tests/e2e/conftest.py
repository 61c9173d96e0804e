"""Fixtures for the messaging end-to-end tests: a producing service's schema and its relay."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer

from pactline_events import AgentRegistered, Envelope, PendingEvent, new_event_id, utc_now
from pactline_messaging import OutboxRelay, idempotent_producer, open_pool, outbox


@dataclass
class ProducingService:
    """A service's side of the pipeline: state change + outbox in one transaction, then relay."""

    pool: asyncpg.Pool
    relay: OutboxRelay
    prefix: str

    async def register_agent(self, n: int, stream: str | None = None) -> Envelope:
        stream_id = stream or f"{self.prefix}agent-{n}"
        pending = PendingEvent(
            event_id=new_event_id(),
            occurred_at=utc_now(),
            stream_id=stream_id,
            correlation_id=uuid.uuid4(),
            payload=AgentRegistered(
                agent_id=f"a-{n}",
                name=f"agent {n}",
                operator_id="op-1",
                operator_address="0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
                model_family="openai",
            ),
        )
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("INSERT INTO agents (stream_id) VALUES ($1) ON CONFLICT DO NOTHING", stream_id)
            return await outbox.append(conn, pending, producer="pact-registry")

    async def publish(self) -> int:
        return await self.relay.publish_pending()


@pytest.fixture
async def producer(kafka_topics: str) -> AsyncIterator[AIOKafkaProducer]:
    p = idempotent_producer(kafka_topics, "e2e-test")
    await p.start()
    yield p
    await p.stop()


@pytest.fixture
async def producing_service(
    database_url: str, db_schema: str, producer: AIOKafkaProducer
) -> AsyncIterator[ProducingService]:
    pool = await open_pool(database_url, db_schema)
    async with pool.acquire() as conn:
        await conn.execute("CREATE TABLE agents (stream_id text PRIMARY KEY)")
        await conn.execute("CREATE TABLE effects (event_id uuid PRIMARY KEY, stream_id text NOT NULL)")
    yield ProducingService(pool, OutboxRelay(pool, producer), prefix=f"{uuid.uuid4().hex[:8]}-")
    await pool.close()

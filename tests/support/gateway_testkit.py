"""Helpers of the gateway's tests (a uniquely named module: tests import it by name): gateway
settings for tests, a running gateway's handle, and a seeder that publishes the registry's
events to the real Kafka for the gateway to fold."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import itertools
import secrets
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer

from pactline_events import (
    GENESIS_HASH,
    AcceptanceRevoked,
    AcceptedEscrow,
    AgentEndpointRegistered,
    ApiKeyIssued,
    ApiKeyRevoked,
    EventPayload,
    PactAccepted,
    PendingEvent,
    encode,
    event_hash,
    new_event_id,
    topic_for,
    utc_now,
)
from pactline_gateway.settings import GatewaySettings
from pactline_pacts import pact_hash, parse_pact
from signed_events import signed
from waiting import wait_for

PEPPER = "test-pepper"
SLOPPY_DELAY_MS = 300
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "pacts"
SUPPORT = parse_pact((EXAMPLES / "customer-support.yaml").read_bytes(), "application/yaml")


def gateway_settings(database_url: str, kafka: str, **changes: Any) -> GatewaySettings:
    fields = {
        "database_url": database_url,
        "kafka_bootstrap": kafka,
        "registry_key_pepper": PEPPER,
        "agent_endpoints_allow_private": "127.0.0.1/32",
        "agent_endpoints_allow_http": True,
        "log_format": "text",
    }
    return GatewaySettings(**{**fields, **changes})


@dataclasses.dataclass
class RunningGateway:
    url: str
    app: Any

    @property
    def pool(self) -> asyncpg.Pool:
        return self.app.state.service.pool


class Seeder:
    """Publishes what the registry would (keys, acceptances, endpoints) and waits until the
    gateway has folded it."""

    def __init__(self, producer: AIOKafkaProducer, gateway: RunningGateway) -> None:
        self._producer = producer
        self._gateway = gateway
        self._heads: dict[str, tuple[int, str]] = {}
        self._ids = itertools.count(1)

    async def publish(self, stream_id: str, payload: EventPayload, producer: str = "pact-registry") -> None:
        seq, prev = self._heads.get(stream_id, (0, GENESIS_HASH))
        envelope = PendingEvent(
            event_id=new_event_id(),
            occurred_at=utc_now(),
            stream_id=stream_id,
            correlation_id=uuid.uuid4(),
            payload=payload,
        ).seal(producer=producer, stream_seq=seq + 1, prev_hash=prev)
        envelope = signed(envelope)  # as its producer would have: signed, then chained
        self._heads[stream_id] = (seq + 1, event_hash(envelope))
        await self._producer.send_and_wait(topic_for(payload.event_type), encode(envelope), key=stream_id.encode())

    async def until(self, query: str, *args: Any, what: str) -> Any:
        return await wait_for(lambda: self._gateway.pool.fetchval(query, *args), timeout=60, what=what)

    async def key(self, role: str = "buyer", scopes: tuple[str, ...] = ("read", "tasks:write")) -> tuple[str, str]:
        """(principal_id, api_key) of a principal the registry announced."""
        principal = f"prn-{uuid.uuid4().hex}"
        key_id = secrets.token_hex(8)
        key = f"pl_live_{key_id}_{secrets.token_urlsafe(32)}"
        digest = hmac.new(PEPPER.encode(), key.encode(), hashlib.sha256).hexdigest()
        issued = ApiKeyIssued(key_id=key_id, principal_id=principal, role=role, scopes=scopes, key_hmac=digest)
        await self.publish(f"principal-{principal}", issued)
        await self.until("SELECT true FROM api_keys WHERE key_id = $1", key_id, what="the key at the gateway")
        return principal, key

    async def revoke_key(self, principal: str, key: str) -> None:
        key_id = key[len("pl_live_") : len("pl_live_") + 16]
        await self.publish(
            f"principal-{principal}", ApiKeyRevoked(key_id=key_id, principal_id=principal, revoked_by=principal)
        )
        await self.until("SELECT revoked FROM api_keys WHERE key_id = $1", key_id, what="the revocation")

    async def endpoint(self, agent_id: str, base_url: str) -> None:
        registered = AgentEndpointRegistered(agent_id=agent_id, operator_id="op-1", base_url=base_url)
        await self.publish(f"agent-{agent_id}", registered)
        await self.until(
            "SELECT true FROM agent_endpoints WHERE agent_id = $1 AND base_url = $2",
            agent_id,
            base_url,
            what="the endpoint",
        )

    async def acceptance(self, buyer_id: str, agent_id: str, **escrow: Any) -> str:
        acceptance_id = f"acc-{uuid.uuid4().hex}"
        now = utc_now()
        terms = {"mode": "aggregate", "price_per_task": 60_000, "pool_size": 6_000_000, **escrow}
        accepted = PactAccepted(
            acceptance_id=acceptance_id,
            pact_id="pct-support",
            pact_version=1,
            pact_hash=pact_hash(SUPPORT),
            document=SUPPORT,
            agent_id=agent_id,
            agent_model_family="anthropic",
            operator_id="op-1",
            provider_address="0x" + "11" * 20,
            buyer_id=buyer_id,
            buyer_address="0x" + "22" * 20,
            escrow=AcceptedEscrow(**terms),
            accepted_at=now,
            expires_at=now + timedelta(days=1),
        )
        await self.publish(f"acceptance-{acceptance_id}", accepted)
        await self.until("SELECT true FROM acceptances WHERE acceptance_id = $1", acceptance_id, what="the acceptance")
        return acceptance_id

    async def revoke_acceptance(self, acceptance_id: str) -> None:
        revoked = AcceptanceRevoked(acceptance_id=acceptance_id, revoked_by="buyer", reason="done")
        await self.publish(f"acceptance-{acceptance_id}", revoked)
        await self.until(
            "SELECT revoked_at IS NOT NULL FROM acceptances WHERE acceptance_id = $1", acceptance_id, what="the end"
        )

    async def buyer_with_agent(self, agents_url: str, behaviour: str = "reliable", **escrow: Any) -> tuple[str, str]:
        """(api_key, acceptance_id) of a buyer whose acceptance's agent answers as ``behaviour``."""
        return await self.buyer_with_agent_url(f"{agents_url}/agents/{behaviour}/v1", **escrow)

    async def buyer_with_agent_url(self, base_url: str, **escrow: Any) -> tuple[str, str]:
        buyer, key = await self.key()
        agent_id = f"agt-{uuid.uuid4().hex}"
        await self.endpoint(agent_id, base_url)
        return key, await self.acceptance(buyer, agent_id, **escrow)

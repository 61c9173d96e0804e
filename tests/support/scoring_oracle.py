"""A scoring service (projection + Trust Oracle) running in-process on the real Kafka and
Postgres, reading prefixed copies of the catalog topics so a test never touches the shared
log; and a small scenario to feed it. Used by the scoring and the CLI (audit replay) tests."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx

from pactline_events import Envelope, encode, topic_for
from pactline_messaging import ensure_topics, idempotent_producer, kafka_admin
from pactline_scoring.app import SPEC
from pactline_scoring.settings import ScoringSettings
from pactline_service import build_app
from trust_events import T0, Log, acceptance, settlement, verdict


async def publish(kafka: str, prefix: str, events: Iterable[Envelope]) -> None:
    """Write events to the prefixed topics exactly as the outbox relay would (key = stream)."""
    producer = idempotent_producer(kafka, "scoring-tests")
    await producer.start()
    try:
        sends = [
            await producer.send(prefix + topic_for(e.event_type), encode(e), key=e.stream_id.encode()) for e in events
        ]
        for sent in sends:
            await sent
    finally:
        await producer.stop()


@dataclasses.dataclass
class Oracle:
    service: Any
    http: httpx.AsyncClient
    settings: ScoringSettings
    schema: str
    prefix: str
    app: Any = None  # the ASGI app, e.g. to serve it over real HTTP

    async def caught_up(self) -> bool:
        return await self.service.projections["trust-scores"].lag() == 0


@asynccontextmanager
async def running_oracle(kafka: str, database_url: str, schema: str) -> AsyncIterator[Oracle]:
    prefix = f"test-{uuid.uuid4().hex[:8]}."
    settings = ScoringSettings(
        database_url=database_url, kafka_bootstrap=kafka, log_format="text", scoring_topic_prefix=prefix
    )
    await ensure_topics(kafka, settings.topics())
    app = build_app(dataclasses.replace(SPEC, schema=schema), settings)
    transport = httpx.ASGITransport(app)
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://oracle") as http,
        ):
            yield Oracle(app.state.service, http, settings, schema, prefix, app)
    finally:
        admin = kafka_admin(kafka)  # the test's own topics only
        await admin.start()
        try:
            await admin.delete_topics([spec.name for spec in settings.topics()])
        finally:
            await admin.close()


def scenario(run: str) -> tuple[Log, str, str]:
    """A reliable agent with four buyers, and a sloppy one that fails a third of its tasks
    (latency and format) and loses their escrow."""
    log = Log(prefix=f"{run}-")
    good, sloppy = f"good-{run}", f"sloppy-{run}"
    for b in range(4):
        log.add(acceptance(f"acc-g{b}-{run}", good, f"buyer{b}-{run}"), T0)
        log.add(acceptance(f"acc-s{b}-{run}", sloppy, f"buyer{b}-{run}"), T0)
    for n in range(24):
        b = n % 4
        at = T0 + timedelta(minutes=n)
        log.add(verdict(f"g{n}-{run}", f"acc-g{b}-{run}", good), at)
        outcome = "FAIL" if n % 3 == 0 else "PASS"
        overrides = {"fast-reply": "FAIL", "reply-length": "FAIL"} if outcome == "FAIL" else None
        log.add(verdict(f"s{n}-{run}", f"acc-s{b}-{run}", sloppy, outcome=outcome, clause_outcomes=overrides), at)
        amounts = {"refunded": 1_000_000} if outcome == "FAIL" else {"released": 1_000_000}
        log.add(settlement(f"acc-s{b}-{run}", (f"s{n}-{run}",), **amounts), at + timedelta(seconds=30))
    return log, good, sloppy

"""The runtime every service runs on: resources opened in the lifespan, closed in reverse.

Order on start: database pool (migrations applied) -> idempotent producer -> outbox relay ->
service setup (consumers) -> FastStream broker. Shutdown reverses it, so in-flight messages
finish (or are redelivered) and nothing committed is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from fastapi import APIRouter, FastAPI
from faststream.kafka import KafkaBroker

from pactline_messaging import DeadLetterPublisher, OutboxRelay, idempotent_producer, open_pool

from .http import install_http_middleware, probe_router
from .logs import configure_logging
from .settings import ServiceSettings
from .tracing import configure_tracing

log = logging.getLogger(__name__)


@dataclass
class Service:
    """The live resources of one running service, handed to its setup and routes."""

    name: str
    settings: ServiceSettings
    pool: asyncpg.Pool
    producer: AIOKafkaProducer
    broker: KafkaBroker
    relay: OutboxRelay
    dead_letters: DeadLetterPublisher
    background: list[Any] = field(default_factory=list)


@dataclass(frozen=True)
class ServiceSpec:
    """What distinguishes one service: its name, schema, port, migrations, consumers, routes."""

    name: str
    schema: str
    port: int
    version: str = "0.1.0"
    migrations: Path | None = None
    setup: Callable[[Service], Awaitable[None]] | None = None
    routers: Sequence[APIRouter] = ()
    description: str = ""


def build_app(spec: ServiceSpec, settings: ServiceSettings | None = None) -> FastAPI:
    settings = settings or ServiceSettings()
    configure_logging(spec.name, settings.log_level, settings.log_format)
    configure_tracing(spec.name, settings.trace_exporter)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with _running(spec, settings) as service:
            app.state.service = service
            log.info("%s ready", spec.name)
            yield
            log.info("%s shutting down", spec.name)
        log.info("%s stopped cleanly", spec.name)

    app = FastAPI(title=f"Pactline {spec.name}", version=spec.version, description=spec.description, lifespan=lifespan)
    install_http_middleware(app, spec.name)
    app.include_router(probe_router)
    for router in spec.routers:
        app.include_router(router)
    return app


@contextlib.asynccontextmanager
async def _running(spec: ServiceSpec, settings: ServiceSettings) -> AsyncIterator[Service]:
    dsn = settings.database_url.get_secret_value()
    pool = await _retrying(
        f"{spec.name}: database", lambda: open_pool(dsn, spec.schema, spec.migrations, max_size=settings.db_pool_size)
    )
    async with contextlib.AsyncExitStack() as stack:
        stack.push_async_callback(pool.close)
        producer = idempotent_producer(settings.kafka_bootstrap, f"pactline-{spec.name}")
        await _retrying(f"{spec.name}: kafka producer", producer.start)
        stack.push_async_callback(producer.stop)
        relay = OutboxRelay(pool, producer)
        await relay.start()
        stack.push_async_callback(relay.stop)
        broker = KafkaBroker(
            settings.kafka_bootstrap, client_id=f"pactline-{spec.name}", graceful_timeout=settings.shutdown_grace_s
        )
        service = Service(
            name=spec.name,
            settings=settings,
            pool=pool,
            producer=producer,
            broker=broker,
            relay=relay,
            dead_letters=DeadLetterPublisher(producer, spec.name),
        )
        if spec.setup is not None:
            await spec.setup(service)
        await _retrying(f"{spec.name}: kafka broker", broker.start)
        stack.push_async_callback(broker.stop)
        for item in service.background:
            stack.push_async_callback(item.stop)
        yield service


async def _retrying(what: str, start: Callable[[], Awaitable[Any]], attempts: int = 30) -> Any:
    """Dependencies may come up after us (Kubernetes starts pods in any order)."""
    for attempt in range(1, attempts + 1):
        try:
            return await start()
        except (OSError, asyncpg.PostgresError, KafkaError) as exc:
            if attempt == attempts:
                raise
            log.warning("%s not reachable (%s); retry %d/%d", what, exc, attempt, attempts)
            await asyncio.sleep(min(0.5 * attempt, 5.0))
    raise AssertionError("unreachable")

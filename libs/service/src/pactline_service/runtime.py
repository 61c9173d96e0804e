"""The runtime every service runs on: resources opened in the lifespan, closed in reverse.

Order on start: event keys (its signing key and the trust store; in production only from its
own settings, else it refuses to start) -> database pool (migrations applied) -> idempotent
producer -> outbox relay ->
service setup (clients, workers) -> the service's event consumer -> FastStream broker ->
projections and background workers. Shutdown reverses it, so in-flight messages finish (or
are redelivered) and nothing committed is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer
from fastapi import APIRouter, FastAPI
from faststream.kafka import KafkaBroker
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

from pactline_events import EventVerifier
from pactline_messaging import (
    DeadLetterPublisher,
    EventConsumer,
    EventHandlers,
    OutboxRelay,
    Projection,
    ProjectionRunner,
    event_keys,
    idempotent_producer,
    kafka_broker,
    open_pool,
)
from pactline_messaging.event_keys import EventKeysMissing
from pactline_messaging.garbage_collection import freeze_startup_objects
from pactline_messaging.retrying import startup_policy

from .http import install_http_middleware, probe_router
from .logs import broker_logger, configure_logging
from .settings import ServiceSettings
from .tracing import configure_tracing

log = logging.getLogger(__name__)


@dataclass
class Service:
    """The live resources of one running service, handed to its setup, handlers and routes."""

    name: str
    settings: ServiceSettings
    pool: asyncpg.Pool
    producer: AIOKafkaProducer
    broker: KafkaBroker
    relay: OutboxRelay
    dead_letters: DeadLetterPublisher
    consumer: EventConsumer | None = None
    projections: dict[str, ProjectionRunner] = field(default_factory=dict)
    background: list[Any] = field(default_factory=list)
    """Objects with ``start()``/``stop()`` coroutines, started after the broker, stopped first."""
    resources: dict[str, Any] = field(default_factory=dict)
    """Clients a service's setup attaches for its handlers and routes (by name)."""
    producer_name: str = ""
    """The producer its events carry (``ServiceSpec.emits_as``)."""


@dataclass(frozen=True)
class ServiceSpec:
    """What distinguishes one service: its name, schema, port, settings, migrations, handlers,
    projections and routes."""

    name: str
    schema: str
    port: int
    version: str = "0.1.0"
    settings: type[ServiceSettings] = ServiceSettings
    migrations: Path | None = None
    handlers: EventHandlers | None = None
    projections: Sequence[Callable[[Service], Projection[Any]]] = ()
    setup: Callable[[Service], Awaitable[None]] | None = None
    routers: Sequence[APIRouter] = ()
    description: str = ""
    openapi_schemas: Mapping[str, dict[str, Any]] = field(default_factory=dict)
    """Extra components/schemas for bodies a route declares by hand (``openapi_extra``)."""
    consumer_concurrency: int = 1
    """Transactions of one poll in flight at once (``EventConsumer``'s ``concurrency``): above 1
    only for handlers that lock what related streams share (docs/messaging.md)."""
    producer_name: str = ""
    """The producer its events carry and its signing key is looked up by; empty: ``name``.
    Tests run a service under another name (its own consumer group) but as the same producer."""

    @property
    def emits_as(self) -> str:
        return self.producer_name or self.name


def build_app(
    spec: ServiceSpec, settings: ServiceSettings | None = None, *, freeze_after_startup: bool = False
) -> FastAPI:
    """The service's ASGI app; ``settings`` defaults to ``spec.settings()`` read once, here.

    ``freeze_after_startup`` (for a process that runs this one service, as ``serve`` does):
    once started, everything made so far is exempted from garbage collection
    (``pactline_messaging.garbage_collection``). Not for a process that starts and stops many.
    """
    settings = settings if settings is not None else spec.settings()
    if not isinstance(settings, spec.settings):
        raise TypeError(f"{spec.name} needs {spec.settings.__name__}, got {type(settings).__name__}")
    configure_logging(spec.name, settings.log_level, settings.log_format)
    configure_tracing(spec.name, settings.trace_exporter)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with running(spec, settings) as service:
            app.state.service = service
            if freeze_after_startup:
                freeze_startup_objects()
            log.info("%s ready", spec.name)
            yield
            log.info("%s shutting down", spec.name)
        log.info("%s stopped cleanly", spec.name)

    app = FastAPI(title=f"Pactline {spec.name}", version=spec.version, description=spec.description, lifespan=lifespan)
    install_http_middleware(app, spec.name)
    # Server spans named by route template; an incoming `traceparent` continues the caller's trace.
    FastAPIInstrumentor.instrument_app(app, excluded_urls="health,ready,metrics")
    app.include_router(probe_router)
    for router in spec.routers:
        app.include_router(router)
    if spec.openapi_schemas:
        _add_openapi_schemas(app, spec.openapi_schemas)
    return app


def _add_openapi_schemas(app: FastAPI, schemas: Mapping[str, dict[str, Any]]) -> None:
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = generate()
            components = document.setdefault("components", {}).setdefault("schemas", {})
            for name, schema in schemas.items():
                if name in components:
                    raise ValueError(f"OpenAPI component {name!r} is defined twice")
                components[name] = schema
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def event_keys_of(name: str, settings: ServiceSettings) -> EventVerifier:
    """Install ``name``'s signing key for this process and return the verifier of what it reads.

    In production both come from the service's own settings (and so do its broker
    credentials), or it refuses to start; locally they may also come from the process
    (installed by the test fixtures) or from ``PACTLINE_EVENT_KEYS_DIR``.
    """
    key = settings.explicit_signing_key(name)
    verifier = settings.verifier()
    if not settings.local:
        missing = [
            what
            for what, absent in (
                ("its event signing key (PACTLINE_EVENT_SIGNING_KEY or PACTLINE_EVENT_SIGNING_KEY_FILE)", key is None),
                ("the trust store (PACTLINE_EVENT_TRUSTED_KEYS or PACTLINE_EVENT_TRUSTED_KEYS_FILE)", verifier is None),
                (
                    "its broker credentials (PACTLINE_KAFKA_USERNAME, PACTLINE_KAFKA_PASSWORD)",
                    not settings.kafka_password,
                ),
            )
            if absent
        ]
        if missing:
            raise EventKeysMissing(
                f"{name} refuses to start in PACTLINE_ENVIRONMENT={settings.environment} without "
                + "; ".join(missing)
                + " (set PACTLINE_ENVIRONMENT=local only on a developer's or CI's own stack)"
            )
    if key is not None:
        event_keys.install_signing_key(key)
    # Locally a key may also come from the process or the keys directory, looked up at the first
    # event: tests run services under other names (their own consumer groups) that never emit.
    return verifier if verifier is not None else event_keys.verifier()


async def _bounded(
    what: str, stop: Callable[[], Awaitable[Any]], grace_s: float, force: Callable[[], Any] | None = None
) -> None:
    """``stop()``, given at most ``grace_s``: a resource that does not close in time (a connection
    still held, a broker call that never returns) is abandoned, or ``force``d, with a warning,
    and shutdown goes on, so a service always stops (and a test's teardown never hangs)."""
    try:
        await asyncio.wait_for(stop(), timeout=grace_s)
    except TimeoutError:
        log.warning("%s did not stop within %.1fs; %s", what, grace_s, "forced" if force else "abandoned")
        if force is not None:
            force()


@contextlib.asynccontextmanager
async def running(spec: ServiceSpec, settings: ServiceSettings) -> AsyncIterator[Service]:
    """Open every resource of ``spec`` in order and close them in reverse (also for tests)."""
    verifier = event_keys_of(spec.emits_as, settings)
    credentials = settings.kafka_credentials()
    dsn = settings.database_url.get_secret_value()
    pool = await startup_policy(f"{spec.name}: database")(
        open_pool, dsn, spec.schema, spec.migrations, max_size=settings.db_pool_size
    )
    grace = settings.shutdown_grace_s + 5.0  # past the broker's own graceful timeout
    async with contextlib.AsyncExitStack() as stack:
        stack.push_async_callback(_bounded, f"{spec.name}: database pool", pool.close, grace, pool.terminate)
        producer = idempotent_producer(settings.kafka_bootstrap, f"pactline-{spec.name}", credentials=credentials)
        await startup_policy(f"{spec.name}: kafka producer")(producer.start)
        stack.push_async_callback(_bounded, f"{spec.name}: kafka producer", producer.stop, grace)
        relay = OutboxRelay(pool, producer)
        await relay.start()
        stack.push_async_callback(_bounded, f"{spec.name}: outbox relay", relay.stop, grace)
        broker = kafka_broker(
            settings.kafka_bootstrap,
            credentials=credentials,
            client_id=f"pactline-{spec.name}",
            graceful_timeout=settings.shutdown_grace_s,
            logger=broker_logger(),
        )
        service = Service(
            name=spec.name,
            settings=settings,
            pool=pool,
            producer=producer,
            broker=broker,
            relay=relay,
            dead_letters=DeadLetterPublisher(producer, spec.name),
            producer_name=spec.emits_as,
        )
        if spec.setup is not None:
            await spec.setup(service)
        if spec.handlers:
            service.consumer = EventConsumer(
                spec.name,
                pool,
                service.dead_letters,
                spec.handlers,
                deps=service,
                max_attempts=settings.consumer_max_attempts,
                batch_max_records=settings.consumer_batch_records,
                batch_max_bytes=settings.consumer_batch_bytes,
                concurrency=spec.consumer_concurrency,
                verifier=verifier,
                producer=spec.emits_as,
            )
            service.consumer.subscribe(broker)
        for make in spec.projections:
            projection = make(service)
            service.projections[projection.name] = ProjectionRunner(
                projection,
                pool,
                settings.kafka_bootstrap,
                service.dead_letters,
                producer=spec.emits_as,
                max_records=settings.consumer_batch_records,
                max_bytes=settings.consumer_batch_bytes,
                verifier=verifier,
                credentials=credentials,
            )
        await startup_policy(f"{spec.name}: kafka broker")(broker.start)
        stack.push_async_callback(_bounded, f"{spec.name}: kafka broker", broker.stop, grace)
        for item in (*service.projections.values(), *service.background):
            await item.start()
            stack.push_async_callback(_bounded, f"{spec.name}: {type(item).__name__}", item.stop, grace)
        yield service

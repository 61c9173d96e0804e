"""The gateway service: its runtime spec (name, schema, port, settings, handlers, routes)."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import asyncpg
from fastapi import FastAPI

from pactline_service import Service, ServiceSpec, build_app

from .agent_client import agent_client
from .api import router
from .calls import Gateway
from .handlers import handlers
from .recording import LostCallSweeper, Recorder
from .settings import GatewaySettings

log = logging.getLogger(__name__)


async def _setup(service: Service) -> None:
    settings = service.settings
    assert isinstance(settings, GatewaySettings)
    if settings.uses_local_pepper:
        log.warning(
            "PACTLINE_REGISTRY_KEY_PEPPER is not set: the gateway only accepts keys hashed under the public "
            "local pepper; set the registry's secret in both services"
        )
    calls_pool = await _calls_pool(service, settings)
    policy = settings.endpoint_policy
    client = agent_client(
        policy,
        connect_timeout=settings.gateway_connect_timeout_s,
        call_timeout=settings.gateway_call_timeout_s,
        connections=settings.gateway_max_connections,
    )
    # No call lasts longer than the call timeout; one still unrecorded well after it was lost.
    lost_after = timedelta(seconds=settings.gateway_call_timeout_s + settings.gateway_lost_call_grace_s)
    recorder = Recorder(calls_pool, give_up_after_s=lost_after.total_seconds())
    gateway = Gateway(client, recorder, policy, settings.gateway_max_response_bytes)
    service.resources["gateway"] = gateway
    service.resources["calls_pool"] = calls_pool
    sweeper = LostCallSweeper(service.pool, after=lost_after, every_s=settings.gateway_sweep_interval_s)
    service.background.extend((_Closing(calls_pool), gateway, sweeper))


async def _keep_session(conn: asyncpg.Connection) -> None:
    """The calls' queries leave no session state (no LISTEN, SET, advisory lock or cursor), so
    a connection goes back to the pool without the reset round trip asyncpg makes by default."""


async def _calls_pool(service: Service, settings: GatewaySettings) -> asyncpg.Pool:
    """A pool for the per-call queries (admission, reservation, recording): same database and
    schema as the service's, without a reset query on every release."""
    schema = await service.pool.fetchval("SELECT current_schema()")
    return await asyncpg.create_pool(
        settings.database_url.get_secret_value(),
        min_size=2,
        max_size=settings.db_pool_size,
        server_settings={"search_path": schema},
        reset=_keep_session,
    )


class _Closing:
    """Closes the calls' pool last at shutdown (background items stop in reverse order)."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        await self._pool.close()


SPEC = ServiceSpec(
    name="gateway",
    schema="gateway",
    port=8106,
    settings=GatewaySettings,
    migrations=Path(__file__).parent / "migrations",
    handlers=handlers,
    setup=_setup,
    routers=(router,),
    description="Buyers call agents through the gateway (OpenAI chat completions, API key + acceptance id); it "
    "measures each call and records it as a TaskCompleted with provenance gateway. See docs/gateway.md.",
)


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    return build_app(SPEC, settings)

"""The pact-registry service: its runtime spec (name, schema, port, migrations, routes)."""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI

from pactline_service import Service, ServiceSpec, build_app
from pactline_service.rate_limits import TokenBuckets

from .api import ROUTERS
from .api.acceptances import ESCROW_BACKING
from .api.pact_schema import pact_components
from .api.route_class import WRITE_LIMITER
from .escrow_backing import EscrowBacking
from .settings import RegistrySettings

log = logging.getLogger(__name__)


class _Closing:
    """Closes the escrow reader's RPC connection when the service stops."""

    def __init__(self, backing: EscrowBacking) -> None:
        self.backing = backing

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        await self.backing.close()


async def _setup(service: Service) -> None:
    settings = service.settings
    assert isinstance(settings, RegistrySettings)
    if settings.uses_local_pepper:  # only ever in PACTLINE_ENVIRONMENT=local (settings refuse it elsewhere)
        log.warning(
            "PACTLINE_REGISTRY_KEY_PEPPER is not set: API key hashes use the public local pepper; "
            "set a random secret before this registry holds real keys"
        )
    service.resources[WRITE_LIMITER] = TokenBuckets(settings.registry_write_rate_per_s, settings.registry_write_burst)
    backing = EscrowBacking(
        settings.eth_rpc_url,
        settings.deployment_file,
        settings.settlement_evaluator_address,
        settings.registry_chain_timeout_s,
    )
    service.resources[ESCROW_BACKING] = backing
    service.background.append(_Closing(backing))


SPEC = ServiceSpec(
    name="pact-registry",
    schema="registry",
    port=8101,
    settings=RegistrySettings,
    migrations=Path(__file__).parent / "migrations",
    setup=_setup,
    routers=ROUTERS,
    openapi_schemas=pact_components(),
    description="Agents, behavioral pacts, acceptances with escrow terms, and task intake. "
    "Every write needs an API key (Authorization: Bearer ...); see docs/pacts.md, 'Using the registry API'.",
)


def create_app(settings: RegistrySettings | None = None) -> FastAPI:
    return build_app(SPEC, settings)

"""The pact-registry service: its runtime spec (name, schema, port, migrations, routes)."""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI

from pactline_service import Service, ServiceSpec, build_app

from .api import ROUTERS
from .api.pact_schema import pact_components
from .settings import RegistrySettings

log = logging.getLogger(__name__)


async def _setup(service: Service) -> None:
    assert isinstance(service.settings, RegistrySettings)
    if service.settings.uses_local_pepper:
        log.warning(
            "PACTLINE_REGISTRY_KEY_PEPPER is not set: API key hashes use the public local pepper; "
            "set a random secret before this registry holds real keys"
        )


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

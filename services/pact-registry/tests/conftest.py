"""Fixtures for the registry's tests: a live app on a fresh schema, checking escrow on the
session's anvil deployment (helpers in tests/support/registry_testkit.py and registry_chain.py)."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import httpx
import pytest

from pactline_registry.app import SPEC
from pactline_service import build_app
from registry_chain import RegistryChain, registry_chain  # noqa: F401 - the session's deployment
from registry_testkit import Registry, registry_settings


@pytest.fixture
async def registry(
    database_url: str,
    kafka_topics: str,
    db_schema: str,
    registry_chain: RegistryChain,  # noqa: F811
) -> AsyncIterator[Registry]:
    settings = registry_settings(database_url, kafka_topics, registry_chain)
    app = build_app(dataclasses.replace(SPEC, schema=db_schema), settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://registry") as client,
    ):
        yield Registry(app, client, registry_chain)

"""Fixtures for the registry's tests: a live app on a fresh schema (helpers in tests/support/registry_testkit.py)."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import httpx
import pytest

from pactline_registry.app import SPEC
from pactline_service import build_app
from registry_testkit import Registry, registry_settings


@pytest.fixture
async def registry(database_url: str, kafka_topics: str, db_schema: str) -> AsyncIterator[Registry]:
    app = build_app(dataclasses.replace(SPEC, schema=db_schema), registry_settings(database_url, kafka_topics))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://registry") as client,
    ):
        yield Registry(app, client)

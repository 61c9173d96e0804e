"""Fixtures for the registry's tests: a live app on a fresh schema (helpers in registry_testkit)."""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).parent))  # importlib mode: make registry_testkit importable

from registry_testkit import Registry, registry_settings

from pactline_registry.app import SPEC
from pactline_service import build_app


@pytest.fixture
async def registry(database_url: str, kafka_topics: str, db_schema: str) -> AsyncIterator[Registry]:
    app = build_app(dataclasses.replace(SPEC, schema=db_schema), registry_settings(database_url, kafka_topics))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://registry") as client,
    ):
        yield Registry(app, client)

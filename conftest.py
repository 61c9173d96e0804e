"""Session fixtures shared by every test in the repo: the real infrastructure endpoints.

See tests/support/infra_endpoints.py for how each endpoint is found (env, testcontainers,
or the project's local processes).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest

from infra_endpoints import anvil, kafka, postgres


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    with kafka() as bootstrap:
        yield bootstrap


@pytest.fixture(scope="session")
async def kafka_topics(kafka_bootstrap: str) -> str:
    """The bootstrap address, after every catalog topic exists."""
    from pactline_messaging import ensure_topics

    await ensure_topics(kafka_bootstrap)
    return kafka_bootstrap


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    with postgres() as url:
        yield url


@pytest.fixture(scope="session")
def eth_rpc_url() -> Iterator[str]:
    with anvil() as url:
        yield url


@pytest.fixture
async def db_schema(database_url: str) -> AsyncIterator[str]:
    """A fresh, empty schema for one test, dropped afterwards."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    yield schema
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    finally:
        await conn.close()

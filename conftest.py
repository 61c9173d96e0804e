"""Session fixtures shared by every test in the repo: the real infrastructure endpoints, and
the session's event keys.

See tests/support/infra_endpoints.py for how each endpoint is found (env, testcontainers,
or the project's local processes).

Tests run in the ``local`` environment with real signatures: every producer the tests write
as gets an Ed25519 key made for this session, in a directory that also holds the trust store
of them all (PACTLINE_EVENT_KEYS_DIR, which child processes inherit). Nothing switches
signing or verification off.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from infra_endpoints import anvil, kafka, postgres
from pactline_events import PRODUCERS

TEST_PRODUCERS = (*PRODUCERS, "test")
"""Every service, plus ``test`` for tests of the outbox that no consumer reads."""

os.environ["PACTLINE_ENVIRONMENT"] = "local"
for _name in ("EVENT_SIGNING_KEY", "EVENT_SIGNING_KEY_FILE", "EVENT_TRUSTED_KEYS", "EVENT_TRUSTED_KEYS_FILE"):
    os.environ.pop(f"PACTLINE_{_name}", None)  # the session's keys, not a shell's
EVENT_KEYS_DIR = Path(tempfile.mkdtemp(prefix="pactline-test-keys-"))
os.environ["PACTLINE_EVENT_KEYS_DIR"] = str(EVENT_KEYS_DIR)


def pytest_configure(config: pytest.Config) -> None:
    from pactline_messaging.local_keys import init_keys_dir

    init_keys_dir(EVENT_KEYS_DIR, TEST_PRODUCERS)


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(EVENT_KEYS_DIR, ignore_errors=True)


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

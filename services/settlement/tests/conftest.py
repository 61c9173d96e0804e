"""Fixtures for the settlement's tests (builders in tests/support/settlement_testkit.py, the
chain and the broker in tests/support/settlement_chain.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from pactline_messaging import idempotent_producer
from settlement_chain import Chain, Publisher, funded_account, new_chain


@pytest.fixture(scope="session")
async def chain(eth_rpc_url: str) -> AsyncIterator[Chain]:
    """Fresh contracts (and a mock USDC) on the project's anvil, for this test session."""
    fresh = await new_chain(eth_rpc_url)
    yield fresh
    await fresh.w3.provider.disconnect()  # close web3's cached HTTP sessions


@pytest.fixture(scope="session")
def deployment_file(chain: Chain, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("chain") / "deployment.json"
    chain.deployment.save(path)
    return path


@pytest.fixture
async def evaluator_key(chain: Chain) -> str:
    """A fresh evaluator account per test: its nonces are the test's alone."""
    account = await funded_account(chain.w3)
    return "0x" + bytes(account.key).hex()


@pytest.fixture(scope="session")
async def publisher(kafka_topics: str) -> AsyncIterator[Publisher]:
    producer = idempotent_producer(kafka_topics, "settlement-tests")
    await producer.start()
    yield Publisher(producer)
    await producer.stop()

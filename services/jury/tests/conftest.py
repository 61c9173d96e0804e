"""Fixtures for the jury's tests: the simulated judge server on real HTTP, with a mutable answer key."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from pactline_jury.judge_server import AnswerKey, running


@pytest.fixture(scope="session")
def answer_key() -> AnswerKey:
    return AnswerKey()


@pytest.fixture(scope="session")
async def judge_url(answer_key: AnswerKey) -> AsyncIterator[str]:
    async with running(answer_key) as url:
        yield url


@pytest.fixture
def judge_calls(judge_url: str):
    """Reads how often the server was called per model."""

    async def calls() -> dict[str, int]:
        async with httpx.AsyncClient() as client:
            return (await client.get(judge_url.removesuffix("/v1") + "/stats")).json()["calls"]

    return calls

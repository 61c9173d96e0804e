"""A resource that never finishes stopping cannot hold a service (or a test's teardown) forever."""

from __future__ import annotations

import asyncio
import logging

from pactline_service.runtime import _bounded


async def test_a_stop_that_never_returns_is_forced_after_the_grace_period(caplog):
    forced: list[str] = []

    async def hangs() -> None:
        await asyncio.Event().wait()

    with caplog.at_level(logging.WARNING):
        await asyncio.wait_for(_bounded("svc: database pool", hangs, 0.05, lambda: forced.append("x")), timeout=5)
    assert forced == ["x"]
    assert "svc: database pool did not stop within 0.1s; forced" in caplog.text


async def test_a_stop_that_returns_in_time_is_not_forced():
    forced: list[str] = []
    stopped: list[str] = []

    async def stops() -> None:
        stopped.append("x")

    await _bounded("svc: relay", stops, 1.0, lambda: forced.append("x"))
    assert (stopped, forced) == (["x"], [])

"""Waiting, with progress, until the system has caught up with the tasks: every verdict folded
into the trust scores, and every task's escrow released, refunded or held in the settlement
ledger. Each count is read from a service's public API, never assumed."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import httpx

from .onboarding import Acceptance, Roster
from .plan import PRICE_PER_TASK
from .platform import Platform


class NotCaughtUp(Exception):
    """The system did not reach the expected count in time; the message says what is missing."""


async def until(
    count: Callable[[], Awaitable[int]],
    total: int,
    show: Callable[[int], None],
    what: str,
    timeout_s: float,
    interval_s: float = 1.0,
) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        done = await count()
        show(done)
        if done >= total:
            return
        if time.monotonic() > deadline:
            raise NotCaughtUp(f"{what}: {done} of {total} after {timeout_s:.0f} s")
        await asyncio.sleep(interval_s)


class Readers:
    """The counts the demo waits on, read from the Trust Oracle and the settlement ledger."""

    def __init__(self, platform: Platform, roster: Roster) -> None:
        self.platform = platform
        self.roster = roster
        self.http = httpx.AsyncClient(timeout=15)

    async def close(self) -> None:
        await self.http.aclose()

    async def verdicts_scored(self) -> int:
        """Verdicts the Trust Oracle has folded for this run's agents (404: none yet)."""
        total = 0
        for agent in self.roster.agents.values():
            answer = await self.http.get(f"{self.platform.scoring}/v1/agents/{agent.agent_id}/score")
            if answer.status_code == 200:
                total += answer.json()["verdicts"]
        return total

    async def settlement_available(self) -> bool:
        answer = await self.http.get(f"{self.platform.settlement}/v1/settlements/signer")
        return answer.status_code == 200 and answer.json().get("configured", False)

    async def ledger(self, acceptance: Acceptance) -> dict | None:
        answer = await self.http.get(
            f"{self.platform.settlement}/v1/settlements/acceptances/{acceptance.acceptance_id}"
        )
        return answer.json() if answer.status_code == 200 else None

    async def tasks_accounted(self) -> int:
        """Tasks whose escrow the ledger shows released, refunded or held, over every acceptance."""
        total = 0
        for acceptance in self.roster.acceptances:
            row = await self.ledger(acceptance)
            if row is not None:
                total += (row["released"] + row["refunded"] + row["held"]) // PRICE_PER_TASK
        return total

"""The demo's traffic: which buyer sends how many tasks to which agent, under which escrow mode,
and how the tasks reach the platform. Pure: a description, nothing is sent here."""

from __future__ import annotations

import math
from dataclasses import dataclass

from .cast import AGENTS, GLOBEX, INITECH, AgentSpec, Party

PRICE_PER_TASK = 50_000  # 0.05 USDC in minor units
# An aggregate pool expires with its acceptance (wall clock, set by the registry), and the contract
# wants that expiry ahead of the chain's clock: the pacts' longest (30 days) leaves room for a local
# anvil whose clock tests have moved forward (the settlement tests warp it past dispute windows).
ACCEPTANCE_DAYS = 30


@dataclass(frozen=True)
class Lane:
    """One acceptance and the tasks that flow under it.

    route: ``gateway`` (the buyer calls the agent through the platform, which measures the call)
    or ``direct`` (the buyer calls the agent itself and reports each task; the provider
    countersigns the report, except every ``unsigned_every``-th one, which the buyer reports
    alone with a latency the provider disputes).
    """

    buyer: Party
    agent: AgentSpec
    mode: str  # "aggregate" (one funded pool) or "per_task" (one funded ERC-8183 job per task)
    route: str
    tasks: int
    unsigned_every: int = 0

    @property
    def key(self) -> str:
        return f"{self.buyer.name} -> {self.agent.label} ({self.mode}, {self.route})"

    @property
    def parties(self) -> str:
        return f"{self.buyer.name.split()[0]} -> {self.agent.label}"

    @property
    def escrow_total(self) -> int:
        return self.tasks * PRICE_PER_TASK

    def is_unsigned(self, index: int) -> bool:
        return self.unsigned_every > 0 and index % self.unsigned_every == self.unsigned_every - 1


def lanes(scale: float = 1.0) -> tuple[Lane, ...]:
    """The full demo at scale 1 sends 280 tasks; the end-to-end test runs a small scale."""

    def n(full: int) -> int:
        return max(2, math.ceil(full * scale))

    reliable, sloppy, deceptive = AGENTS
    return (
        # Globex calls every agent through the gateway and pays from one pool per acceptance.
        Lane(GLOBEX, reliable, "aggregate", "gateway", n(60)),
        Lane(GLOBEX, sloppy, "aggregate", "gateway", n(60)),
        Lane(GLOBEX, deceptive, "aggregate", "gateway", n(60)),
        # Initech funds one job per task for two agents (through the gateway) ...
        Lane(INITECH, reliable, "per_task", "gateway", n(30)),
        Lane(INITECH, sloppy, "per_task", "gateway", n(20)),
        # ... and reports tasks it ran itself, countersigned by the provider, from a pool.
        Lane(INITECH, reliable, "aggregate", "direct", n(30), unsigned_every=10 if scale >= 0.5 else 2),
        Lane(INITECH, deceptive, "aggregate", "direct", n(20)),
    )

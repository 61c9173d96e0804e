"""What the system says at the end, read from its public APIs and tools, never computed here:
the Trust Oracle's leaderboard and each agent's dimensions, the jury's statistics, the auditor's
replay of the whole log (`pactline audit replay`), and the settlement ledger against the chain
(`settlement.py`)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from .onboarding import Roster
from .platform import Platform


@dataclass
class ToolRun:
    """A `pactline ...` command the demo ran as any user would, and what it answered."""

    command: list[str]
    exit_code: int
    report: dict[str, Any]
    stderr: str


@dataclass
class Readout:
    leaderboard: dict[str, Any]
    scores: dict[str, dict[str, Any]]  # this run's agents, by agent id
    jury: dict[str, Any]
    audit: ToolRun
    notes: list[str] = field(default_factory=list)


def pactline_command() -> list[str]:
    """The installed `pactline` command of this environment."""
    found = shutil.which("pactline") or str(Path(sys.executable).with_name("pactline"))
    return [found]


async def run_pactline(platform: Platform, *args: str) -> ToolRun:
    """Run `pactline ARGS` pointed at this platform, as a user would from a shell."""
    env = {
        **os.environ,
        "PACTLINE_REGISTRY_URL": platform.registry,
        "PACTLINE_EVALUATOR_URL": platform.evaluator,
        "PACTLINE_SCORING_URL": platform.scoring,
        "PACTLINE_SETTLEMENT_URL": platform.settlement,
        "PACTLINE_KAFKA_BOOTSTRAP": platform.kafka,
        "PACTLINE_ETH_RPC_URL": platform.rpc,
        "PACTLINE_DEPLOYMENT_FILE": str(platform.deployment_file),
    }
    command = [*pactline_command(), *args]
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env
    )
    out, err = await process.communicate()
    try:
        report = json.loads(out) if out.strip() else {}
    except ValueError:
        report = {"output": out.decode(errors="replace")}
    return ToolRun(["pactline", *args], process.returncode or 0, report, err.decode(errors="replace"))


async def trust_oracle(platform: Platform, roster: Roster) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    async with httpx.AsyncClient(base_url=platform.scoring, timeout=30) as http:
        board = (await http.get("/v1/leaderboard", params={"limit": 50})).raise_for_status().json()
        scores = {}
        for agent in roster.agents.values():
            answer = await http.get(f"/v1/agents/{agent.agent_id}/score")
            if answer.status_code == 200:
                scores[agent.agent_id] = answer.json()
    return board, scores


async def jury_stats(platform: Platform) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=30) as http:
        return (await http.get(f"{platform.jury}/v1/jury/stats")).raise_for_status().json()


async def audit_replay(platform: Platform) -> ToolRun:
    return await run_pactline(platform, "audit", "replay", "--oracle", platform.scoring, "--kafka", platform.kafka)


async def read_all(platform: Platform, roster: Roster) -> Readout:
    board, scores = await trust_oracle(platform, roster)
    jury = await jury_stats(platform)
    audit = await audit_replay(platform)
    return Readout(board, scores, jury, audit)

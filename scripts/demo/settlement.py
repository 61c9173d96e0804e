"""The money at the end: the settlement ledger per agent and per buyer (its read API), the
transactions the settlement service signed, each acceptance's ledger next to the escrow as the
chain holds it, the providers' wallets after they withdraw, and `pactline settlement
reconcile`, which compares every job and pool of the ledger with the contracts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from pactline_cli.report import PartyFlow
from pactline_escrow.chain import account_from_key, connect
from pactline_escrow.deployment import Deployment
from pactline_escrow.models import JobStatus
from pactline_escrow.reader import EscrowReader

from .onboarding import Roster
from .platform import Platform
from .readouts import ToolRun, run_pactline
from .show import usdc

FIGURES = ("escrowed", "released", "refunded", "held", "remaining")


@dataclass
class SettlementReadout:
    available: bool
    agents: dict[str, dict[str, Any]] = field(default_factory=dict)  # ledger, by agent id
    buyers: dict[str, dict[str, Any]] = field(default_factory=dict)  # ledger, by buyer id
    acceptances: dict[str, dict[str, Any]] = field(default_factory=dict)  # ledger, by acceptance id
    chain: dict[str, dict[str, int]] = field(default_factory=dict)  # the contracts, by acceptance id
    transactions: list[dict[str, Any]] = field(default_factory=list)  # the signer's journal, this run's
    wallets: dict[str, dict[str, int]] = field(default_factory=dict)  # provider name -> before/after
    reconcile: ToolRun | None = None


async def _chain_figures(reader: EscrowReader, ledger: dict[str, Any]) -> dict[str, int]:
    """What the contracts hold for one acceptance: its pool, or the sum of its jobs."""
    if ledger["mode"] == "aggregate":
        figures = {"escrowed": 0, "released": 0, "refunded": 0, "held + remaining": 0}
        for pool in ledger["pools"]:
            on_chain = await reader.get_pool(bytes.fromhex(pool["pool_id"][2:]))
            figures["escrowed"] += on_chain.funded
            figures["released"] += on_chain.released
            figures["refunded"] += on_chain.refunded
            figures["held + remaining"] += on_chain.remaining
        return figures
    figures = {"escrowed": 0, "released": 0, "refunded": 0, "held + remaining": 0}
    for job in ledger["jobs"]:
        on_chain = await reader.get_job(int(job["job_id"]))
        figures["escrowed"] += on_chain.budget
        if on_chain.status is JobStatus.COMPLETED:
            figures["released"] += on_chain.budget
        elif on_chain.status in (JobStatus.REJECTED, JobStatus.EXPIRED):
            figures["refunded"] += on_chain.budget
        else:
            figures["held + remaining"] += on_chain.budget
    return figures


async def read(platform: Platform, roster: Roster, wallets_before: dict[str, int] | None = None) -> SettlementReadout:
    async with httpx.AsyncClient(base_url=platform.settlement, timeout=30) as http:
        signer = await http.get("/v1/settlements/signer")
        if signer.status_code != 200:
            return SettlementReadout(available=False)
        out = SettlementReadout(available=True)
        for agent in roster.agents.values():
            answer = await http.get(f"/v1/settlements/agents/{agent.agent_id}")
            if answer.status_code == 200:
                out.agents[agent.agent_id] = answer.json()
        for principal in roster.principals.values():
            if principal.party.role == "buyer":
                answer = await http.get(f"/v1/settlements/buyers/{principal.principal_id}")
                if answer.status_code == 200:
                    out.buyers[principal.principal_id] = answer.json()
        for acceptance in roster.acceptances:
            answer = await http.get(f"/v1/settlements/acceptances/{acceptance.acceptance_id}")
            if answer.status_code == 200:
                out.acceptances[acceptance.acceptance_id] = answer.json()
        journal = (await http.get("/v1/settlements/transactions", params={"limit": 1000})).json()["transactions"]
    targets = {f"job:{j['job_id']}" for a in out.acceptances.values() for j in a["jobs"]}
    pools = {p["pool_id"].removeprefix("0x").lower() for a in out.acceptances.values() for p in a["pools"]}
    out.transactions = [
        tx for tx in journal if tx["target"] in targets or any(pool in tx["target"].lower() for pool in pools)
    ]
    deployment = Deployment.load(platform.deployment_file)
    w3 = connect(platform.rpc)
    try:
        reader = EscrowReader(w3, deployment)
        for acceptance_id, ledger in out.acceptances.items():
            out.chain[acceptance_id] = await _chain_figures(reader, ledger)
        for agent in roster.agents.values():
            address = account_from_key(agent.spec.operator.private_key).address
            out.wallets[agent.spec.operator.name] = {
                "before": (wallets_before or {}).get(agent.spec.operator.name, 0),
                "after": await reader.balance_of(address),
            }
    finally:
        await w3.provider.disconnect()
    out.reconcile = await run_pactline(platform, "settlement", "reconcile")
    return out


def flows(readout: SettlementReadout | None, roster: Roster) -> list[PartyFlow]:
    if readout is None or not readout.available:
        return []
    rows = [
        PartyFlow(roster.agent_name(agent_id), "provider", f["released"], f["refunded"], f["held"])
        for agent_id, f in readout.agents.items()
    ]
    rows += [
        PartyFlow(roster.buyer_name(buyer_id), "buyer", f["released"], f["refunded"], f["held"])
        for buyer_id, f in readout.buyers.items()
    ]
    return rows


def show(console: Console, readout: SettlementReadout | None, roster: Roster) -> None:
    if readout is None or not readout.available:
        console.print("[yellow]Settlement:[/] the settlement service exposes no ledger yet; escrow stays funded.")
        return
    table = Table(title="Settlement ledger (GET /v1/settlements/agents|buyers/{id}), USDC", title_justify="left")
    for column in ("party", "role", *FIGURES):
        table.add_column(column, justify="left" if column in ("party", "role") else "right")
    for agent_id, figures in readout.agents.items():
        table.add_row(roster.agent_name(agent_id), "agent", *(usdc(figures[f]) for f in FIGURES))
    for buyer_id, figures in readout.buyers.items():
        table.add_row(roster.buyer_name(buyer_id), "buyer", *(usdc(figures[f]) for f in FIGURES))
    console.print(table)

    versus = Table(
        title="Each acceptance: the ledger / the escrow contracts (getPool, getJob), USDC", title_justify="left"
    )
    for column in ("acceptance", "mode", "route", "released", "refunded", "held + remaining"):
        versus.add_column(column, justify="left" if column in ("acceptance", "mode", "route") else "right")
    for acceptance in roster.acceptances:
        lane = acceptance.lane
        ledger = readout.acceptances.get(acceptance.acceptance_id)
        chain = readout.chain.get(acceptance.acceptance_id)
        if ledger is None or chain is None:
            versus.add_row(lane.parties, lane.mode, lane.route, "-", "-", "-")
            continue
        pairs = (
            (ledger["released"], chain["released"]),
            (ledger["refunded"], chain["refunded"]),
            (ledger["held"] + ledger["remaining"], chain["held + remaining"]),
        )
        versus.add_row(
            lane.parties,
            lane.mode,
            lane.route,
            *(f"{usdc(a)} / {usdc(b)}" + ("" if a == b else " [red]differs[/]") for a, b in pairs),
        )
    console.print(versus)

    batches = [tx for tx in readout.transactions if tx["kind"] not in ("complete", "reject")]
    jobs = [tx for tx in readout.transactions if tx not in batches]
    console.print(
        f"The settlement service signed, for this run: {len(batches)} batch settlements (one Merkle root of "
        f"verdicts each) and {len(jobs)} job completions or rejections (GET /v1/settlements/transactions):"
    )
    for tx in batches + jobs[:4]:
        target = tx["target"]
        if target.startswith("batch:"):
            _, pool, seq = target.split(":")
            target = f"pool {pool[:8]}..{pool[-4:]} batch {seq}"
        console.print(f"  {tx['kind']:<12} {target:<32} {tx['status']:<10} {tx['tx_hash']}")
    wallets = Table(title="Providers' wallets on chain (USDC balanceOf) after withdrawing", title_justify="left")
    for column in ("provider", "before the run", "after", "ledger: released to its agent"):
        wallets.add_column(column, justify="left" if column == "provider" else "right")
    for agent in roster.agents.values():
        balance = readout.wallets.get(agent.spec.operator.name, {})
        released = readout.agents.get(agent.agent_id, {}).get("released", 0)
        wallets.add_row(
            agent.spec.operator.name, usdc(balance.get("before", 0)), usdc(balance.get("after", 0)), usdc(released)
        )
    console.print(wallets)
    if readout.reconcile is not None:
        verdict = "no difference" if readout.reconcile.exit_code == 0 else "DIFFERENCES"
        console.print(f"`pactline settlement reconcile`: exit {readout.reconcile.exit_code} ({verdict})")
        for line in readout.reconcile.stderr.strip().splitlines()[-5:]:
            console.print(f"  {line}")

"""The demo's story, in order: check the stack, onboard everyone, put escrow on chain, send the
tasks, wait until every verdict is scored and every escrow settled, then print what the system
says and write the HTML report."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from rich.console import Console
from rich.panel import Panel
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from pactline_cli.registry_client import RegistryRequestFailed

from . import html_report, settlement, show
from .cast import AGENTS, BUYERS
from .escrow_side import Evaluator, Wallets, balances, platform_evaluator, withdraw_credits
from .onboarding import Acceptance, Roster, onboard
from .plan import PRICE_PER_TASK, Lane, lanes
from .platform import ROOT, Platform
from .readouts import Readout, read_all
from .traffic import Refused, Task, Traffic
from .waiting import NotCaughtUp, Readers, until

VERDICT_TIMEOUT_S = 900
SETTLEMENT_TIMEOUT_S = 600


@dataclass
class Outcome:
    """What a run did and what the system said about it (the end-to-end test checks it)."""

    roster: Roster
    evaluator: Evaluator
    tasks: list[Task]
    readout: Readout | None = None
    settlement: settlement.SettlementReadout | None = None
    report: Path | None = None
    settled: bool = False
    problems: list[str] = field(default_factory=list)


def intro(console: Console, plan: tuple[Lane, ...]) -> None:
    agents = "\n".join(f"  [bold]{a.label}-bot[/] ({a.family}), run by {a.operator.name}: {a.story}" for a in AGENTS)
    traffic = "\n".join(f"  {lane.key}: {lane.tasks} tasks" for lane in plan)
    keys = ", ".join(f"{p.name} {p.address}" for p in (*BUYERS, *(a.operator for a in AGENTS)))
    console.print(
        Panel(
            f"Three SIMULATED agents (canned answers, no model) work under behavioral pacts:\n{agents}\n\n"
            f"Two buyers send {sum(lane.tasks for lane in plan)} tasks:\n{traffic}\n\n"
            "Every task is judged by deterministic checks and a panel of SIMULATED judges; escrow moves on the "
            "local chain; trust scores follow.\n\n"
            "[bold]Keys:[/] the platform never holds a buyer's or a provider's key. This demo plays the buyers and "
            "providers, so it holds their keys as they would on their own machines: anvil's public test accounts "
            f"({keys}). The settlement service signs only as the platform's evaluator.",
            title="Pactline demo",
        )
    )


async def check_stack(console: Console, platform: Platform) -> list[str]:
    down = []
    async with httpx.AsyncClient(timeout=5) as http:
        for name, url in {**platform.services, "simulated agents": platform.agents}.items():
            try:
                ready = (await http.get(f"{url}/ready")).status_code == 200
            except httpx.HTTPError:
                ready = False
            if not ready:
                down.append(f"{name} at {url}")
    if not platform.deployment_file.exists():
        down.append(f"the escrow deployment ({platform.deployment_file}; run `make contracts`)")
    if not platform.admin_key:
        down.append("the registry's bootstrap admin key (PACTLINE_REGISTRY_BOOTSTRAP_ADMIN_KEY or .local/services)")
    return down


def bars() -> Progress:
    return Progress(
        TextColumn("{task.description:<44}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        transient=False,
    )


async def run(platform: Platform, scale: float, console: Console, report_dir: Path) -> Outcome:
    plan = lanes(scale)
    run_id = uuid.uuid4().hex[:8]
    intro(console, plan)
    with bars() as progress:
        setup = progress.add_task("registry: principals, agents, pacts", total=5 + 3 + len(plan))
        roster = await asyncio.to_thread(onboard, platform, run_id, plan, lambda _: progress.advance(setup))
        outcome = Outcome(roster, await platform_evaluator(platform), [])
        wallets = Wallets(platform)
        readers = Readers(platform, roster)
        try:
            before = await balances(wallets, tuple(a.operator for a in AGENTS))
            pools = await fund_pools(wallets, outcome, plan, progress)
            outcome.tasks = await send_tasks(platform, wallets, outcome, plan, progress)
            await wait_for_the_system(readers, outcome, progress)
            if outcome.settled:
                await withdraw_credits(wallets, pools)
        finally:
            await readers.close()
            await wallets.close()
    outcome.readout = await read_all(platform, roster)
    outcome.settlement = await settlement.read(platform, roster, before) if outcome.settled else None
    show.leaderboard(console, outcome.readout, roster)
    settlement.show(console, outcome.settlement, roster)
    show.jury(console, outcome.readout)
    show.audit(
        console,
        outcome.readout,
        {a.acceptance_id for a in roster.acceptances}
        | {a.agent_id for a in roster.agents.values()}
        | {t.task_id for t in outcome.tasks},
    )
    outcome.report = html_report.write(
        report_dir / f"report-{run_id}.html",
        roster,
        await html_report.score_points(platform, roster),
        await html_report.clause_outcomes(platform, roster, outcome.tasks),
        settlement.flows(outcome.settlement, roster),
        [
            "Agents and judges are SIMULATED (canned answers and an answer key, no language model).",
            f"{len(outcome.tasks)} tasks; every figure was read from the running services and the chain.",
            *outcome.problems,
        ],
    )
    console.print(f"\nHTML report: [bold]{outcome.report}[/]")
    for problem in outcome.problems:
        console.print(f"[yellow]note:[/] {problem}")
    return outcome


async def fund_pools(
    wallets: Wallets, outcome: Outcome, plan: tuple[Lane, ...], progress: Progress
) -> dict[str, tuple[Acceptance, str]]:
    """Each buyer gets the USDC its lanes need and opens one funded pool per aggregate acceptance."""
    aggregate = [a for a in outcome.roster.acceptances if a.lane.mode == "aggregate"]
    bar = progress.add_task("chain: buyers fund their pools", total=len(aggregate))
    for buyer in BUYERS:
        await wallets.top_up(buyer, sum(lane.escrow_total for lane in plan if lane.buyer == buyer))
    pools = {}
    for acceptance in aggregate:
        pool_id, _ = await wallets.open_pool(acceptance, outcome.evaluator.address, PRICE_PER_TASK)
        pools[acceptance.acceptance_id] = (acceptance, pool_id)
        progress.advance(bar)
    return pools


async def send_tasks(
    platform: Platform, wallets: Wallets, outcome: Outcome, plan: tuple[Lane, ...], progress: Progress
) -> list[Task]:
    per_task = sum(lane.tasks for lane in plan if lane.mode == "per_task")
    counters = {
        "jobs": progress.add_task("chain: Initech funds one job per task", total=per_task),
        "gateway": progress.add_task(
            "tasks: buyers call agents via the gateway", total=sum(x.tasks for x in plan if x.route == "gateway")
        ),
        "submits": progress.add_task("chain: providers submit output digests", total=per_task),
        "direct": progress.add_task(
            "tasks: Initech reports, provider countersigns", total=sum(x.tasks for x in plan if x.route == "direct")
        ),
        "disputes": progress.add_task(
            "tasks: reports the provider disputes",
            total=sum(sum(x.is_unsigned(n) for n in range(x.tasks)) for x in plan),
        ),
    }
    traffic = Traffic(
        platform,
        wallets,
        outcome.evaluator.address,
        outcome.roster.run_id,
        lambda name: progress.advance(counters[name]),
    )
    return await traffic.run(outcome.roster.acceptances)


async def wait_for_the_system(readers: Readers, outcome: Outcome, progress: Progress) -> None:
    total = len(outcome.tasks)
    scored = progress.add_task("system: verdicts in the trust scores", total=total)
    await until(
        readers.verdicts_scored,
        total,
        lambda n: progress.update(scored, completed=n),
        "verdicts folded into the Trust Oracle",
        VERDICT_TIMEOUT_S,
    )
    if not await readers.settlement_available():
        outcome.problems.append("the settlement service has no ledger API yet: the escrow stays funded")
        return
    settled = progress.add_task("system: escrow released, refunded or held", total=total)
    await until(
        readers.tasks_accounted,
        total,
        lambda n: progress.update(settled, completed=n),
        "tasks the settlement ledger accounts for",
        SETTLEMENT_TIMEOUT_S,
    )
    outcome.settled = True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/demo.py", description=__doc__)
    parser.add_argument(
        "--scale",
        type=float,
        default=float(os.environ.get("PACTLINE_DEMO_SCALE", "1")),
        help="share of the full scenario's 280 tasks to send (default 1; PACTLINE_DEMO_SCALE)",
    )
    parser.add_argument("--report-dir", type=Path, default=ROOT / ".local" / "demo")
    args = parser.parse_args(argv)
    console = Console()
    if not console.is_terminal:  # piped or logged: wide enough for the tables
        console = Console(width=130)
    platform = Platform.local()
    missing = asyncio.run(check_stack(console, platform))
    if missing:
        console.print("[red]The stack is not ready:[/] " + "; ".join(missing))
        console.print("Start it with `make demo` (or `make services contracts`); logs are in .local/services/.")
        return 1
    try:
        outcome = asyncio.run(run(platform, args.scale, console, args.report_dir))
    except (RegistryRequestFailed, Refused, NotCaughtUp) as exc:
        console.print(f"[red]demo stopped:[/] {exc}")
        console.print("Service logs are in .local/services/<name>.log; `make status` shows what answers.")
        return 1
    audit_ok = outcome.readout is not None and outcome.readout.audit.report.get(
        "digest"
    ) == outcome.readout.audit.report.get("oracle_digest")
    console.print(
        "\nEverything keeps running: run `make demo` again to add a run, `make down` to stop it all. "
        f"APIs: registry {platform.registry}/docs, Trust Oracle {platform.scoring}/docs."
    )
    return 0 if audit_ok else 1


if __name__ == "__main__":
    sys.exit(main())

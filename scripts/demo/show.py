"""Printing what the system said, as rich tables. Display only: every number comes from a
readout (a service's answer or a tool's report) and is shown as it came."""

from __future__ import annotations

from decimal import Decimal

from rich.console import Console
from rich.table import Table

from .onboarding import Roster
from .readouts import Readout

# The formula's dimensions (docs/scoring.md) and the short headers they get here.
DIMENSIONS = {
    "accuracy": "accuracy",
    "safety": "safety",
    "reliability": "reliab.",
    "security": "security",
    "economic_commitment": "econ.",
    "format_compliance": "format",
    "latency": "latency",
    "cost": "cost",
}


def usdc(minor: int) -> str:
    """Minor units as a USDC amount, exactly: 550000 -> 0.55, 1234567 -> 1.234567."""
    text = f"{Decimal(minor).scaleb(-6):.6f}".rstrip("0")
    return text + "0" * (2 - len(text.partition(".")[2]))


def leaderboard(console: Console, readout: Readout, roster: Roster) -> None:
    mine = {a.agent_id for a in roster.agents.values()}
    table = Table(title="Trust Oracle leaderboard (GET /v1/leaderboard; * = this run's agents)", title_justify="left")
    for column in ("#", "agent", "composite", "confidence", "tier", "verdicts", "buyers"):
        table.add_column(column, justify="right" if column not in ("agent", "tier") else "left")
    for rank, agent in enumerate(readout.leaderboard["agents"][:15], start=1):
        name = roster.agent_name(agent["agent_id"])
        table.add_row(
            str(rank),
            ("* " if agent["agent_id"] in mine else "  ") + (name if agent["agent_id"] in mine else agent["agent_id"]),
            str(agent["composite"]),
            str(agent["confidence"]),
            agent["tier"],
            str(agent["verdicts"]),
            str(agent["buyers"]),
        )
    console.print(table)
    dims = Table(
        title="This run's agents by dimension: lower bound of each Beta posterior (GET /v1/agents/{id}/score)",
        title_justify="left",
    )
    dims.add_column("agent")
    for header in DIMENSIONS.values():
        dims.add_column(header, justify="right")
    dims.add_column("composite / tier", justify="right")
    for agent in roster.agents.values():
        score = readout.scores.get(agent.agent_id)
        if score is None:
            dims.add_row(f"{agent.spec.label}-bot", *["-"] * len(DIMENSIONS), "no evidence yet")
            continue
        dims.add_row(
            f"{agent.spec.label}-bot",
            *(score["dimensions"][d]["lower_bound"][:6] for d in DIMENSIONS),
            f"{score['composite']} / {score['tier']}",
        )
    console.print(dims)
    console.print(
        "  Scores reward evidence, not luck: each buyer's evidence is capped, so two buyers leave every agent "
        "[bold]provisional[/] however many tasks they send (docs/scoring.md, sections 4-6)."
    )


def jury(console: Console, readout: Readout) -> None:
    stats = readout.jury
    table = Table(title="Jury (GET /v1/jury/stats, every deliberation since the stack started)", title_justify="left")
    table.add_column("figure")
    table.add_column("value", justify="right")
    rows = (
        ("panel", stats["panel_version"] + (" (SIMULATED judges)" if stats.get("simulated") else "")),
        ("deliberations", stats["deliberations"]),
        (
            "clause outcomes PASS / FAIL / INCONCLUSIVE",
            f"{stats['clauses_passed']} / {stats['clauses_failed']} / {stats['clauses_inconclusive']}",
        ),
        ("mean agreement of the majority", stats["mean_agreement"]),
        ("outputs flagged as injection attempts", stats["flagged_outputs"]),
        ("judgments discarded or failed (flags)", stats["flagged_judgments"]),
        ("judgments (valid)", f"{stats['judgments']} ({stats['valid_judgments']})"),
        ("cost (simulated prices)", f"{stats['cost_micro_usd']} micro-USD = {usdc(stats['cost_micro_usd'])} USD"),
        ("requests still pending", stats["pending_requests"]),
    )
    for name, value in rows:
        table.add_row(name, str(value))
    console.print(table)


def audit(console: Console, readout: Readout, own_ids: set[str]) -> None:
    run = readout.audit
    report = run.report
    table = Table(title="Audit: " + " ".join(run.command), title_justify="left")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for key in ("events_read", "chains_verified", "streams", "redeliveries", "folded", "agents", "as_of"):
        table.add_row(key.replace("_", " "), str(report.get(key)))
    table.add_row("replay digest", str(report.get("digest")))
    table.add_row("Trust Oracle digest", str(report.get("oracle_digest")))
    match = report.get("digest") is not None and report.get("digest") == report.get("oracle_digest")
    table.add_row("digests match", "[bold green]yes[/]" if match else "[bold red]NO[/]")
    broken = report.get("broken", [])
    ours = [line for line in broken if any(i in line for i in own_ids)]
    table.add_row("records that fail verification", f"{len(broken)} ({len(ours)} in this run's streams)")
    table.add_row("exit code", str(run.exit_code) + (" (0: everything agrees)" if run.exit_code == 0 else ""))
    console.print(table)
    if broken and not ours:
        console.print(
            f"  The shared log holds {len(broken)} record(s) this run did not write that fail verification "
            "(the test suite writes deliberately broken ones into the local log); the replay names each:"
        )
    for line in (ours or broken)[:3]:
        console.print(f"  [yellow]broken:[/] {line}")
    for line in report.get("mismatches", [])[:5]:
        console.print(f"  [red]mismatch:[/] {line}")

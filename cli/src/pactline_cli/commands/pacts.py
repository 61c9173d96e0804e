"""`pactline pacts ...`: publish pact versions (operators), accept them (buyers), read them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pactline_cli.registry_client import registry, show, show_all

app = typer.Typer(
    help="Pacts: publish versions, accept them with escrow terms, revoke acceptances.", no_args_is_help=True
)
DAY = 86_400


@app.command("publish")
def publish(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="A pact, .yaml/.yml or .json")],
    agent: Annotated[str, typer.Option(help="The agent the pact is for (yours)")],
    allow_superseded: Annotated[
        bool, typer.Option(help="New buyers may still accept the pact's earlier versions (default: only this one)")
    ] = False,
) -> None:
    """Publish the pact in FILE as a new version; prints its pact hash."""
    with registry() as client:
        show(client.publish_pact_file(agent, file, allow_superseded=allow_superseded))


@app.command("list")
def list_pacts(agent: Annotated[str | None, typer.Option(help="Only this agent's pacts")] = None) -> None:
    with registry() as client:
        show_all(lambda: client.pacts(agent))


@app.command("show")
def show_pact(
    pact_id: str, version: Annotated[int | None, typer.Option(help="Show this version's document and hash")] = None
) -> None:
    with registry() as client:
        show(client.pact_version(pact_id, version) if version else client.pact(pact_id))


@app.command("accept")
def accept(
    pact_id: str,
    mode: Annotated[str, typer.Option(help="per_task or aggregate")],
    price: Annotated[int, typer.Option(help="Price per task, USDC minor units (1 USDC = 1000000)")],
    pool_size: Annotated[int | None, typer.Option(help="aggregate: the pool you fund, USDC minor units")] = None,
    max_tasks: Annotated[int | None, typer.Option(help="Take at most this many tasks")] = None,
    expires_in: Annotated[int, typer.Option(help="Seconds until the acceptance expires")] = 30 * DAY,
    version: Annotated[int | None, typer.Option(help="Pact version (default: the latest)")] = None,
) -> None:
    """Accept a pact version for its agent with escrow terms (buyer)."""
    with registry() as client:
        show(
            client.accept(
                pact_id,
                mode=mode,  # type: ignore[arg-type]
                price_per_task=price,
                pool_size=pool_size,
                max_tasks=max_tasks,
                expires_in_seconds=expires_in,
                pact_version=version,
            )
        )


@app.command("acceptances")
def acceptances(pact: Annotated[str | None, typer.Option(help="Only acceptances of this pact")] = None) -> None:
    """The acceptances you may see (buyers: yours; operators: of your agents)."""
    with registry() as client:
        show_all(lambda: client.acceptances(pact))


@app.command("revoke")
def revoke(acceptance_id: str, reason: Annotated[str, typer.Option(help="Why")] = "") -> None:
    """Revoke an acceptance: no further task is taken under it."""
    with registry() as client:
        show(client.revoke_acceptance(acceptance_id, reason))

"""`pactline agents ...`: register and read agents (registering needs an operator key)."""

from __future__ import annotations

from typing import Annotated

import typer

from pactline_cli.registry_client import registry, show, show_all

app = typer.Typer(help="Agents: registered by operators, with the model family they run on.", no_args_is_help=True)


@app.command("register")
def register(
    name: Annotated[str, typer.Option(help="The agent's name")],
    model_family: Annotated[str, typer.Option(help="openai, anthropic, google, meta, mistral or other")],
    operator_address: Annotated[str | None, typer.Option(help="Default: the operator's own address")] = None,
) -> None:
    """Register an agent under your operator key."""
    with registry() as client:
        show(client.register_agent(name, model_family, operator_address))


@app.command("list")
def list_agents(operator: Annotated[str | None, typer.Option(help="Only this operator's agents")] = None) -> None:
    with registry() as client:
        show_all(lambda: client.agents(operator))


@app.command("show")
def show_agent(agent_id: str) -> None:
    with registry() as client:
        show(client.agent(agent_id))

"""`pactline tasks ...`: submit completed tasks under an acceptance (buyers) and read them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from pactline_cli.registry_client import registry, show, show_all

app = typer.Typer(help="Tasks: what an agent did under an acceptance, submitted for evaluation.", no_args_is_help=True)


@app.command("submit")
def submit(
    acceptance_id: str,
    file: Annotated[
        Path,
        typer.Option(
            exists=True,
            dir_okay=False,
            help="JSON: input, output, tool_calls, latency_ms, cost, tokens, reference, escrow_job_id",
        ),
    ],
    idempotency_key: Annotated[
        str | None, typer.Option(help="Overrides the file's; resubmitting with the same key never makes a second task")
    ] = None,
    escrow_job_id: Annotated[str | None, typer.Option(help="per_task: the ERC-8183 job you funded")] = None,
) -> None:
    """Submit a completed task from FILE."""
    try:
        task = json.loads(file.read_text())
    except ValueError as exc:
        typer.echo(f"error: {file} is not JSON: {exc}", err=True)
        raise typer.Exit(1) from None
    if not isinstance(task, dict):
        typer.echo(f"error: {file} must hold a JSON object", err=True)
        raise typer.Exit(1)
    if idempotency_key:
        task["idempotency_key"] = idempotency_key
    if escrow_job_id:
        task["escrow_job_id"] = escrow_job_id
    with registry() as client:
        show(client.submit_task(acceptance_id, task))


@app.command("list")
def list_tasks(acceptance_id: str) -> None:
    with registry() as client:
        show_all(lambda: client.tasks(acceptance_id))


@app.command("show")
def show_task(task_id: str) -> None:
    with registry() as client:
        show(client.task(task_id))

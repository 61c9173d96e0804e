"""`pactline evidence ...`: the provider's side of trustworthy evidence.

- `countersign`: sign a buyer's task report (EIP-712, docs/evaluation.md) with the operator's
  key from PACTLINE_PROVIDER_PRIVATE_KEY (the platform never holds it); the buyer submits the
  report with the signature and its provenance becomes `countersigned`.
- `verify`: check a countersigned report against the provider's address (buyers, auditors).
- `dispute`: the operator disputes a buyer-only report inside the pact's dispute window.
- `endpoint`: the operator registers where its agent answers (the gateway calls only there).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from pactline_cli.registry_client import registry, show
from pactline_escrow.settings import MissingKey, Role, private_key
from pactline_events import Countersignature
from pactline_evidence import CountersignatureInvalid, TaskReport, countersign, verify

app = typer.Typer(help="Evidence: countersign or verify task reports, dispute them, register agent endpoints.")

TaskFile = Annotated[
    Path,
    typer.Argument(
        exists=True, dir_okay=False, help="The task as submitted: input, output, tool_calls, latency_ms, ... (JSON)"
    ),
]


def _task(file: Path) -> dict[str, Any]:
    try:
        task = json.loads(file.read_text())
    except ValueError as exc:
        typer.echo(f"error: {file} is not JSON: {exc}", err=True)
        raise typer.Exit(1) from None
    if not isinstance(task, dict):
        typer.echo(f"error: {file} must hold a JSON object", err=True)
        raise typer.Exit(1)
    return task


def _report(task: dict[str, Any], acceptance_id: str) -> TaskReport:
    try:
        return TaskReport.model_validate({**task, "acceptance_id": acceptance_id})
    except ValidationError as exc:
        problems = "; ".join(f"/{'/'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        typer.echo(f"error: the task is not a report that can be signed: {problems}", err=True)
        raise typer.Exit(1) from None


@app.command("countersign")
def countersign_command(
    file: TaskFile,
    acceptance: Annotated[str, typer.Option(help="The acceptance the task belongs to")],
    output: Annotated[
        Path | None, typer.Option(help="Write the task with its countersignature here (else print the signature)")
    ] = None,
) -> None:
    """Sign the task report in FILE as the agent's operator (PACTLINE_PROVIDER_PRIVATE_KEY)."""
    task = _task(file)
    try:
        signed = countersign(_report(task, acceptance), private_key(Role.PROVIDER))
    except MissingKey as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    signature = {"signer": signed.signer, "signature": signed.signature}
    if output is None:
        show(signature)
        return
    output.write_text(json.dumps({**task, "countersignature": signature}, indent=2) + "\n")
    typer.echo(f"signed by {signed.signer}; written to {output}", err=True)


@app.command("verify")
def verify_command(
    file: TaskFile,
    acceptance: Annotated[str, typer.Option(help="The acceptance the task belongs to")],
    provider: Annotated[str, typer.Option(help="The provider's address (PactAccepted.provider_address)")],
) -> None:
    """Check that FILE's countersignature was made by PROVIDER over exactly this report."""
    task = _task(file)
    if not isinstance(task.get("countersignature"), dict):
        typer.echo("error: the task has no countersignature", err=True)
        raise typer.Exit(1)
    try:
        verify(_report(task, acceptance), Countersignature.model_validate(task["countersignature"]), provider)
    except (CountersignatureInvalid, ValidationError) as exc:
        typer.echo(f"invalid: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"valid: signed by {provider}")


@app.command("dispute")
def dispute(task_id: str, reason: Annotated[str, typer.Option(help="Why the reported measurements are wrong")]) -> None:
    """Dispute a buyer-only task report of your agent (PACTLINE_API_KEY: the operator's key)."""
    with registry() as client:
        show(client.dispute_task(task_id, reason))


@app.command("endpoint")
def endpoint(agent_id: str, base_url: str) -> None:
    """Register where AGENT_ID answers (OpenAI-compatible BASE_URL; https, public addresses)."""
    with registry() as client:
        show(client.register_endpoint(agent_id, base_url))

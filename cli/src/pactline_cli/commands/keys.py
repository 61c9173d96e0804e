"""`pactline keys ...`: principals and API keys (admins), and revoking your own keys."""

from __future__ import annotations

from typing import Annotated

import typer

from pactline_cli.registry_client import registry, show

app = typer.Typer(help="Principals and API keys. A key is shown once, when it is created.", no_args_is_help=True)


@app.command("create")
def create(
    role: Annotated[str, typer.Option(help="admin, operator, buyer or auditor")],
    name: Annotated[str, typer.Option(help="Display name")],
    address: Annotated[str | None, typer.Option(help="EVM address (operators and buyers)")] = None,
    scope: Annotated[list[str] | None, typer.Option(help="Limit the key to these scopes (repeatable)")] = None,
) -> None:
    """Create a principal and its first key (admin)."""
    with registry() as client:
        show(client.create_principal(role, name, address, scope or None))  # type: ignore[arg-type]


@app.command("add")
def add(
    principal_id: str,
    scope: Annotated[list[str] | None, typer.Option(help="Limit the key to these scopes (repeatable)")] = None,
    label: Annotated[str, typer.Option(help="A note to recognize the key by")] = "",
) -> None:
    """Create another key for an existing principal (admin)."""
    with registry() as client:
        show(client.create_key(principal_id, scope or None, label))


@app.command("revoke")
def revoke(key_id: str) -> None:
    """Revoke a key (admins: any key; others: their own)."""
    with registry() as client:
        show(client.revoke_key(key_id))


@app.command("whoami")
def whoami() -> None:
    """The principal, role and scopes of PACTLINE_API_KEY."""
    with registry() as client:
        show(client.me())

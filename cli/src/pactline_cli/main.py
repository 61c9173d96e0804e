"""The `pactline` command: one entry point, one sub-command group per service area."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="pactline",
    help="Pactline: behavioral pacts, escrow and trust scores for AI agents.",
    no_args_is_help=True,
)

# Each area registers its own group below (one line each), e.g.:
# app.add_typer(pacts.app, name="pacts")

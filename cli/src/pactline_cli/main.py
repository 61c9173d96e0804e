"""The `pactline` command: one entry point, one sub-command group per service area."""

from __future__ import annotations

import typer

from pactline_cli.commands import (
    agents,
    audit,
    escrow,
    evidence,
    jury,
    keys,
    pacts,
    scores,
    scoring,
    settlement,
    tasks,
    verdicts,
)

app = typer.Typer(
    name="pactline",
    help="Pactline: behavioral pacts, escrow and trust scores for AI agents.",
    no_args_is_help=True,
)

# Each area registers its own group below (one line each), e.g.:
# app.add_typer(pacts.app, name="pacts")
app.add_typer(escrow.app, name="escrow")
app.add_typer(agents.app, name="agents")
app.add_typer(pacts.app, name="pacts")
app.add_typer(tasks.app, name="tasks")
app.add_typer(keys.app, name="keys")
app.add_typer(jury.app, name="jury")
app.add_typer(verdicts.app, name="verdicts")
app.add_typer(scores.app, name="scores")
app.add_typer(scoring.app, name="scoring")
app.add_typer(audit.app, name="audit")
app.add_typer(evidence.app, name="evidence")
app.add_typer(settlement.app, name="settlement")

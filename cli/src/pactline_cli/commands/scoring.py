"""`pactline scoring rebuild`: drop the trust-score projection and replay the log from offset 0,
showing progress, then compare the snapshot digest with the one before. An operator command:
it needs the scoring database (PACTLINE_DATABASE_URL) and Kafka, and the service stopped."""

from __future__ import annotations

import asyncio
import os

import httpx
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

app = typer.Typer(help="Operate the scoring service's projection.", no_args_is_help=True)


def _service_running(url: str) -> bool:
    try:
        return httpx.get(url + "/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@app.command("rebuild")
def rebuild(
    force: bool = typer.Option(False, help="Rebuild even though the scoring service answers /health"),
) -> None:
    """Drop the projection (rows, states, offsets) and replay every event from offset 0."""
    from pactline_scoring.rebuilding import rebuild as run_rebuild
    from pactline_scoring.settings import ScoringSettings

    url = os.environ.get("PACTLINE_SCORING_URL", "http://127.0.0.1:8104")
    if _service_running(url) and not force:
        typer.echo(
            f"the scoring service answers at {url}: stop it first (its projection would keep folding "
            "from its old position), or pass --force",
            err=True,
        )
        raise typer.Exit(2)
    with Progress(
        TextColumn("replaying the log"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), transient=True
    ) as bar:
        task = bar.add_task("replay", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        before, after = asyncio.run(run_rebuild(ScoringSettings(), progress=progress))
    typer.echo(f"before: {before.digest or 'empty'} ({before.agents} agents at {before.log_time})")
    typer.echo(f"after:  {after.digest or 'empty'} ({after.agents} agents at {after.log_time})")
    if before.digest != after.digest:
        typer.echo("the rebuilt projection does not match the one it replaced", err=True)
        raise typer.Exit(1)
    typer.echo("rebuilt: same snapshot digest")

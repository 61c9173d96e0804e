"""`pactline verdicts show TASK_ID`: a task's verdict with every clause result (evaluator API)."""

from __future__ import annotations

import json
import os

import httpx
import typer

DEFAULT_URL = "http://127.0.0.1:8102"

app = typer.Typer(help="Verdicts: the evaluator's judgment of a task, clause by clause.", no_args_is_help=True)


@app.command("show")
def show(task_id: str) -> None:
    """Print the verdict of TASK_ID as JSON (for the task's buyer and the agent's operator).

    Talks to PACTLINE_EVALUATOR_URL (default http://127.0.0.1:8102) with PACTLINE_API_KEY.
    """
    base = (os.environ.get("PACTLINE_EVALUATOR_URL") or DEFAULT_URL).rstrip("/")
    key = os.environ.get("PACTLINE_API_KEY")
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    try:
        response = httpx.get(f"{base}/v1/verdicts/{task_id}", headers=headers, timeout=30.0)
    except httpx.HTTPError as error:
        typer.echo(f"error: the evaluator at {base} is unreachable: {error}", err=True)
        raise typer.Exit(1) from None
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code != 200:
        problem = (body or {}).get("error", {}) if isinstance(body, dict) else {}
        code, message = problem.get("code", "unexpected"), problem.get("message", response.text)
        typer.echo(f"error: {response.status_code} {code}: {message}", err=True)
        raise typer.Exit(1)
    typer.echo(json.dumps(body, indent=2, sort_keys=True))

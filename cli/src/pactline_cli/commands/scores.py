"""`pactline scores ...`: read the Trust Oracle (public, no key needed)."""

from __future__ import annotations

import json
import os
from datetime import datetime
from typing import Annotated, Any

import httpx
import typer

app = typer.Typer(help="Trust scores from the Trust Oracle (scoring service).", no_args_is_help=True)


def _get(path: str, params: dict[str, Any] | None = None) -> Any:
    url = os.environ.get("PACTLINE_SCORING_URL", "http://127.0.0.1:8104")
    try:
        response = httpx.get(url + path, params={k: v for k, v in (params or {}).items() if v is not None}, timeout=30)
    except httpx.HTTPError as exc:
        typer.echo(f"cannot reach the Trust Oracle at {url}: {exc}", err=True)
        raise typer.Exit(2) from exc
    if response.status_code != 200:
        typer.echo(f"{response.status_code}: {response.json().get('detail', response.text)}", err=True)
        raise typer.Exit(1)
    return response.json()


@app.command("show")
def show(
    agent_id: str,
    as_of: Annotated[datetime | None, typer.Option(help="A past UTC time; default: now in the log")] = None,
) -> None:
    """An agent's composite, confidence, tier and dimensions."""
    typer.echo(
        json.dumps(_get(f"/v1/agents/{agent_id}/score", {"as_of": as_of.isoformat() if as_of else None}), indent=2)
    )


@app.command("history")
def history(agent_id: str, limit: Annotated[int, typer.Option(min=1, max=1000)] = 50) -> None:
    """The agent's score after each piece of evidence."""
    for point in _get(f"/v1/agents/{agent_id}/history", {"limit": limit})["points"]:
        typer.echo(f"{point['as_of']}  {point['composite']:>4}  {point['tier']:<11} confidence {point['confidence']}")


@app.command("leaderboard")
def leaderboard(
    tier: Annotated[list[str] | None, typer.Option(help="Only these tiers (repeatable)")] = None,
    dimension: Annotated[str | None, typer.Option(help="Rank by this dimension's lower bound")] = None,
    min_verdicts: Annotated[int, typer.Option(min=0)] = 0,
    min_buyers: Annotated[int, typer.Option(min=0)] = 0,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 20,
) -> None:
    """Agents ranked by composite (or one dimension)."""
    params = {
        "tier": tier,
        "dimension": dimension,
        "min_verdicts": min_verdicts,
        "min_buyers": min_buyers,
        "limit": limit,
    }
    board = _get("/v1/leaderboard", params)
    for rank, agent in enumerate(board["agents"], start=1):
        typer.echo(
            f"{rank:>3}. {agent['agent_id']:<32} {agent['composite']:>4} {agent['tier']:<11} "
            f"verdicts {agent['verdicts']:>6}  buyers {agent['buyers']:>4}"
        )

"""`pactline audit replay`: recompute every trust score from the log and check the oracle."""

from __future__ import annotations

import asyncio
import json
import os
from datetime import datetime
from pathlib import Path
from typing import Annotated

import httpx
import typer

from pactline_cli.audit_replay import replay as run_replay
from pactline_events import EventVerifier, TrustStore
from pactline_messaging import endpoints

app = typer.Typer(help="Audits: replay the event log and check what the services answer.", no_args_is_help=True)

DEFAULT_ORACLE = "http://127.0.0.1:8104"


@app.command("replay")
def replay(
    oracle: Annotated[str | None, typer.Option(help="Trust Oracle URL (PACTLINE_SCORING_URL)")] = None,
    kafka: Annotated[str | None, typer.Option(help="Kafka bootstrap (PACTLINE_KAFKA_BOOTSTRAP)")] = None,
    as_of: Annotated[
        datetime | None, typer.Option(help="Compare scores at this UTC time; default: the log time")
    ] = None,
    topic_prefix: Annotated[str, typer.Option(help="Read prefixed copies of the topics")] = "",
    trusted_keys: Annotated[
        Path | None, typer.Option(help="The services' public keys (PACTLINE_EVENT_TRUSTED_KEYS_FILE)")
    ] = None,
) -> None:
    """Read every event topic from offset 0, verify hashes, chains and every event's signature
    and producer, recompute every score with the published formula, compare with the Trust
    Oracle. Exit 1 on a mismatch, 2 on a broken chain, a forged or misrouted event or an
    unreadable event. Reads as the broker principal of PACTLINE_KAFKA_USERNAME (the auditor's)."""
    url = oracle or os.environ.get("PACTLINE_SCORING_URL") or DEFAULT_ORACLE
    bootstrap = kafka or endpoints.kafka_bootstrap()
    signatures = EventVerifier(TrustStore.from_file(trusted_keys)) if trusted_keys is not None else None

    async def go():
        async with httpx.AsyncClient(base_url=url, timeout=60) as client:
            return await run_replay(
                bootstrap, client, prefix=topic_prefix, as_of=as_of, progress=True, signatures=signatures
            )

    try:
        report = asyncio.run(go())
    except (httpx.HTTPError, ValueError) as exc:
        typer.echo(f"audit failed: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(json.dumps(report.to_json(), indent=2))
    for line in report.broken:
        typer.echo(f"BROKEN: {line}", err=True)
    for line in report.mismatches:
        typer.echo(f"MISMATCH: {line}", err=True)
    if report.broken:
        raise typer.Exit(2)
    if report.mismatches:
        raise typer.Exit(1)
    typer.echo(f"OK: {report.events_read} events, {report.agents} agents, digest {report.digest}", err=True)

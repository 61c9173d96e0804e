"""`pactline scoring rebuild` refuses to run while the scoring service answers (its own
projection would keep folding from its old position)."""

from __future__ import annotations

import asyncio

from fastapi import FastAPI
from typer.testing import CliRunner

from live_server import serving
from pactline_cli.main import app as cli

running_service = FastAPI()


@running_service.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


async def test_rebuild_refuses_while_the_scoring_service_is_up(monkeypatch):
    async with serving(running_service, lifespan="off") as url:
        monkeypatch.setenv("PACTLINE_SCORING_URL", url)
        result = await asyncio.to_thread(CliRunner().invoke, cli, ["scoring", "rebuild"])
    assert result.exit_code == 2
    assert "stop it first" in result.output

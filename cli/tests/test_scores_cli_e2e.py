"""`pactline scores show|history|leaderboard` against a live Trust Oracle served over HTTP
(real Kafka and Postgres behind it)."""

from __future__ import annotations

import asyncio
import json
import socket
import uuid
from collections.abc import AsyncIterator

import pytest
import uvicorn
from typer.testing import CliRunner

from pactline_cli.main import app as cli
from scoring_oracle import Oracle, publish, running_oracle, scenario
from waiting import wait_for

pytestmark = pytest.mark.infra
runner = CliRunner()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
async def served(kafka_topics, database_url, db_schema) -> AsyncIterator[tuple[Oracle, str]]:
    async with running_oracle(kafka_topics, database_url, db_schema) as oracle:
        port = free_port()
        # The same app, its lifespan already running: uvicorn only adds the socket.
        config = uvicorn.Config(oracle.app, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
        server = uvicorn.Server(config)
        task = asyncio.create_task(server.serve())
        await wait_for(lambda: asyncio.sleep(0, result=server.started), what="the oracle listening")
        try:
            yield oracle, f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True
            await task


async def test_scores_commands_show_what_the_oracle_serves(served, kafka_topics):
    oracle, url = served
    log, good, sloppy = scenario(uuid.uuid4().hex[:8])
    await publish(kafka_topics, oracle.prefix, log.events)
    await wait_for(oracle.caught_up, what="the projection folded every event")
    env = {"PACTLINE_SCORING_URL": url}

    shown = await asyncio.to_thread(runner.invoke, cli, ["scores", "show", good], env=env)
    assert shown.exit_code == 0, shown.output
    served_score = (await oracle.http.get(f"/v1/agents/{good}/score")).json()
    assert json.loads(shown.stdout)["composite"] == served_score["composite"]

    board = await asyncio.to_thread(runner.invoke, cli, ["scores", "leaderboard", "--limit", "500"], env=env)
    assert board.exit_code == 0, board.output
    lines = [line for line in board.stdout.splitlines() if good in line or sloppy in line]
    assert good in lines[0]  # the reliable agent ranks above the sloppy one
    assert sloppy in lines[1]

    history = await asyncio.to_thread(runner.invoke, cli, ["scores", "history", sloppy, "--limit", "5"], env=env)
    assert history.exit_code == 0, history.output
    assert len(history.stdout.splitlines()) == 5

    missing = await asyncio.to_thread(runner.invoke, cli, ["scores", "show", "nobody"], env=env)
    assert missing.exit_code == 1
    assert "no evidence for agent 'nobody'" in missing.stderr

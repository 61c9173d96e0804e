"""A projection stores its offsets with its rows: it resumes without double counting, and a
drop-and-replay rebuild from offset 0 gives the same rows."""

from __future__ import annotations

import asyncpg
import pytest

from pactline_events import Envelope
from pactline_events.topics import AGENTS
from pactline_messaging import DeadLetterPublisher, ProjectionRunner
from waiting import wait_for

pytestmark = pytest.mark.infra


async def snapshot(pool: asyncpg.Pool, prefix: str) -> list[tuple[str, int, str]]:
    rows = await pool.fetch(
        "SELECT stream_id, events, last_name FROM agent_counts WHERE stream_id LIKE $1 ORDER BY stream_id", prefix + "%"
    )
    return [tuple(r) for r in rows]


async def test_projection_resumes_from_checkpoint_and_rebuilds_identically(producing_service, producer, kafka_topics):
    svc = producing_service
    await svc.pool.execute(
        "CREATE TABLE agent_counts (stream_id text PRIMARY KEY, events int NOT NULL, last_name text NOT NULL)"
    )

    async def apply(conn: asyncpg.Connection, event: Envelope) -> None:
        if event.event_type == "AgentRegistered":
            await conn.execute(
                """INSERT INTO agent_counts VALUES ($1, 1, $2) ON CONFLICT (stream_id)
                   DO UPDATE SET events = agent_counts.events + 1, last_name = EXCLUDED.last_name""",
                event.stream_id,
                event.payload.name,
            )

    async def reset(conn: asyncpg.Connection) -> None:
        await conn.execute("TRUNCATE agent_counts")

    def runner() -> ProjectionRunner:
        return ProjectionRunner(
            "agent-counts",
            svc.pool,
            kafka_topics,
            (AGENTS,),
            apply,
            reset,
            DeadLetterPublisher(producer, "agent-counts"),
        )

    async def run_until_caught_up(projection: ProjectionRunner) -> None:
        await projection.start()
        try:
            await wait_for(lambda: _caught_up(projection), what="projection caught up")
        finally:
            await projection.stop()

    for n in range(3):
        await svc.register_agent(n, stream=f"{svc.prefix}agent-{n % 2}")
    await svc.publish()
    await run_until_caught_up(runner())
    first = await snapshot(svc.pool, svc.prefix)
    assert first == [(f"{svc.prefix}agent-0", 2, "agent 2"), (f"{svc.prefix}agent-1", 1, "agent 1")]

    # Restart after more events: resumes from its checkpoints, counts nothing twice.
    await svc.register_agent(3, stream=f"{svc.prefix}agent-1")
    await svc.publish()
    await run_until_caught_up(runner())
    resumed = await snapshot(svc.pool, svc.prefix)
    assert resumed == [(f"{svc.prefix}agent-0", 2, "agent 2"), (f"{svc.prefix}agent-1", 2, "agent 3")]

    # Rebuild: drop rows and checkpoints, replay the log from offset 0.
    projection = runner()
    await projection.rebuild()
    assert await snapshot(svc.pool, svc.prefix) == []
    await run_until_caught_up(projection)
    assert await snapshot(svc.pool, svc.prefix) == resumed


async def _caught_up(projection: ProjectionRunner) -> bool:
    return await projection.lag() == 0


async def test_a_failing_batch_is_retried_not_skipped(producing_service, producer, kafka_topics):
    svc = producing_service
    await svc.pool.execute("CREATE TABLE seen (stream_id text PRIMARY KEY)")
    failures = {"left": 2}
    target = f"{svc.prefix}agent-flaky"

    async def apply(conn: asyncpg.Connection, event: Envelope) -> None:
        if event.stream_id == target:
            if failures["left"]:
                failures["left"] -= 1
                raise ConnectionResetError("transient trouble while folding")
            await conn.execute("INSERT INTO seen VALUES ($1)", event.stream_id)

    async def reset(conn: asyncpg.Connection) -> None:
        await conn.execute("TRUNCATE seen")

    await svc.register_agent(1, stream=target)
    await svc.publish()
    projection = ProjectionRunner(
        "flaky", svc.pool, kafka_topics, (AGENTS,), apply, reset, DeadLetterPublisher(producer, "flaky")
    )
    await projection.start()
    try:
        await wait_for(lambda: _caught_up(projection), what="projection caught up after retries")
    finally:
        await projection.stop()
    assert failures["left"] == 0
    assert await svc.pool.fetchval("SELECT count(*) FROM seen") == 1

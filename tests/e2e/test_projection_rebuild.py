"""A projection is a pure fold stored with its offsets: it resumes without double counting,
skips exact redeliveries, and a drop-and-replay rebuild from offset 0 gives the same rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest

from pactline_events import Envelope
from pactline_events.topics import AGENTS, TopicSpec
from pactline_messaging import Change, DeadLetterPublisher, ProjectionContext, ProjectionRunner
from waiting import wait_for

pytestmark = pytest.mark.infra


@dataclass(frozen=True)
class Counted:
    events: int
    last_name: str


class AgentCounts:
    """Counts AgentRegistered events per stream of one test run: state -> row."""

    topics: tuple[TopicSpec, ...] = (AGENTS,)

    def __init__(self, name: str, prefix: str, flaky_stream: str | None = None, failures: int = 0) -> None:
        self.name = name
        self.prefix = prefix
        self.flaky_stream = flaky_stream
        self.failures_left = failures

    def key(self, event: Envelope) -> str | None:
        return event.stream_id if event.stream_id.startswith(self.prefix) else None

    def evolve(self, state: Counted | None, event: Envelope) -> Counted:
        return Counted(events=(state.events if state else 0) + 1, last_name=event.payload.name)

    def dump(self, state: Counted) -> dict[str, Any]:
        return {"events": state.events, "last_name": state.last_name}

    def load(self, data: dict[str, Any]) -> Counted:
        return Counted(**data)

    async def write(self, ctx: ProjectionContext, changes: list[Change[Counted]]) -> None:
        for change in changes:
            if change.key == self.flaky_stream and self.failures_left:
                self.failures_left -= 1
                raise ConnectionResetError("transient trouble while writing rows")
            await ctx.conn.execute(
                """INSERT INTO agent_counts VALUES ($1, $2, $3) ON CONFLICT (stream_id)
                   DO UPDATE SET events = EXCLUDED.events, last_name = EXCLUDED.last_name""",
                change.key,
                change.after.events,
                change.after.last_name,
            )

    async def reset(self, conn: asyncpg.Connection) -> None:
        await conn.execute("TRUNCATE agent_counts")


async def snapshot(pool: asyncpg.Pool, prefix: str) -> list[tuple[str, int, str]]:
    rows = await pool.fetch(
        "SELECT stream_id, events, last_name FROM agent_counts WHERE stream_id LIKE $1 ORDER BY stream_id", prefix + "%"
    )
    return [tuple(r) for r in rows]


async def _caught_up(projection: ProjectionRunner) -> bool:
    return await projection.lag() == 0


async def run_until_caught_up(projection: ProjectionRunner) -> None:
    await projection.start()
    try:
        await wait_for(lambda: _caught_up(projection), what="projection caught up")
    finally:
        await projection.stop()


@pytest.fixture
async def counts_table(producing_service) -> None:
    await producing_service.pool.execute(
        "CREATE TABLE agent_counts (stream_id text PRIMARY KEY, events int NOT NULL, last_name text NOT NULL)"
    )


async def test_projection_resumes_from_checkpoint_and_rebuilds_identically(
    producing_service, producer, kafka_topics, counts_table
):
    svc = producing_service

    def runner() -> ProjectionRunner:
        projection = AgentCounts("agent-counts", svc.prefix)
        return ProjectionRunner(projection, svc.pool, kafka_topics, DeadLetterPublisher(producer, "agent-counts"))

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

    # Rebuild: drop rows, states and checkpoints, replay the log from offset 0.
    projection = runner()
    await projection.rebuild()
    assert await snapshot(svc.pool, svc.prefix) == []
    assert await svc.pool.fetchval("SELECT count(*) FROM projection_states WHERE projection = 'agent-counts'") == 0
    await run_until_caught_up(projection)
    assert await snapshot(svc.pool, svc.prefix) == resumed


async def test_an_exact_redelivery_in_the_log_is_folded_once(producing_service, producer, kafka_topics, counts_table):
    svc = producing_service
    stream = f"{svc.prefix}agent-twice"
    first = await svc.register_agent(1, stream=stream)
    await svc.register_agent(2, stream=stream)
    await svc.publish()
    await svc.pool.execute("UPDATE outbox SET published_at = NULL WHERE event_id = $1", first.event_id)
    assert await svc.publish() == 1  # the same bytes again, after their successor

    projection = AgentCounts("agent-counts-redelivered", svc.prefix)
    await run_until_caught_up(
        ProjectionRunner(projection, svc.pool, kafka_topics, DeadLetterPublisher(producer, projection.name))
    )
    assert await snapshot(svc.pool, svc.prefix) == [(stream, 2, "agent 2")]


async def test_a_failing_poll_is_retried_not_skipped(producing_service, producer, kafka_topics, counts_table):
    svc = producing_service
    target = f"{svc.prefix}agent-flaky"
    await svc.register_agent(1, stream=target)
    await svc.publish()
    projection = AgentCounts("flaky", svc.prefix, flaky_stream=target, failures=2)
    await run_until_caught_up(
        ProjectionRunner(projection, svc.pool, kafka_topics, DeadLetterPublisher(producer, "flaky"))
    )
    assert projection.failures_left == 0
    assert await snapshot(svc.pool, svc.prefix) == [(target, 1, "agent 1")]

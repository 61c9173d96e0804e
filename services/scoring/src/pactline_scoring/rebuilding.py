"""Drop the trust-score projection and replay the log from offset 0, in this process, to the
snapshot digest an auditor compares. Run it while the scoring service is stopped (the service's
own projection runner would otherwise keep folding from its old position)."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from pactline_messaging import DeadLetterPublisher, ProjectionRunner, idempotent_producer, open_pool
from pactline_messaging.garbage_collection import COLLECT_EVERY, collection_paused

from .app import SPEC
from .ledger import snapshot_digest, snapshot_document
from .projection import ScoringProjection
from .settings import ScoringSettings
from .store import agent_ids, position, reading, scores_at

REPLAY_MAX_RECORDS = 10_000
REPLAY_MAX_BYTES = 32 * 1024 * 1024
"""Polls of a replay: the agents' rows are written once per poll, so ten thousand events cost
about as many statements as five hundred (the service's own polls) and far fewer rows each."""


@dataclass(frozen=True)
class Snapshot:
    digest: str | None
    log_time: datetime | None
    agents: int


async def snapshot(pool: asyncpg.Pool, settings: ScoringSettings, as_of: datetime | None = None) -> Snapshot:
    """The digest of every agent's score at ``as_of`` (default: the projection's log time)."""
    async with reading(pool) as conn:
        pos = await position(conn)
        when = as_of or pos.log_time
        if when is None:
            return Snapshot(None, None, 0)
        scores = await scores_at(conn, await agent_ids(conn), when, settings.formula())
    return Snapshot(snapshot_digest(snapshot_document(settings.formula(), when, scores)), when, len(scores))


async def drop(settings: ScoringSettings, schema: str = SPEC.schema) -> None:
    """Rows, folded states, stream positions and offsets; what was announced is kept."""
    pool = await open_pool(settings.database_url.get_secret_value(), schema, SPEC.migrations, max_size=1)
    try:
        projection = ScoringProjection(settings.formula(), topics=settings.topics())
        runner = ProjectionRunner(projection, pool, settings.kafka_bootstrap, DeadLetterPublisher(None, SPEC.name))  # type: ignore[arg-type]
        await runner.rebuild()
    finally:
        await pool.close()


async def rebuild(
    settings: ScoringSettings,
    schema: str = SPEC.schema,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[Snapshot, Snapshot]:
    """Drop, replay from offset 0 until caught up; return the snapshots before and after,
    both at the log time reached before the drop (so they are comparable)."""
    pool = await open_pool(settings.database_url.get_secret_value(), schema, SPEC.migrations, max_size=4)
    producer = idempotent_producer(settings.kafka_bootstrap, "pactline-scoring-rebuild")
    await producer.start()
    try:
        before = await snapshot(pool, settings)
        projection = ScoringProjection(settings.formula(), topics=settings.topics())
        runner = replay_runner(
            projection, pool, settings.kafka_bootstrap, DeadLetterPublisher(producer, SPEC.name), producer=SPEC.name
        )
        await runner.rebuild()
        await catch_up(runner, progress)
        after = await snapshot(pool, settings, before.log_time)
    finally:
        await producer.stop()
        await pool.close()
    return before, after


def replay_runner(
    projection: ScoringProjection,
    pool: asyncpg.Pool,
    bootstrap: str,
    dead_letters: DeadLetterPublisher,
    *,
    producer: str = SPEC.name,
) -> ProjectionRunner:
    """A runner that reads the log in large polls (``REPLAY_MAX_RECORDS``)."""
    return ProjectionRunner(
        projection,
        pool,
        bootstrap,
        dead_letters,
        producer=producer,
        max_records=REPLAY_MAX_RECORDS,
        max_bytes=REPLAY_MAX_BYTES,
    )


async def catch_up(runner: ProjectionRunner, progress: Callable[[int, int], None] | None = None) -> None:
    """Start ``runner``, wait until it has folded everything on its topics, stop it (garbage
    collection paused meanwhile: ``pactline_messaging.garbage_collection``)."""
    with collection_paused():
        await runner.start()
        try:
            total = None
            collected_at = 0
            while (left := await runner.lag()) > 0:
                total = total or left
                if progress is not None:
                    progress(total - left, total)
                if runner.folded - collected_at >= COLLECT_EVERY:
                    gc.collect()
                    collected_at = runner.folded
                await asyncio.sleep(0.2)
            if progress is not None and total:
                progress(total, total)
        finally:
            await runner.stop()

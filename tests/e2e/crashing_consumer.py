"""A consumer process for the exactly-once test: it may die right after the database commit.

Usage: python crashing_consumer.py BOOTSTRAP DSN SCHEMA GROUP STREAM_PREFIX CRASH(0|1)
Prints "applied <event_id>" or "duplicate <event_id>" after each commit. With CRASH=1 it exits
with status 3 after the first commit, before the Kafka offset is committed.
"""

from __future__ import annotations

import asyncio
import os
import sys

import asyncpg
from faststream.kafka import KafkaBroker

from pactline_events import AgentRegistered, Envelope
from pactline_messaging import DeadLetterPublisher, EventConsumer, EventHandlers, HandlerContext, idempotent_producer


async def main(bootstrap: str, dsn: str, schema: str, group: str, prefix: str, crash: bool) -> None:
    pool = await asyncpg.create_pool(dsn, server_settings={"search_path": schema})
    producer = idempotent_producer(bootstrap, "crash-test-dlq")
    await producer.start()

    def committed(envelope: Envelope, applied: bool) -> None:
        if not envelope.stream_id.startswith(prefix):
            return
        print(f"{'applied' if applied else 'duplicate'} {envelope.event_id}", flush=True)
        if crash:
            os._exit(3)  # dies between the database commit and the offset commit

    handlers = EventHandlers()

    @handlers.on(AgentRegistered)
    async def record(ctx: HandlerContext, event: Envelope) -> None:
        if event.stream_id.startswith(prefix):
            await ctx.conn.execute(
                "INSERT INTO effects (event_id, stream_id) VALUES ($1, $2)", event.event_id, event.stream_id
            )

    broker = KafkaBroker(bootstrap)
    consumer = EventConsumer(group, pool, DeadLetterPublisher(producer, group), handlers, on_committed=committed)
    consumer.subscribe(broker, group_id=group)
    await broker.start()
    print("started", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    b, d, s, g, p, c = sys.argv[1:7]
    asyncio.run(main(b, d, s, g, p, c == "1"))

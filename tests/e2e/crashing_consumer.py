"""A consumer process for the exactly-once tests: it may die at a chosen point.

Usage: python crashing_consumer.py BOOTSTRAP DSN SCHEMA GROUP STREAM_PREFIX MODE [INSTANCE_ID]
MODE is one of
  0      never crash;
  1      exit with status 3 right after the first database commit, before the Kafka offset
         commit;
  mid-K  exit with status 3 inside the handler of the K-th event of the prefix it handles,
         that is in the middle of a batch's transaction.
Prints "started", "batch <records>" for each poll, and "applied <event_id>" or
"duplicate <event_id>" after each commit. The handler inserts into ``effects`` and, when the
schema has one, appends (event_id, stream_id, stream_seq) to ``applied_log`` (no unique key:
an event applied twice shows up twice). SIGTERM stops the broker, leaving the group cleanly.

With INSTANCE_ID the process is a static member of the group (KIP-345): a process started
with the same id takes over the partitions of one that crashed at once, instead of after
the crashed one's session timeout. Without it, members come and go with rebalances, which
a short heartbeat makes quick.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Sequence

import asyncpg
from aiokafka.structs import ConsumerRecord

from pactline_events import AgentRegistered, Envelope
from pactline_messaging import (
    DeadLetterPublisher,
    EventConsumer,
    EventHandlers,
    HandlerContext,
    idempotent_producer,
    kafka_broker,
)


class ReportingConsumer(EventConsumer):
    async def apply(self, records: Sequence[ConsumerRecord]) -> None:
        print(f"batch {len(records)}", flush=True)
        await super().apply(records)


async def main(bootstrap: str, dsn: str, schema: str, group: str, prefix: str, mode: str, instance: str) -> None:
    pool = await asyncpg.create_pool(dsn, server_settings={"search_path": schema})
    has_log = await pool.fetchval("SELECT to_regclass('applied_log') IS NOT NULL")
    producer = idempotent_producer(bootstrap, "crash-test-dlq")
    await producer.start()
    crash_at = int(mode.removeprefix("mid-")) if mode.startswith("mid-") else 0
    handled = 0

    def committed(envelope: Envelope, applied: bool) -> None:
        if not envelope.stream_id.startswith(prefix):
            return
        print(f"{'applied' if applied else 'duplicate'} {envelope.event_id}", flush=True)
        if mode == "1":
            os._exit(3)  # dies between the database commit and the offset commit

    handlers = EventHandlers()

    @handlers.on(AgentRegistered)
    async def record(ctx: HandlerContext, event: Envelope) -> None:
        nonlocal handled
        if not event.stream_id.startswith(prefix):
            return
        handled += 1
        if handled == crash_at:
            os._exit(3)  # dies with the batch's transaction open: it rolls back entirely
        await ctx.conn.execute(
            "INSERT INTO effects (event_id, stream_id) VALUES ($1, $2)", event.event_id, event.stream_id
        )
        if has_log:
            await ctx.conn.execute(
                "INSERT INTO applied_log (event_id, stream_id, stream_seq) VALUES ($1, $2, $3)",
                event.event_id,
                event.stream_id,
                event.stream_seq,
            )

    broker = kafka_broker(bootstrap, logger=None)
    consumer = ReportingConsumer(group, pool, DeadLetterPublisher(producer, group), handlers, on_committed=committed)
    membership = {"group_instance_id": instance} if instance else {}
    consumer.subscribe(broker, group_id=group, session_timeout_ms=6000, heartbeat_interval_ms=300, **membership)
    await broker.start()
    print("started", flush=True)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    await broker.stop()  # finishes the batch in flight, commits, leaves the group
    await producer.stop()
    await pool.close()


if __name__ == "__main__":
    b, d, s, g, p, m = sys.argv[1:7]
    asyncio.run(main(b, d, s, g, p, m, sys.argv[7] if len(sys.argv) > 7 else ""))

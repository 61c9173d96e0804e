"""The deliberation worker: pending requests in, JuryDeliberated out, exactly once each.

Claim (one short transaction): lease up to N pending requests with FOR UPDATE SKIP LOCKED.
Judge (no transaction): run the panel, requests concurrently, each judge cut at its deadline.
Decide (one transaction): lock the request, and if still pending store every judgment, emit
JuryDeliberated through the outbox and mark it decided. A crash anywhere before that commit
leaves the request pending; its lease runs out and it is judged again. The deliberations
table's primary key allows one JuryDeliberated per request, whatever happens.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from datetime import datetime

import asyncpg

from pactline_events import JuryDeliberated, JuryRequested, utc_now
from pactline_messaging import outbox

from . import metrics, store
from .deliberation import Deliberation, Jury
from .domain import give_up
from .settings import JurySettings

log = logging.getLogger(__name__)
PRODUCER = "jury"


def stream_of(request_id: str) -> str:
    return f"deliberation-{request_id}"


class DeliberationWorker:
    def __init__(
        self, pool: asyncpg.Pool, jury: Jury, settings: JurySettings, *, clock: Callable[[], datetime] = utc_now
    ) -> None:
        self.pool, self.jury, self.settings, self.clock = pool, jury, settings, clock
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._loop: asyncio.Task[None] | None = None
        self._in_flight: set[asyncio.Task[None]] = set()
        self._listener: asyncpg.Connection | None = None

    async def start(self) -> None:
        self._listener = await self.pool.acquire()
        await self._listener.add_listener(store.NOTIFY_CHANNEL, self._notified)
        self._loop = asyncio.create_task(self._run(), name="jury-deliberation-worker")

    async def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._loop is not None:
            await self._loop
        # Unfinished panels are abandoned: their requests stay pending and are judged again.
        for task in self._in_flight:
            task.cancel()
        await asyncio.gather(*self._in_flight, return_exceptions=True)
        await self.jury.caller.aclose()
        if self._listener is not None:
            with contextlib.suppress(OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                await self._listener.remove_listener(store.NOTIFY_CHANNEL, self._notified)
            await self.pool.release(self._listener)

    def _notified(self, *_: object) -> None:
        self._wake.set()

    async def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                await self._fill()
            except (OSError, asyncpg.PostgresError) as exc:  # database away: wait and try again
                log.warning("jury worker cannot claim requests: %s", exc)
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.settings.jury_poll_ms / 1000)

    async def _fill(self) -> None:
        free = self.settings.jury_concurrent_requests - len(self._in_flight)
        if free <= 0:
            return
        async with self.pool.acquire() as conn:
            claimed = await store.claim_pending(conn, batch=free, lease_s=self.settings.jury_lease_s)
            metrics.PENDING.set(await store.count_pending(conn))
        for row in claimed:
            task = asyncio.create_task(self.process(row), name=f"jury-{row['request_id']}")
            self._in_flight.add(task)
            task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._in_flight.discard(task)
        self._wake.set()  # a slot is free

    async def run_until_idle(self) -> int:
        """Claim and judge until nothing is pending (for the CLI and tests); returns how many."""
        done = 0
        while True:
            async with self.pool.acquire() as conn:
                claimed = await store.claim_pending(
                    conn, batch=self.settings.jury_concurrent_requests, lease_s=self.settings.jury_lease_s
                )
            if not claimed:
                return done
            await asyncio.gather(*(self.process(row) for row in claimed))
            done += len(claimed)

    async def process(self, row: asyncpg.Record) -> None:
        request_id = row["request_id"]
        try:
            request = JuryRequested.model_validate(json.loads(row["payload"]))
            deliberation: Deliberation | None = None
            if row["attempts"] > self.settings.jury_max_attempts:
                log.error(
                    "jury gives up on request %s after %d attempts: INCONCLUSIVE", request_id, row["attempts"] - 1
                )
                event = give_up(request, panel=self.jury.panel)
            else:
                async with self.pool.acquire() as conn:
                    benched = await store.benched_judges(conn, {j.judge_id: j.model for j in self.jury.panel.judges})
                deliberation = await self.jury.deliberate(request, benched=benched)
                event = deliberation.event
            await self._decide(row, event, deliberation)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # recorded on the request; it is claimed again (and counted)
            log.exception("jury failed on request %s", request_id)
            async with self.pool.acquire() as conn:
                await store.release_after_error(conn, request_id, f"{type(exc).__name__}: {exc}")

    async def _decide(self, row: asyncpg.Record, event: JuryDeliberated, deliberation: Deliberation | None) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            current = await store.lock_request(conn, row["request_id"])
            if current is None or current["status"] != "pending":
                log.info("request %s was decided meanwhile; this panel's result is dropped", row["request_id"])
                return
            now = self.clock()
            envelope = await outbox.emit(
                conn,
                PRODUCER,
                stream_of(event.request_id),
                event,
                occurred_at=now,
                correlation_id=row["correlation_id"],
                causation_id=row["event_id"],
            )
            await store.store_deliberation(conn, event, deliberation, event_id=envelope.event_id, decided_at=now)

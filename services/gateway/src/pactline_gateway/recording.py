"""Recording calls: each TaskCompleted goes to the outbox, on the gateway's stream for the
acceptance, in the transaction that marks its reserved call recorded (so exactly once).

Calls are finished and recorded even when their buyer hangs up, and shutdown waits for them.
A call its gateway lost (a crash between forwarding and recording) is found by the sweeper
once no call could still be running, and recorded as interrupted: every forwarded call leaves
evidence.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from datetime import timedelta
from typing import Any

import asyncpg

from pactline_events import TaskCompleted, utc_now
from pactline_messaging import outbox
from pactline_messaging.retrying import is_infrastructure_error

from . import domain, store
from .domain import TaskFrame

log = logging.getLogger(__name__)
PRODUCER = "gateway"


def stream_of(acceptance_id: str) -> str:
    return f"gateway-{acceptance_id}"


async def _emit(conn: asyncpg.Connection, frame: TaskFrame, event: TaskCompleted) -> bool:
    now = utc_now()
    if not await store.mark_recorded(conn, frame.task_id, now):
        return False  # the sweeper recorded it meanwhile
    await outbox.emit(conn, PRODUCER, stream_of(frame.acceptance_id), event, occurred_at=now)
    return True


class Recorder:
    def __init__(self, pool: asyncpg.Pool, *, give_up_after_s: float, drain_timeout_s: float = 30.0) -> None:
        self._pool = pool
        self._running: set[asyncio.Task[Any]] = set()
        self._give_up_after_s = give_up_after_s
        self._drain_timeout_s = drain_timeout_s

    async def record(self, frame: TaskFrame, event: TaskCompleted) -> bool:
        """Record ``event``; while the database is unreachable, keep trying until the sweeper
        would take over (then the call is recorded as interrupted)."""
        delay, deadline = 0.1, asyncio.get_running_loop().time() + self._give_up_after_s
        while True:
            try:
                async with self._pool.acquire() as conn, conn.transaction():
                    return await _emit(conn, frame, event)
            except Exception as exc:
                if not is_infrastructure_error(exc) or asyncio.get_running_loop().time() > deadline:
                    log.exception("task %s of %s not recorded", frame.task_id, frame.acceptance_id)
                    return False
                log.warning("recording task %s: %s; retrying", frame.task_id, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    def spawn(self, work: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run ``work`` to its end even if the request that started it is cancelled."""
        task = asyncio.get_running_loop().create_task(work)
        self._running.add(task)
        task.add_done_callback(self._running.discard)
        return task

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        if self._running:
            log.info("waiting for %d calls in flight to be recorded", len(self._running))
            _, pending = await asyncio.wait(set(self._running), timeout=self._drain_timeout_s)
            for task in pending:
                task.cancel()


class LostCallSweeper:
    """Records calls still in flight ``after`` their start as interrupted, every ``every``."""

    def __init__(self, pool: asyncpg.Pool, *, after: timedelta, every_s: float, batch: int = 100) -> None:
        self._pool = pool
        self._after = after
        self._every_s = every_s
        self._batch = batch
        self._task: asyncio.Task[None] | None = None

    async def sweep(self) -> int:
        """One pass; the number of lost calls recorded."""
        now = utc_now()
        async with self._pool.acquire() as conn, conn.transaction():
            lost = await store.lost_calls(conn, now - self._after, self._batch)
            for frame, started_at in lost:
                await _emit(conn, frame, domain.interrupted(frame, started_at, now))
        if lost:
            log.warning("recorded %d calls lost by a stopped gateway as interrupted", len(lost))
        return len(lost)

    async def _loop(self) -> None:
        while True:
            try:
                while await self.sweep() == self._batch:
                    pass
            except Exception as exc:
                if not is_infrastructure_error(exc):
                    log.exception("sweeping lost calls failed")
            await asyncio.sleep(self._every_s)

    async def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

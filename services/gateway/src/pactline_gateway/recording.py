"""Recording measured calls: the task row and its TaskCompleted in one transaction, on the
gateway's stream for the acceptance. Calls whose buyer went away are finished and recorded
anyway (the evidence does not depend on the buyer staying), and shutdown waits for them."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

import asyncpg

from pactline_events import Envelope, TaskCompleted, utc_now
from pactline_messaging import outbox

from . import store
from .domain import Admission

log = logging.getLogger(__name__)
PRODUCER = "gateway"


def stream_of(acceptance_id: str) -> str:
    return f"gateway-{acceptance_id}"


class Recorder:
    def __init__(self, pool: asyncpg.Pool, *, drain_timeout_s: float = 30.0) -> None:
        self._pool = pool
        self._running: set[asyncio.Task[Any]] = set()
        self._drain_timeout_s = drain_timeout_s

    async def record(self, admission: Admission, event: TaskCompleted) -> Envelope:
        async with self._pool.acquire() as conn, conn.transaction():
            await store.insert_task(
                conn,
                admission.task_id,
                admission.acceptance.acceptance_id,
                admission.idempotency_key,
                admission.escrow_job_id,
                utc_now(),
            )
            return await outbox.emit(
                conn, PRODUCER, stream_of(admission.acceptance.acceptance_id), event, occurred_at=utc_now()
            )

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

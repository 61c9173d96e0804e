"""The signer lease: exactly one replica signs for a (chain, evaluator address) at a time.

A session-level Postgres advisory lock held on a dedicated connection. The holder also writes
the journal on that same connection, so a replica that lost the lock (its session ended) can
record nothing and therefore send nothing new: recording comes before sending. The others
stand by and try again every few seconds; when the holder dies, its session ends and the lock
is free.
"""

from __future__ import annotations

import hashlib
import logging

import asyncpg

log = logging.getLogger(__name__)


def lease_key(chain_id: int, signer: str) -> int:
    """A stable signed 64-bit key for pg_advisory_lock, from the chain and the signer."""
    digest = hashlib.sha256(f"pactline-settlement-signer:{chain_id}:{signer.lower()}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class LeaseLost(RuntimeError):
    pass


class SignerLease:
    def __init__(self, dsn: str, schema: str, key: int) -> None:
        self._dsn = dsn
        self._schema = schema
        self.key = key
        self.conn: asyncpg.Connection | None = None

    async def try_acquire(self) -> bool:
        if self.conn is None or self.conn.is_closed():
            self.conn = await asyncpg.connect(self._dsn, server_settings={"search_path": self._schema})
        if await self.conn.fetchval("SELECT pg_try_advisory_lock($1)", self.key):
            return True
        await self.release()
        return False

    async def check(self) -> asyncpg.Connection:
        """The lease connection, after proving the lock is still ours; raises LeaseLost."""
        if self.conn is None or self.conn.is_closed():
            raise LeaseLost("the lease connection is gone")
        try:
            held = await self.conn.fetchval(
                """SELECT count(*) > 0 FROM pg_locks
                   WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted AND objsubid = 1
                     AND ((classid::bigint << 32) | objid::bigint) = $1""",
                self.key,
            )
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
            raise LeaseLost(f"the lease connection failed: {exc}") from exc
        if not held:
            raise LeaseLost("the advisory lock is no longer held")
        return self.conn

    async def release(self) -> None:
        if self.conn is not None and not self.conn.is_closed():
            await self.conn.close()
        self.conn = None

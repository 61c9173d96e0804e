"""Claims under a lane lock: a second claimer waits for the first and then skips what it committed."""

from __future__ import annotations

import asyncio
from uuid import uuid4

import pytest

from pactline_messaging import inbox, open_pool
from waiting import wait_for

pytestmark = pytest.mark.infra


async def test_a_claim_waiting_for_the_lane_lock_skips_what_the_holder_committed(database_url, db_schema):
    pool = await open_pool(database_url, db_schema)
    first, second = uuid4(), uuid4()
    try:
        async with pool.acquire() as holder, pool.acquire() as waiter:
            holder_tx = holder.transaction()
            await holder_tx.start()
            assert await inbox.claim_many_locked(holder, "svc", [first], ["svc/t/0/3"]) == {first}

            async def claim_behind() -> set:
                async with waiter.transaction():
                    return await inbox.claim_many_locked(waiter, "svc", [first, second], ["svc/t/0/3", "svc/t/1/0"])

            behind = asyncio.create_task(claim_behind())
            waiting_pid = waiter.get_server_pid()
            await wait_for(
                lambda: pool.fetchval(
                    "SELECT count(*) > 0 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND pid = $1",
                    waiting_pid,
                ),
                what="the second claim to wait for the lane lock",
            )
            assert not behind.done()
            await holder_tx.commit()
            assert await asyncio.wait_for(behind, 10) == {second}
        assert await pool.fetchval("SELECT count(*) FROM processed_events") == 2
    finally:
        await pool.close()


async def test_claims_on_other_lanes_do_not_wait(database_url, db_schema):
    pool = await open_pool(database_url, db_schema)
    try:
        async with pool.acquire() as a, pool.acquire() as b, a.transaction(), b.transaction():
            assert await inbox.claim_many_locked(a, "svc", [uuid4()], ["svc/t/0/1"])
            assert await asyncio.wait_for(inbox.claim_many_locked(b, "svc", [uuid4()], ["svc/t/0/2"]), 5)
    finally:
        await pool.close()

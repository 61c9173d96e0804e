"""Advisory locks on text keys: what another transaction sees while they are held."""

from __future__ import annotations

import pytest

from pactline_messaging import advisory_locks, open_pool

TRY_LOCK = "SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0))"


async def test_a_held_key_is_locked_for_others_until_commit_and_other_keys_are_free(database_url, db_schema):
    pool = await open_pool(database_url, db_schema)
    try:
        async with pool.acquire() as holder, pool.acquire() as other:
            async with holder.transaction():
                await advisory_locks.lock_keys(holder, ["acceptance/a", "acceptance/b", "acceptance/a"])
                async with other.transaction():
                    assert await other.fetchval(TRY_LOCK, "acceptance/a") is False
                    assert await other.fetchval(TRY_LOCK, "acceptance/b") is False
                    assert await other.fetchval(TRY_LOCK, "acceptance/c") is True
            async with other.transaction():
                assert await other.fetchval(TRY_LOCK, "acceptance/a") is True
    finally:
        await pool.close()


async def test_locks_outside_a_transaction_are_refused(database_url, db_schema):
    pool = await open_pool(database_url, db_schema)
    try:
        async with pool.acquire() as conn:
            with pytest.raises(RuntimeError, match="inside a transaction"):
                await advisory_locks.lock_keys(conn, ["acceptance/a"])
    finally:
        await pool.close()

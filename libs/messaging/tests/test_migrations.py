"""Numbered migrations: applied once, in order, refused when renamed, gapped or edited."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest

from pactline_messaging import migrations
from pactline_messaging.migrations import MigrationError


def write(directory: Path, files: dict[str, str]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, sql in files.items():
        (directory / name).write_text(sql)
    return directory


def test_badly_named_files_are_refused(tmp_path):
    write(tmp_path, {"0001_ok.sql": "SELECT 1;", "2_bad.sql": "SELECT 1;"})
    with pytest.raises(MigrationError, match="NNNN_snake_case"):
        migrations.load("svc", tmp_path)


def test_gaps_in_versions_are_refused(tmp_path):
    write(tmp_path, {"0001_a.sql": "SELECT 1;", "0003_c.sql": "SELECT 1;"})
    with pytest.raises(MigrationError, match="without gaps"):
        migrations.load("svc", tmp_path)


@pytest.mark.parametrize("name", ["Bad", "1abc", "drop table", "a" * 64])
def test_schema_names_are_checked_before_reaching_sql(name):
    with pytest.raises(MigrationError, match="schema name"):
        migrations.check_schema_name(name)


@pytest.mark.infra
async def test_apply_is_idempotent_and_refuses_edited_migrations(database_url, db_schema, tmp_path):
    own = write(tmp_path / "m", {"0001_things.sql": "CREATE TABLE things (id int PRIMARY KEY);"})
    sources = [("messaging", migrations.MESSAGING_MIGRATIONS), ("svc", own)]
    conn = await asyncpg.connect(database_url)
    try:
        first = await migrations.apply(conn, db_schema, sources)
        assert first == [
            "messaging/0001_messaging.sql",
            "messaging/0002_projection_states.sql",
            "messaging/0003_outbox_lanes.sql",
            "messaging/0004_outbox_lz4.sql",
            "svc/0001_things.sql",
        ]
        assert await migrations.apply(conn, db_schema, sources) == []
        tables = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY 1", db_schema)
        assert {
            "outbox",
            "processed_events",
            "projection_checkpoints",
            "projection_states",
            "projection_streams",
            "event_streams",
            "things",
        } <= {r["tablename"] for r in tables}

        write(own, {"0002_more.sql": "ALTER TABLE things ADD COLUMN name text;"})
        assert await migrations.apply(conn, db_schema, sources) == ["svc/0002_more.sql"]

        write(own, {"0001_things.sql": "CREATE TABLE things (id bigint PRIMARY KEY);"})
        with pytest.raises(MigrationError, match="changed after it was applied"):
            await migrations.apply(conn, db_schema, sources)
    finally:
        await conn.close()


@pytest.mark.infra
async def test_outbox_append_outside_a_transaction_is_refused(database_url, db_schema):
    from uuid import uuid4

    from pactline_events import AgentRegistered, PendingEvent, new_event_id, utc_now
    from pactline_messaging import open_pool, outbox

    pool = await open_pool(database_url, db_schema)
    try:
        pending = PendingEvent(
            event_id=new_event_id(),
            occurred_at=utc_now(),
            stream_id="agent-x",
            correlation_id=uuid4(),
            payload=AgentRegistered(
                agent_id="x", name="x", operator_id="o", operator_address="0x" + "1" * 40, model_family="meta"
            ),
        )
        async with pool.acquire() as conn:
            with pytest.raises(RuntimeError, match="inside the state change's transaction"):
                await outbox.append(conn, pending, producer="test")
        assert await pool.fetchval("SELECT count(*) FROM outbox") == 0
    finally:
        await pool.close()


async def test_outbox_values_are_lz4_compressed(database_url, db_schema):
    """The local PostgreSQL (Debian's) has lz4: the migration sets it on the outbox values."""
    conn = await asyncpg.connect(database_url)
    try:
        await migrations.apply(conn, db_schema, [("messaging", migrations.MESSAGING_MIGRATIONS)])
        method = await conn.fetchval(
            """SELECT attcompression FROM pg_attribute
               WHERE attrelid = ($1 || '.outbox')::regclass AND attname = 'value'""",
            db_schema,
        )
        assert method == b"l"  # "char": l is lz4, p pglz
    finally:
        await conn.close()

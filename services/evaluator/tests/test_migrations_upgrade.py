"""Upgrading a store written before tasks' text was dropped on decision (migrations 0004, 0005):
a decided row's text goes, an undecided row's stays, and the check then holds for every row."""

from __future__ import annotations

import shutil
import uuid
from datetime import UTC, datetime

import asyncpg
import pytest

from pactline_evaluator.app import SPEC
from pactline_messaging import migrations

pytestmark = pytest.mark.infra

ROW = """INSERT INTO evaluations (task_id, acceptance_id, task, task_event_id, task_correlation_id, completed_at,
                                  status)
         VALUES ($1, 'acc-1', '{"task_id": "old"}', $2, $2, $3, $4)"""


async def test_rows_decided_before_the_upgrade_lose_their_text_and_the_check_is_validated(
    database_url, db_schema, tmp_path
):
    before = tmp_path / "before"
    before.mkdir()
    for path in sorted(SPEC.migrations.glob("*.sql"))[:3]:  # the store as 0003 left it
        shutil.copy(path, before)
    conn = await asyncpg.connect(database_url)
    try:
        await migrations.apply(conn, db_schema, [("messaging", migrations.MESSAGING_MIGRATIONS), (db_schema, before)])
        await conn.execute(f"SET search_path TO {db_schema}")
        now = datetime.now(UTC)
        for task_id, status in (("decided-1", "decided"), ("waiting-1", "awaiting_jury"), ("parked-1", "parked")):
            await conn.execute(ROW, task_id, uuid.uuid4(), now, status)

        applied = await migrations.apply(
            conn, db_schema, [("messaging", migrations.MESSAGING_MIGRATIONS), (db_schema, SPEC.migrations)]
        )
        assert applied == [
            f"{db_schema}/0004_task_text_while_undecided.sql",
            f"{db_schema}/0005_no_text_on_decided_rows.sql",
        ]
        await conn.execute(f"SET search_path TO {db_schema}")
        texts = dict(await conn.fetch("SELECT task_id, task FROM evaluations"))
        assert texts == {"decided-1": None, "waiting-1": '{"task_id": "old"}', "parked-1": '{"task_id": "old"}'}
        validated = await conn.fetchval(
            "SELECT convalidated FROM pg_constraint WHERE conname = 'evaluations_text_while_undecided'"
            " AND connamespace = $1::regnamespace",
            db_schema,
        )
        assert validated is True
        with pytest.raises(asyncpg.CheckViolationError):
            await conn.execute(ROW, "decided-2", uuid.uuid4(), now, "decided")
    finally:
        await conn.close()

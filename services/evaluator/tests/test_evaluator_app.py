"""The evaluator service starts on the shared runtime against the real broker and database."""

from __future__ import annotations

import pytest

from pactline_evaluator.app import SPEC
from service_probe import ready_body


def test_spec_names_its_own_schema_and_port():
    assert (SPEC.name, SPEC.schema, SPEC.port) == ("evaluator", "evaluator", 8102)


@pytest.mark.infra
async def test_starts_and_is_ready(database_url, kafka_topics, db_schema):
    body = await ready_body(SPEC, database_url, kafka_topics, db_schema)
    assert body == {"status": "ready", "service": "evaluator", "checks": {"database": "ok", "broker": "ok"}}

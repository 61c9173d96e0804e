"""End to end over the real Kafka, Postgres and anvil: the registry issues API keys, the
evaluator learns them from the log (never asking the registry), and the task's buyer and the
agent's operator read its verdict with their own registry keys; nobody else does, and a key
revoked at the registry stops working at the evaluator once the revocation is read."""

from __future__ import annotations

import dataclasses

import asyncpg
import httpx
import pytest

from pactline_evaluator.app import SPEC as EVALUATOR
from pactline_evaluator.settings import EvaluatorSettings
from pactline_events.topics import ACCEPTANCES, IDENTITIES, JURY_DELIBERATIONS
from pactline_registry.app import SPEC as REGISTRY
from pactline_service import build_app
from registry_chain import registry_chain  # noqa: F401 - the escrow deployment the registry checks
from registry_testkit import Registry, auth, registry_settings, task_body
from topic_reader import start_group_at_end
from waiting import wait_for

pytestmark = pytest.mark.infra
PEPPER = "test-pepper"  # the registry test kit's
# Checks only, so the evaluator decides at once.
CHECKS_ONLY = {
    "format": "pactline.pact/v1",
    "name": "bounded-answers",
    "version": 1,
    "title": "Bounded answers",
    "clauses": [
        {"id": "bounded", "kind": "length_bounds", "severity": "must", "weight": 100,
         "dimension": "format_compliance", "max": 100_000},
    ],
    "pass_rule": {"threshold": "1"},
    "dispute_window_seconds": 86_400,
    "escrow": {"modes": ["per_task", "aggregate"], "min_task_price": 10_000},
}  # fmt: skip


async def test_parties_read_their_verdict_with_their_registry_keys(
    database_url,
    kafka_topics,
    db_schema,
    registry_chain,  # noqa: F811
):
    for topic in (IDENTITIES, ACCEPTANCES, JURY_DELIBERATIONS):  # this test's events only
        await start_group_at_end(kafka_topics, EVALUATOR.name, topic)
    registry_app = build_app(
        dataclasses.replace(REGISTRY, schema=f"{db_schema}_reg"),
        registry_settings(database_url, kafka_topics, registry_chain, registry_key_pepper=PEPPER),
    )
    evaluator_app = build_app(
        dataclasses.replace(EVALUATOR, schema=f"{db_schema}_ev"),
        EvaluatorSettings(
            database_url=database_url, kafka_bootstrap=kafka_topics, log_format="text", registry_key_pepper=PEPPER
        ),
    )
    try:
        async with (
            registry_app.router.lifespan_context(registry_app),
            evaluator_app.router.lifespan_context(evaluator_app),
            httpx.AsyncClient(transport=httpx.ASGITransport(registry_app), base_url="http://registry") as client,
            httpx.AsyncClient(transport=httpx.ASGITransport(evaluator_app), base_url="http://evaluator") as verdicts,
        ):
            registry = Registry(registry_app, client, registry_chain)
            _, op_key = await registry.principal("operator")
            buyer_id, buyer_key = await registry.principal("buyer")
            _, stranger_key = await registry.principal("buyer", name="stranger")
            agent_id = await registry.agent(op_key)
            published = await client.post(f"/v1/agents/{agent_id}/pacts", json=CHECKS_ONLY, headers=auth(op_key))
            assert published.status_code == 201, published.text
            acceptance = await registry.accept(buyer_key, published.json()["pact_id"])
            task = await client.post(
                f"/v1/acceptances/{acceptance['acceptance_id']}/tasks",
                json=task_body(job=await registry.job(acceptance)),
                headers=auth(buyer_key),
            )
            assert task.status_code == 201, task.text
            task_id = task.json()["task_id"]
            evaluator = evaluator_app.state.service

            async def answer(key: str) -> httpx.Response | None:
                response = await verdicts.get(f"/v1/verdicts/{task_id}", headers=auth(key))
                return response if response.status_code != 404 or "pending" in response.text else None

            await wait_for(
                lambda: evaluator.pool.fetchval("SELECT count(*) = 1 FROM verdicts WHERE task_id = $1", task_id),
                timeout=60,
                what="the verdict",
            )
            mine = await wait_for(lambda: answer(buyer_key), timeout=60, what="the buyer's key at the evaluator")
            assert mine.status_code == 200, mine.text
            assert mine.json()["verdict"]["task_id"] == task_id
            assert (await verdicts.get(f"/v1/verdicts/{task_id}", headers=auth(op_key))).status_code == 200
            theirs = await verdicts.get(f"/v1/verdicts/{task_id}", headers=auth(stranger_key))
            assert (theirs.status_code, theirs.json()["error"]["code"]) == (404, "verdict_not_found")
            assert buyer_id not in theirs.text

            key_id = buyer_key.removeprefix("pl_live_")[:16]
            assert (await client.post(f"/v1/keys/{key_id}/revoke", headers=auth(buyer_key))).status_code == 200

            async def refused() -> httpx.Response | None:
                response = await verdicts.get(f"/v1/verdicts/{task_id}", headers=auth(buyer_key))
                return response if response.status_code == 401 else None

            revoked = await wait_for(refused, timeout=60, what="the revocation to reach the evaluator")
            assert revoked.json()["error"]["code"] == "api_key_revoked"
    finally:
        conn = await asyncpg.connect(database_url)
        try:
            for schema in (f"{db_schema}_reg", f"{db_schema}_ev"):
                await conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        finally:
            await conn.close()

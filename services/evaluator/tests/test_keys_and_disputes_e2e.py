"""The evaluator against the real Kafka and Postgres: its read API authenticates callers with the
API keys the registry announces (ApiKeyIssued / ApiKeyRevoked, folded from the log), and a
provider's dispute counts when it reaches the evaluator before the verdict, not after."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import uuid
from datetime import timedelta

import httpx
import pytest

from evaluator_testkit import accepted, completed, deterministic, rubric
from pactline_evaluator.app import SPEC
from pactline_evaluator.domain import jury_request_id
from pactline_evaluator.settings import EvaluatorSettings
from pactline_events import ApiKeyIssued, ApiKeyRevoked, JuryDeliberated, RubricResult, TaskDisputed, utc_now
from pactline_events.topics import ACCEPTANCES, IDENTITIES, JURY_DELIBERATIONS
from pactline_identities import generate
from pactline_messaging import OutboxRelay, idempotent_producer, open_pool, outbox
from pactline_service import build_app
from topic_reader import start_group_at_end
from waiting import wait_for

pytestmark = pytest.mark.infra
PEPPER = "evaluator-test-pepper"


@pytest.fixture
async def log(database_url, kafka_topics, db_schema):
    """Publishes events as their producers would (outbox, relay, Kafka), from a schema of its own."""
    for topic in (ACCEPTANCES, JURY_DELIBERATIONS, IDENTITIES):
        await start_group_at_end(kafka_topics, SPEC.name, topic)
    source = await open_pool(database_url, f"{db_schema}_src")
    producer = idempotent_producer(kafka_topics, f"e2e-{uuid.uuid4().hex[:8]}")
    await producer.start()
    relay = OutboxRelay(source, producer)

    async def publish(stream: str, payload, producer_name="pact-registry", when=None):
        async with source.acquire() as conn, conn.transaction():
            envelope = await outbox.emit(conn, producer_name, stream, payload, occurred_at=when or utc_now())
        await relay.publish_pending()
        return envelope

    yield publish
    await producer.stop()
    async with source.acquire() as conn:
        await conn.execute(f"DROP SCHEMA IF EXISTS {db_schema}_src CASCADE")
    await source.close()


@pytest.fixture
async def evaluator(database_url, kafka_topics, db_schema):
    settings = EvaluatorSettings(
        database_url=database_url, kafka_bootstrap=kafka_topics, log_format="text", registry_key_pepper=PEPPER
    )
    app = build_app(dataclasses.replace(SPEC, schema=db_schema), settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://evaluator") as http,
    ):
        yield app.state.service, http


async def _issue(log, principal_id: str, role: str, scopes: tuple[str, ...]) -> str:
    key = generate()
    key_hmac = hmac.new(PEPPER.encode(), key.secret.encode(), hashlib.sha256).hexdigest()
    issued = ApiKeyIssued(key_id=key.key_id, principal_id=principal_id, role=role, scopes=scopes, key_hmac=key_hmac)
    await log(f"principal-{principal_id}", issued)
    return key.secret


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def test_the_read_api_knows_the_keys_the_registry_announced(log, evaluator):
    service, http = evaluator
    run = uuid.uuid4().hex[:8]
    buyer = await _issue(log, "buyer-1", "buyer", ("read", "tasks:write"))
    stranger = await _issue(log, "buyer-2", "buyer", ("read",))
    write_only = await _issue(log, "buyer-1", "buyer", ("tasks:write",))
    auditor = await _issue(log, f"aud-{run}", "auditor", ("read",))
    revoked = await _issue(log, "buyer-1", "buyer", ("read",))
    revoked_id = revoked.removeprefix("pl_live_")[:16]
    await log("principal-buyer-1", ApiKeyRevoked(key_id=revoked_id, principal_id="buyer-1", revoked_by="buyer-1"))
    pact = accepted(
        [deterministic("cites-order", "regex_required", 100, pattern="#[0-9]+")], acceptance_id=f"acc-{run}"
    )
    await log(f"acceptance-{pact.acceptance_id}", pact)
    task_id = f"tsk-{run}"
    await log(
        f"acceptance-{pact.acceptance_id}", completed("order #1", task_id=task_id, acceptance_id=pact.acceptance_id)
    )
    await wait_for(
        lambda: service.pool.fetchval(
            "SELECT (SELECT count(*) FROM verdicts WHERE task_id = $1) = 1 AND "
            "(SELECT count(*) FROM api_keys WHERE revoked) = 1",
            task_id,
        ),
        what="the verdict and the revocation",
    )

    async def get(key: str | None) -> httpx.Response:
        return await http.get(f"/v1/verdicts/{task_id}", headers=bearer(key) if key else {})

    mine = await get(buyer)
    assert mine.status_code == 200, mine.text
    assert mine.json()["verdict"]["outcome"] == "PASS"
    assert (await get(auditor)).status_code == 200
    answers = {
        "stranger": await get(stranger),
        "write_only": await get(write_only),
        "revoked": await get(revoked),
        "wrong secret": await get(buyer[:-3] + "xyz"),
        "unknown key": await get("pl_live_0123456789abcdef_" + "x" * 43),
        "no key": await get(None),
    }
    got = {name: (a.status_code, a.json()["error"]["code"]) for name, a in answers.items()}
    assert got == {
        "stranger": (404, "verdict_not_found"),
        "write_only": (403, "missing_scope"),
        "revoked": (401, "api_key_revoked"),
        "wrong secret": (401, "invalid_api_key"),
        "unknown key": (401, "invalid_api_key"),
        "no key": (401, "missing_api_key"),
    }


async def test_a_dispute_counts_before_the_verdict_and_not_after(log, evaluator):
    service, _ = evaluator
    run = uuid.uuid4().hex[:8]
    # A pact with a rubric (the verdict waits for the jury) and one with checks only (at once).
    judged = accepted(
        [deterministic("fast", "max_latency_ms", 50, limit_ms=500), rubric("helpful", 50)],
        acceptance_id=f"acc-j-{run}",
    )
    quick = accepted([deterministic("fast", "max_latency_ms", 100, limit_ms=500)], acceptance_id=f"acc-q-{run}")
    t_j, t_q = f"tsk-j-{run}", f"tsk-q-{run}"
    for pact, task_id in ((judged, t_j), (quick, t_q)):
        await log(f"acceptance-{pact.acceptance_id}", pact)
        await log(
            f"acceptance-{pact.acceptance_id}", completed("ok", task_id=task_id, acceptance_id=pact.acceptance_id)
        )

    async def status(task_id: str) -> str | None:
        return await service.pool.fetchval("SELECT status FROM evaluations WHERE task_id = $1", task_id)

    await wait_for(lambda: _is(status(t_j), "awaiting_jury"), what="the jury request")
    await wait_for(lambda: _is(status(t_q), "decided"), what="the checks-only verdict")

    def dispute(pact, task_id: str) -> TaskDisputed:
        return TaskDisputed(
            task_id=task_id, acceptance_id=pact.acceptance_id, agent_id="agt-1", disputed_by="op-1", reason="no"
        )

    # The provider disputes both reports; then the jury answers the first.
    disputed = await log(f"acceptance-{judged.acceptance_id}", dispute(judged, t_j))
    await log(f"acceptance-{quick.acceptance_id}", dispute(quick, t_q))
    await wait_for(
        lambda: service.pool.fetchval("SELECT count(*) = 2 FROM disputes WHERE task_id = ANY($1)", [t_j, t_q]),
        what="both disputes recorded",
    )
    answer = JuryDeliberated(
        request_id=jury_request_id(t_j),
        task_id=t_j,
        acceptance_id=judged.acceptance_id,
        panel_version="panel-test",
        results=(RubricResult(clause_id="helpful", outcome="PASS", score="0.9", judgments=()),),
    )
    await log(f"deliberation-{t_j}", answer, "jury", disputed.occurred_at + timedelta(seconds=1))
    await wait_for(lambda: _is(status(t_j), "decided"), what="the verdict after the jury's answer")

    verdicts = {
        r["task_id"]: r["payload"]
        for r in await service.pool.fetch("SELECT task_id, payload FROM verdicts WHERE task_id = ANY($1)", [t_j, t_q])
    }
    fast_j = _clause(verdicts[t_j], "fast")
    assert fast_j["outcome"] == "INCONCLUSIVE"  # the latency of 100 ms passes, but the report is disputed
    assert "disputed" in fast_j["detail"]
    assert _clause(verdicts[t_q], "fast")["outcome"] == "PASS"  # decided before the dispute came: it stands
    dispositions = {
        r["task_id"]: r["disposition"]
        for r in await service.pool.fetch(
            "SELECT task_id, disposition FROM disputes WHERE task_id = ANY($1)", [t_j, t_q]
        )
    }
    assert dispositions == {t_j: "applied", t_q: "after_verdict"}


async def _is(value, expected) -> bool:
    return (await value) == expected


def _clause(payload: str, clause_id: str) -> dict:
    (found,) = [c for c in json.loads(payload)["clause_results"] if c["clause_id"] == clause_id]
    return found

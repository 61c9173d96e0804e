"""Evidence nobody can fake (issue 10), end to end against the real Kafka and Postgres, with the
registry and the gateway running as services and the SIMULATED agents answering over real HTTP:

- a buyer's call through the gateway produces a TaskCompleted measured by the platform, which
  the buyer could not influence;
- a buyer-only report with an absurd latency is disputed by the provider inside the window, and
  the log carries the dispute next to the report (the evaluator then counts the report's
  measured clauses INCONCLUSIVE instead of FAIL: docs/evaluation.md, "Evidence provenance");
- a pact requiring gateway measurement refuses a buyer's report; a countersigned report carries
  a signature an auditor can check from the event alone.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
import yaml

from gateway_testkit import SLOPPY_DELAY_MS, gateway_settings
from live_server import serving
from pactline_evaluator.app import SPEC as EVALUATOR
from pactline_evaluator.settings import EvaluatorSettings
from pactline_events import Provenance, decode, verify_chain
from pactline_events.topics import ACCEPTANCES, AGENTS, IDENTITIES, JURY_DELIBERATIONS
from pactline_evidence import TaskReport, countersign, recover_signer
from pactline_gateway import simulated_agents
from pactline_gateway.app import SPEC as GATEWAY
from pactline_messaging.log_reader import read_stream
from pactline_registry.app import SPEC as REGISTRY
from pactline_service import build_app
from registry_chain import registry_chain  # noqa: F401 - the escrow deployment the registry checks
from registry_testkit import EXAMPLES, Registry, auth, registry_settings, task_body
from topic_reader import start_group_at_end
from waiting import wait_for

pytestmark = pytest.mark.infra

# anvil's account #1, a well-known test key: the agent's operator, who countersigns.
PROVIDER_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
PROVIDER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
PROMPT = "My order 1234 has not arrived. Where is it?"


@dataclasses.dataclass
class Platform:
    registry: Registry
    gateway_url: str
    gateway_app: object
    agents_url: str

    async def gateway_knows(self, acceptance_id: str, agent_id: str) -> None:
        pool = self.gateway_app.state.service.pool
        await wait_for(
            lambda: pool.fetchval(
                "SELECT count(*) = 2 FROM (SELECT 1 FROM acceptances WHERE acceptance_id = $1 "
                "UNION ALL SELECT 1 FROM agent_endpoints WHERE agent_id = $2) known",
                acceptance_id,
                agent_id,
            ),
            timeout=60,
            what="the gateway to learn the acceptance and the endpoint from the log",
        )


@pytest.fixture
async def platform(database_url, kafka_topics, db_schema, registry_chain) -> AsyncIterator[Platform]:  # noqa: F811
    for topic in (IDENTITIES, ACCEPTANCES, AGENTS):  # this test's events only, not the whole log
        await start_group_at_end(kafka_topics, GATEWAY.name, topic)
    registry_app = build_app(
        dataclasses.replace(REGISTRY, schema=f"{db_schema}_reg"),
        registry_settings(database_url, kafka_topics, registry_chain),
    )
    gateway_app = build_app(
        dataclasses.replace(GATEWAY, schema=f"{db_schema}_gw"), gateway_settings(database_url, kafka_topics)
    )
    agents = simulated_agents.create_app(sloppy_delay_ms=SLOPPY_DELAY_MS)
    async with (
        registry_app.router.lifespan_context(registry_app),
        httpx.AsyncClient(transport=httpx.ASGITransport(registry_app), base_url="http://registry") as client,
        serving(gateway_app) as gateway_url,
        serving(agents, lifespan="off") as agents_url,
    ):
        yield Platform(Registry(registry_app, client, registry_chain), gateway_url, gateway_app, agents_url)
    conn = await asyncpg.connect(database_url)
    try:
        for schema in (f"{db_schema}_reg", f"{db_schema}_gw"):
            await conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    finally:
        await conn.close()


async def _agent_with_pact(
    platform: Platform, behaviour: str, evidence: dict | None, document: dict | None = None
) -> tuple[str, str, str]:
    """(operator_key, agent_id, pact_id): the operator's agent answers as ``behaviour``."""
    registry = platform.registry
    _, op_key = await registry.principal("operator", address=PROVIDER)
    agent_id = await registry.agent(op_key)
    endpoint = await registry.client.post(
        f"/v1/agents/{agent_id}/endpoint",
        json={"base_url": f"{platform.agents_url}/agents/{behaviour}/v1"},
        headers=auth(op_key),
    )
    assert endpoint.status_code == 200, endpoint.text
    document = yaml.safe_load((EXAMPLES / "customer-support.yaml").read_text()) if document is None else document
    if evidence:
        document["evidence"] = evidence
    published = await registry.client.post(f"/v1/agents/{agent_id}/pacts", json=document, headers=auth(op_key))
    assert published.status_code == 201, published.text
    return op_key, agent_id, published.json()["pact_id"]


async def test_a_call_through_the_gateway_is_evidence_the_buyer_could_not_influence(platform, kafka_topics):
    registry = platform.registry
    _, agent_id, pact_id = await _agent_with_pact(platform, "sloppy", {"measured_by": "gateway"})
    _, buyer_key = await registry.principal("buyer")
    acceptance = await registry.accept(buyer_key, pact_id, mode="aggregate", pool_size=6_000_000, price_per_task=60_000)
    acc_id = acceptance["acceptance_id"]

    # The pact requires gateway measurement: the buyer's own report is refused, nothing changes.
    report = await registry.client.post(
        f"/v1/acceptances/{acc_id}/tasks", json=task_body("r-1", job=None, latency_ms=10**12), headers=auth(buyer_key)
    )
    assert report.status_code == 422
    assert report.json()["error"]["code"] == "gateway_measurement_required"

    # Through the gateway instead, with a buyer trying to slip in its own figures.
    await platform.gateway_knows(acc_id, agent_id)
    async with httpx.AsyncClient(base_url=platform.gateway_url, timeout=30) as http:
        response = await http.post(
            f"/v1/acceptances/{acc_id}/chat/completions",
            json={
                "model": "force:missed_format",
                "messages": [{"role": "user", "content": PROMPT}],
                "latency_ms": 10**12,
                "usage": {"completion_tokens": 10**9},
            },
            headers=auth(buyer_key),
        )
    assert response.status_code == 200, response.text
    task_id = response.headers["x-pactline-task-id"]

    stream = f"gateway-{acc_id}"
    raw = await wait_for(lambda: read_stream(kafka_topics, ACCEPTANCES, stream), timeout=60, what="TaskCompleted")
    assert verify_chain(raw).heads[stream].seq == 1
    event = decode(raw[0])
    task = event.payload
    assert (event.producer, task.task_id, task.provenance) == ("gateway", task_id, Provenance.GATEWAY)
    assert SLOPPY_DELAY_MS <= task.latency_ms < 10**12
    assert task.output == simulated_agents.answer("sloppy", PROMPT, "force:missed_format")
    assert task.output_tokens == response.json()["usage"]["completion_tokens"] < 10**9
    assert task.cost == 60_000  # the acceptance's price, not a figure anyone reported
    assert (task.pact_id, task.agent_id, task.acceptance_id) == (pact_id, agent_id, acc_id)


async def test_a_disputed_buyer_only_report_and_a_countersigned_one_on_the_log(platform, kafka_topics):
    registry = platform.registry
    op_key, _, pact_id = await _agent_with_pact(platform, "reliable", None)
    _, buyer_key = await registry.principal("buyer")
    acceptance = await registry.accept(buyer_key, pact_id)
    acc_id = acceptance["acceptance_id"]

    # The buyer alone reports an absurd latency; the provider disputes it inside the window.
    absurd = await registry.client.post(
        f"/v1/acceptances/{acc_id}/tasks",
        json=task_body("absurd", job=await registry.job(acceptance), latency_ms=10**12),
        headers=auth(buyer_key),
    )
    assert absurd.status_code == 201, absurd.text
    disputed = await registry.client.post(
        f"/v1/tasks/{absurd.json()['task_id']}/dispute",
        json={"reason": "the agent answered in under a second"},
        headers=auth(op_key),
    )
    assert disputed.status_code == 201, disputed.text

    # An honest report the provider countersigned.
    body = task_body("honest", job=await registry.job(acceptance))
    signature = countersign(TaskReport.model_validate({**body, "acceptance_id": acc_id}), PROVIDER_KEY)
    body["countersignature"] = {"signer": signature.signer, "signature": signature.signature}
    signed = await registry.client.post(f"/v1/acceptances/{acc_id}/tasks", json=body, headers=auth(buyer_key))
    assert signed.status_code == 201, signed.text

    stream = f"acceptance-{acc_id}"

    async def four_events() -> list[bytes] | None:
        raw = await read_stream(kafka_topics, ACCEPTANCES, stream)
        return raw if len(raw) == 4 else None

    raw = await wait_for(four_events, timeout=60, what="the acceptance's events on Kafka")
    verify_chain(raw)
    events = [decode(r) for r in raw]
    assert [e.event_type for e in events] == ["PactAccepted", "TaskCompleted", "TaskDisputed", "TaskCompleted"]
    _, report, dispute, countersigned = (e.payload for e in events)
    assert (report.provenance, report.latency_ms) == (Provenance.BUYER_ONLY, 10**12)
    assert dispute.task_id == report.task_id
    assert countersigned.provenance is Provenance.COUNTERSIGNED
    # An auditor checks the signature from the event alone.
    rebuilt = TaskReport.model_validate(countersigned.model_dump())
    assert recover_signer(rebuilt, countersigned.countersignature.signature) == PROVIDER


# Deterministic clauses only, so the evaluator decides at once: the call must take at most
# 100 ms (the sloppy agent takes 300) and the pass rule needs every clause.
QUICK_PACT = {
    "format": "pactline.pact/v1",
    "name": "quick-answers",
    "version": 1,
    "title": "Quick answers",
    "clauses": [
        {"id": "fast", "kind": "max_latency_ms", "severity": "must", "weight": 50, "dimension": "latency",
         "limit_ms": 100},
        {"id": "bounded", "kind": "length_bounds", "severity": "should", "weight": 50,
         "dimension": "format_compliance", "max": 100_000},
    ],
    "pass_rule": {"threshold": "1"},
    "dispute_window_seconds": 86_400,
    "escrow": {"modes": ["per_task", "aggregate"], "min_task_price": 10_000},
}  # fmt: skip


async def test_the_evaluator_fails_a_slow_gateway_call_but_never_on_the_buyers_word_alone(
    platform, kafka_topics, database_url, db_schema
):
    for topic in (ACCEPTANCES, JURY_DELIBERATIONS):
        await start_group_at_end(kafka_topics, EVALUATOR.name, topic)
    evaluator = build_app(
        dataclasses.replace(EVALUATOR, schema=f"{db_schema}_ev"),
        EvaluatorSettings(database_url=database_url, kafka_bootstrap=kafka_topics, log_format="text"),
    )
    registry = platform.registry
    op_key, agent_id, pact_id = await _agent_with_pact(platform, "sloppy", None, dict(QUICK_PACT))
    _, buyer_key = await registry.principal("buyer")
    acc_id = (await registry.accept(buyer_key, pact_id, mode="aggregate", pool_size=6_000_000))["acceptance_id"]
    try:
        async with evaluator.router.lifespan_context(evaluator):
            pool = evaluator.state.service.pool
            # The slow agent called through the gateway: the platform measured > 100 ms.
            await platform.gateway_knows(acc_id, agent_id)
            async with httpx.AsyncClient(base_url=platform.gateway_url, timeout=30) as http:
                called = await http.post(
                    f"/v1/acceptances/{acc_id}/chat/completions",
                    json={"messages": [{"role": "user", "content": PROMPT}]},
                    headers=auth(buyer_key),
                )
            assert called.status_code == 200, called.text
            measured = called.headers["x-pactline-task-id"]
            # The buyer alone reports an absurd latency, and the provider disputes it.
            absurd = await registry.client.post(
                f"/v1/acceptances/{acc_id}/tasks",
                json=task_body("absurd", job=None, latency_ms=10**12),
                headers=auth(buyer_key),
            )
            reported = absurd.json()["task_id"]
            disputed = await registry.client.post(
                f"/v1/tasks/{reported}/dispute", json={"reason": "answered in 300 ms"}, headers=auth(op_key)
            )
            assert disputed.status_code == 201, disputed.text

            async def outcomes() -> dict[str, str] | None:
                rows = await pool.fetch(
                    "SELECT task_id, outcome FROM verdicts WHERE task_id = ANY($1)", [measured, reported]
                )
                return {r["task_id"]: r["outcome"] for r in rows} if len(rows) == 2 else None

            verdicts = await wait_for(outcomes, timeout=90, what="both verdicts")
    finally:
        conn = await asyncpg.connect(database_url)
        try:
            await conn.execute(f"DROP SCHEMA IF EXISTS {db_schema}_ev CASCADE")
        finally:
            await conn.close()
    assert verdicts == {measured: "FAIL", reported: "INCONCLUSIVE"}

"""Calls through the gateway over real HTTP to the SIMULATED agents (and to small agents made
here), against the real Kafka and Postgres: what is forwarded, what is measured, what is
recorded, and what is refused."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import StreamingResponse

from gateway_testkit import SLOPPY_DELAY_MS, RunningGateway, Seeder, gateway_settings
from live_server import free_port, serving
from pactline_events import Provenance, TaskCompleted, TokenSource, decode, utc_now
from pactline_events.topics import ACCEPTANCES
from pactline_gateway import simulated_agents, store
from pactline_gateway.app import SPEC
from pactline_gateway.domain import TaskFrame
from pactline_gateway.recording import LostCallSweeper, Recorder
from pactline_messaging import idempotent_producer
from pactline_messaging.log_reader import read_stream
from pactline_service import build_app
from waiting import wait_for

pytestmark = pytest.mark.infra

PROMPT = "Where is my order 1234?"
MESSAGES = [{"role": "user", "content": PROMPT}]


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def call(gw: RunningGateway, key: str, acceptance_id: str, **body: Any) -> httpx.Response:
    async with httpx.AsyncClient(base_url=gw.url, timeout=30) as http:
        return await http.post(
            f"/v1/acceptances/{acceptance_id}/chat/completions",
            json={"model": "any", "messages": MESSAGES, **body},
            headers=auth(key),
        )


async def recorded(gw: RunningGateway, task_id: str) -> TaskCompleted:
    async def row() -> bytes | None:
        return await gw.pool.fetchval(
            "SELECT value FROM outbox WHERE event_type = 'TaskCompleted' "
            "AND convert_from(value, 'UTF8')::jsonb #>> '{payload,task_id}' = $1",
            task_id,
        )

    return decode(bytes(await wait_for(row, timeout=30, what=f"TaskCompleted {task_id}"))).payload


async def test_a_call_is_forwarded_measured_and_recorded_as_gateway_evidence(gateway, seed, agents_url, kafka_topics):
    key, acceptance_id = await seed.buyer_with_agent(agents_url, "reliable")
    response = await call(gateway, key, acceptance_id)
    assert response.status_code == 200, response.text
    answer = simulated_agents.answer("reliable", PROMPT)
    assert response.json()["choices"][0]["message"]["content"] == answer
    assert response.headers["x-pactline-provenance"] == "gateway"
    task = await recorded(gateway, response.headers["x-pactline-task-id"])
    assert task.provenance is Provenance.GATEWAY
    assert task.output == answer
    assert task.input == json.dumps(MESSAGES, separators=(",", ":"))
    assert task.token_source is TokenSource.AGENT_USAGE
    assert task.output_tokens == response.json()["usage"]["completion_tokens"]
    assert task.cost == 60_000
    assert task.agent_error is None
    assert 0 <= task.first_token_ms <= task.latency_ms
    # ...and it reaches Kafka on the gateway's own stream for the acceptance
    stream = f"gateway-{acceptance_id}"
    on_kafka = await wait_for(lambda: read_stream(kafka_topics, ACCEPTANCES, stream), what="the event on Kafka")
    (event,) = [decode(raw) for raw in on_kafka]
    assert (event.producer, event.stream_seq, event.payload) == ("gateway", 1, task)


async def test_the_buyer_cannot_steer_the_measurements(gateway, seed, agents_url):
    key, acceptance_id = await seed.buyer_with_agent(agents_url, "sloppy")
    # Fields a buyer might add to claim a latency or usage are the agent's business, not evidence...
    response = await call(gateway, key, acceptance_id, latency_ms=1, usage={"completion_tokens": 0})
    assert response.status_code == 200, response.text
    task = await recorded(gateway, response.headers["x-pactline-task-id"])
    assert task.latency_ms >= SLOPPY_DELAY_MS  # measured on the wire, not taken from anyone
    assert task.output_tokens == response.json()["usage"]["completion_tokens"] > 0
    # ...and the gateway's own extension refuses anything it does not define.
    refused = await call(gateway, key, acceptance_id, pactline={"latency_ms": 1})
    assert refused.status_code == 422
    assert refused.json()["error"]["fields"][0]["pointer"] == "/pactline/latency_ms"


@dataclasses.dataclass
class GatedAgent:
    """An agent that sends its first token, then waits for the test's go before finishing."""

    go: asyncio.Event
    base_url: str = ""

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/v1/chat/completions")
        async def chat() -> StreamingResponse:
            async def events() -> AsyncIterator[bytes]:
                yield _chunk({"role": "assistant", "content": "first"})
                await self.go.wait()
                yield _chunk({"content": " and the rest"})
                yield b"data: [DONE]\n\n"

            return StreamingResponse(events(), media_type="text/event-stream")

        return app


def _chunk(delta: dict) -> bytes:
    return b"data: " + json.dumps({"choices": [{"index": 0, "delta": delta}]}).encode() + b"\n\n"


async def test_a_stream_passes_through_as_it_arrives(gateway, seed):
    agent = GatedAgent(asyncio.Event())
    async with serving(agent.app(), lifespan="off") as agent_url:
        key, acceptance_id = await seed.buyer_with_agent_url(f"{agent_url}/v1")
        received: list[bytes] = []
        async with (
            httpx.AsyncClient(base_url=gateway.url, timeout=30) as http,
            http.stream(
                "POST",
                f"/v1/acceptances/{acceptance_id}/chat/completions",
                json={"messages": MESSAGES, "stream": True},
                headers=auth(key),
            ) as response,
        ):
            assert response.headers["content-type"].startswith("text/event-stream")
            lines = response.aiter_lines()
            # The first token reaches the buyer while the agent is still holding back the rest:
            # a gateway that buffered would wait here until the timeout.
            first = await asyncio.wait_for(_next_data(lines), 20)
            assert "first" in first
            agent.go.set()
            received = [line async for line in lines if line.startswith("data:")]
        assert received[-1] == "data: [DONE]"
        task = await recorded(gateway, response.headers["x-pactline-task-id"])
        assert task.output == "first and the rest"
        assert task.first_token_ms <= task.latency_ms
        assert task.token_source is TokenSource.ESTIMATE  # this agent reports no usage


async def _next_data(lines: AsyncIterator[str]) -> str:
    async for line in lines:
        if line.startswith("data:"):
            return line
    raise AssertionError("the stream ended")


async def test_a_buyer_who_hangs_up_mid_stream_does_not_cut_the_evidence(gateway, seed):
    agent = GatedAgent(asyncio.Event())
    async with serving(agent.app(), lifespan="off") as agent_url:
        key, acceptance_id = await seed.buyer_with_agent_url(f"{agent_url}/v1")
        async with (
            httpx.AsyncClient(base_url=gateway.url, timeout=30) as http,
            http.stream(
                "POST",
                f"/v1/acceptances/{acceptance_id}/chat/completions",
                json={"messages": MESSAGES, "stream": True},
                headers=auth(key),
            ) as response,
        ):
            await asyncio.wait_for(_next_data(response.aiter_lines()), 20)
            task_id = response.headers["x-pactline-task-id"]
        # The buyer is gone; the agent finishes anyway, and the whole answer is evidence.
        agent.go.set()
        task = await recorded(gateway, task_id)
        assert task.output == "first and the rest"
        assert task.agent_error is None


async def test_streams_from_the_simulated_agent_carry_tool_calls_and_usage(gateway, seed, agents_url):
    key, acceptance_id = await seed.buyer_with_agent(agents_url, "reliable")
    tools = [{"type": "function", "function": {"name": "lookup_order", "parameters": {"type": "object"}}}]
    async with (
        httpx.AsyncClient(base_url=gateway.url, timeout=30) as http,
        http.stream(
            "POST",
            f"/v1/acceptances/{acceptance_id}/chat/completions",
            json={"messages": MESSAGES, "stream": True, "tools": tools, "stream_options": {"include_usage": True}},
            headers=auth(key),
        ) as response,
    ):
        body = b"".join([chunk async for chunk in response.aiter_bytes()])
    assert body.endswith(b"data: [DONE]\n\n")
    task = await recorded(gateway, response.headers["x-pactline-task-id"])
    assert [(c.name, c.arguments) for c in task.tool_calls] == [("lookup_order", {"query": PROMPT})]
    assert task.token_source is TokenSource.AGENT_USAGE


async def test_agent_failures_are_answered_and_recorded_as_evidence(gateway, seed, agents_url):
    key, acceptance_id = await seed.buyer_with_agent(agents_url, "reliable")
    failed = await call(gateway, key, acceptance_id, model="force:http_500")
    assert failed.status_code == 500  # the agent's own answer, passed through
    task = await recorded(gateway, failed.headers["x-pactline-task-id"])
    assert (task.agent_error.kind, task.agent_error.status) == ("http_status", 500)
    assert task.output == ""

    buyer, key = await seed.key()
    agent_id = f"agt-down-{free_port()}"
    await seed.endpoint(agent_id, f"http://127.0.0.1:{free_port()}/v1")  # nothing listens there
    down = await seed.acceptance(buyer, agent_id)
    unreachable = await call(gateway, key, down)
    assert unreachable.status_code == 502
    assert unreachable.json()["error"]["code"] == "agent_unreachable"
    task = await recorded(gateway, unreachable.headers["x-pactline-task-id"])
    assert task.agent_error.kind == "unreachable"


async def test_calls_outside_an_acceptance_are_refused_and_record_nothing(gateway, seed, agents_url):
    key, acceptance_id = await seed.buyer_with_agent(agents_url, "reliable")
    _, other_key = await seed.key()
    async with httpx.AsyncClient(base_url=gateway.url, timeout=30) as http:
        path = f"/v1/acceptances/{acceptance_id}/chat/completions"
        anonymous = await http.post(path, json={"messages": MESSAGES})
        wrong = await http.post(path, json={"messages": MESSAGES}, headers=auth(key[:-2] + "xx"))
        invalid_body = await http.post(path, content=b"{", headers=auth(key))
    assert (anonymous.status_code, anonymous.json()["error"]["code"]) == (401, "missing_api_key")
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (401, "invalid_api_key")
    assert (invalid_body.status_code, invalid_body.json()["error"]["code"]) == (422, "request_invalid")
    assert (await call(gateway, other_key, acceptance_id)).json()["error"]["code"] == "not_acceptance_buyer"
    for role, scopes in (("operator", ("read", "agents:write")), ("admin", ("read", "admin")), ("auditor", ("read",))):
        _, other_role_key = await seed.key(role=role, scopes=scopes)
        refused = await call(gateway, other_role_key, acceptance_id)
        assert (refused.status_code, refused.json()["error"]["code"]) == (403, "role_not_allowed"), role
    _, read_only = await seed.key(scopes=("read",))
    assert (await call(gateway, read_only, acceptance_id)).json()["error"]["code"] == "missing_scope"
    assert (await call(gateway, key, "acc-unknown")).status_code == 404
    first = await call(gateway, key, acceptance_id, pactline={"idempotency_key": "order-9"})
    assert first.status_code == 200
    again = await call(gateway, key, acceptance_id, pactline={"idempotency_key": "order-9"})
    assert (again.status_code, again.json()["error"]["code"]) == (409, "idempotency_key_reused")
    await recorded(gateway, first.headers["x-pactline-task-id"])  # recorded right after its answer
    before = await gateway.pool.fetchval("SELECT count(*) FROM outbox")
    await seed.revoke_acceptance(acceptance_id)
    assert (await call(gateway, key, acceptance_id)).json()["error"]["code"] == "acceptance_revoked"
    buyer, fresh_key = await seed.key()
    await seed.revoke_key(buyer, fresh_key)
    revoked = await call(gateway, fresh_key, acceptance_id)
    assert (revoked.status_code, revoked.json()["error"]["code"]) == (401, "api_key_revoked")
    assert await gateway.pool.fetchval("SELECT count(*) FROM outbox") == before


async def test_per_task_calls_need_their_own_escrow_job(gateway, seed, agents_url):
    key, acceptance_id = await seed.buyer_with_agent(agents_url, "reliable", mode="per_task", pool_size=None)
    missing = await call(gateway, key, acceptance_id)
    assert (missing.status_code, missing.json()["error"]["code"]) == (422, "escrow_job_id_required")
    paid = await call(gateway, key, acceptance_id, pactline={"escrow_job_id": "77"})
    assert paid.status_code == 200
    assert (await recorded(gateway, paid.headers["x-pactline-task-id"])).escrow_job_id == "77"
    reused = await call(gateway, key, acceptance_id, pactline={"escrow_job_id": "77"})
    assert (reused.status_code, reused.json()["error"]["code"]) == (409, "escrow_job_already_used")


async def test_a_gateway_that_allows_no_private_address_never_calls_one(
    database_url, kafka_topics, db_schema, agents_url
):
    strict = dataclasses.replace(SPEC, name="gateway-strict", schema=db_schema, producer_name=SPEC.name)
    settings = gateway_settings(database_url, kafka_topics, agent_endpoints_allow_private="")
    app = build_app(strict, settings)
    async with serving(app) as url:
        gw = RunningGateway(url, app)
        producer = idempotent_producer(kafka_topics, "gateway-strict-tests")
        await producer.start()
        try:
            key, acceptance_id = await Seeder(producer, gw).buyer_with_agent(agents_url, "reliable")
        finally:
            await producer.stop()
        response = await call(gw, key, acceptance_id)
        assert response.status_code == 502
        assert response.json()["error"]["code"] == "agent_endpoint_refused"
        assert "not a public address" in response.json()["error"]["message"]
        task = await recorded(gw, response.headers["x-pactline-task-id"])
        assert task.agent_error.kind == "unreachable"


async def test_a_call_in_flight_holds_its_place_in_the_acceptance(gateway, seed):
    # Given an acceptance for one task whose agent is still answering the first call
    agent = GatedAgent(asyncio.Event())
    async with serving(agent.app(), lifespan="off") as agent_url:
        key, acceptance_id = await seed.buyer_with_agent_url(f"{agent_url}/v1", max_tasks=1)
        async with httpx.AsyncClient(base_url=gateway.url, timeout=30) as http:
            path = f"/v1/acceptances/{acceptance_id}/chat/completions"
            body = {"messages": MESSAGES, "stream": True}
            async with http.stream("POST", path, json=body, headers=auth(key)) as first:
                lines = first.aiter_lines()
                await asyncio.wait_for(_next_data(lines), 20)
                # When a second call comes meanwhile, then the reserved first one counts already
                second = await http.post(path, json={"messages": MESSAGES}, headers=auth(key))
                assert (second.status_code, second.json()["error"]["code"]) == (409, "acceptance_exhausted")
                agent.go.set()
                assert [line async for line in lines if line.startswith("data:")][-1] == "data: [DONE]"
        task = await recorded(gateway, first.headers["x-pactline-task-id"])
        assert task.output == "first and the rest"


async def test_a_call_lost_by_a_stopped_gateway_is_recorded_as_interrupted_once(gateway):
    # Given a call reserved long ago whose gateway never recorded it (it crashed mid-call)
    frame = TaskFrame(
        task_id="tsk-lost-" + uuid.uuid4().hex,
        acceptance_id="acc-lost",
        pact_id="pct-1",
        agent_id="agt-1",
        idempotency_key="lost-1",
        escrow_job_id=None,
        price_per_task=60_000,
        input="[]",
        reference=None,
    )
    # (older than this sweeper's 5 minutes, younger than the running gateway's own 6: only this
    # test's sweeper may take it)
    started = utc_now() - timedelta(minutes=5, seconds=30)
    async with gateway.pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO acceptances (acceptance_id, pact_id, pact_version, agent_id, buyer_id, mode, price_per_task, "
            "expires_at) VALUES ('acc-lost', 'pct-1', 1, 'agt-1', 'b', 'per_task', 60000, now() + interval '1 day')"
        )
        assert await store.reserve_task(conn, frame, started)
    # When the sweeper runs, then the call is evidence: interrupted, with how long it was open
    sweeper = LostCallSweeper(gateway.pool, after=timedelta(minutes=5), every_s=60)
    assert await sweeper.sweep() == 1
    task = await recorded(gateway, frame.task_id)
    assert task.agent_error.kind == "interrupted"
    assert task.latency_ms >= 330_000
    # and a late recording of the real answer (or a second sweep) writes nothing more
    late = Recorder(gateway.pool, give_up_after_s=1)
    assert await late.record(frame, task) is False
    assert await sweeper.sweep() == 0
    assert await gateway.pool.fetchval("SELECT count(*) FROM outbox WHERE stream_id = 'gateway-acc-lost'") == 1

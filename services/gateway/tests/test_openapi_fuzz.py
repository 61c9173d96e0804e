"""Schemathesis against the gateway's published OpenAPI document: generated chat completion
requests (valid and invalid) never make the gateway fail, every refusal is in the error body
and records nothing, and every call it forwards is recorded."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from collections.abc import Coroutine
from typing import Any

import httpx
import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from gateway_testkit import RunningGateway, Seeder, gateway_settings
from live_server import free_port
from pactline_events.topics import ACCEPTANCES, AGENTS, IDENTITIES
from pactline_gateway import simulated_agents
from pactline_gateway.app import SPEC
from pactline_messaging import idempotent_producer
from pactline_service import build_app
from topic_reader import start_group_at_end
from waiting import wait_for

pytestmark = pytest.mark.infra


class ThreadedPlatform:
    """The gateway and the SIMULATED agents on real ports, on an event loop of their own, driven
    from synchronous hypothesis tests (hypothesis' @given does not run coroutines)."""

    def __init__(self, gateway_app: Any, kafka: str) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()
        self.kafka = kafka
        self.servers = []
        self.agents_url = self._serve(simulated_agents.create_app(sloppy_delay_ms=0), "off")
        self.gateway = RunningGateway(self._serve(gateway_app, "on"), gateway_app)

    def _serve(self, app: Any, lifespan: str) -> str:
        port = free_port()
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan=lifespan)
        )
        self.servers.append((server, asyncio.run_coroutine_threadsafe(server.serve(), self.loop)))

        async def started() -> bool:
            return server.started

        self.run(wait_for(started, timeout=90, what=f"uvicorn on {port}"))
        return f"http://127.0.0.1:{port}"

    def run(self, coro: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=120)

    async def seeded(self) -> tuple[str, str]:
        producer = idempotent_producer(self.kafka, "gateway-fuzz")
        await producer.start()
        try:
            return await Seeder(producer, self.gateway).buyer_with_agent(self.agents_url, "reliable")
        finally:
            await producer.stop()

    def close(self) -> None:
        for server, _ in reversed(self.servers):
            server.should_exit = True
        for _, done in reversed(self.servers):
            done.result(timeout=60)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)


@pytest.fixture
def platform(database_url: str, kafka_topics: str, db_schema: str):
    for topic in (IDENTITIES, ACCEPTANCES, AGENTS):
        asyncio.run(start_group_at_end(kafka_topics, SPEC.name, topic))
    app = build_app(dataclasses.replace(SPEC, schema=db_schema), gateway_settings(database_url, kafka_topics))
    running = ThreadedPlatform(app, kafka_topics)
    yield running
    running.close()


def test_generated_calls_never_fail_the_gateway_and_refusals_record_nothing(platform):
    key, acceptance_id = platform.run(platform.seeded())
    schema = schemathesis.openapi.from_dict(httpx.get(f"{platform.gateway.url}/openapi.json").json())
    operation = schema["/v1/acceptances/{acceptance_id}/chat/completions"]["POST"]
    headers = {"Authorization": f"Bearer {key}"}
    strategy = st.one_of(
        [
            operation.as_strategy(mode, headers=headers, path_parameters=pinned)
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
            for pinned in ({"acceptance_id": acceptance_id}, {})
        ]
    )
    pool = platform.gateway.pool
    statuses: list[int] = []

    async def tasks() -> int:
        return await pool.fetchval("SELECT count(*) FROM tasks")

    @settings(max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(case=strategy)
    def check(case: Any) -> None:
        kwargs = case.as_transport_kwargs(base_url=platform.gateway.url)
        before = platform.run(tasks())
        response = httpx.request(
            kwargs["method"],
            kwargs["url"],
            headers=kwargs.get("headers"),
            params=kwargs.get("params"),
            json=kwargs.get("json"),
            content=None if "json" in kwargs else kwargs.get("data"),
            timeout=30,
        )
        statuses.append(response.status_code)
        assert response.status_code not in (500, 503), f"{case.as_curl_command()} -> {response.text}"
        if "x-pactline-task-id" in response.headers:  # forwarded: recorded, whatever the agent said
            assert platform.run(tasks()) == before + 1
        else:
            assert 400 <= response.status_code < 500, response.text
            assert "error" in response.json(), response.text
            assert platform.run(tasks()) == before

    check()
    assert 200 in statuses
    assert any(400 <= s < 500 for s in statuses)

"""Schemathesis against the published OpenAPI document: 500 generated requests (valid and
invalid) per write endpoint, no 5xx, every refusal in the error body, and a refused request
never changes state (row counts and the outbox stay as they were)."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from collections.abc import Coroutine
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from pactline_registry.app import SPEC
from pactline_service import build_app
from registry_chain import RegistryChain
from registry_testkit import BOOTSTRAP_KEY, Registry, auth, registry_settings, task_body

pytestmark = pytest.mark.infra

WRITES = (
    "/v1/principals",
    "/v1/keys",
    "/v1/keys/{key_id}/revoke",
    "/v1/agents",
    "/v1/agents/{agent_id}/pacts",
    "/v1/agents/{agent_id}/endpoint",
    "/v1/acceptances",
    "/v1/acceptances/{acceptance_id}/revoke",
    "/v1/acceptances/{acceptance_id}/tasks",
    "/v1/tasks/{task_id}/dispute",
)


class RunningRegistry:
    """The app and its lifespan on an event loop of their own, driven from synchronous
    hypothesis tests (hypothesis' @given does not run coroutines)."""

    def __init__(self, app: Any, chain: RegistryChain) -> None:
        self.app = app
        self.chain = chain
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()
        self._started = threading.Event()
        self._stop: asyncio.Event | None = None
        self._life = asyncio.run_coroutine_threadsafe(self._live(), self.loop)
        if not self._started.wait(60):
            raise AssertionError(f"registry did not start: {self._life}")

    async def _live(self) -> None:
        self._stop = asyncio.Event()
        async with (
            self.app.router.lifespan_context(self.app),
            httpx.AsyncClient(transport=httpx.ASGITransport(self.app), base_url="http://registry") as client,
        ):
            self.registry = Registry(self.app, client, self.chain)
            self._started.set()
            await self._stop.wait()

    def run(self, coro: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=120)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self._stop.set)
        self._life.result(timeout=60)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)


@pytest.fixture
def running(database_url: str, kafka_topics: str, db_schema: str, registry_chain: RegistryChain):
    settings = registry_settings(database_url, kafka_topics, registry_chain)
    app = build_app(dataclasses.replace(SPEC, schema=db_schema), settings)
    running = RunningRegistry(app, registry_chain)
    yield running
    running.close()


async def _world(registry: Registry) -> dict[str, Any]:
    _, admin_key = await registry.principal("admin")
    _, auditor_key = await registry.principal("auditor")
    _, op_key = await registry.principal("operator")
    _, buyer_key = await registry.principal("buyer")
    agent_id = await registry.agent(op_key)
    pact = await registry.publish(op_key, agent_id)
    pool = await registry.accept(buyer_key, pact["pact_id"], mode="aggregate", pool_size=5_000_000_000)
    task = await registry.client.post(
        f"/v1/acceptances/{pool['acceptance_id']}/tasks", json=task_body("fuzz-0", job=None), headers=auth(buyer_key)
    )
    return {
        "task_id": task.json()["task_id"],
        "admin": admin_key,
        "auditor": auditor_key,
        "operator": op_key,
        "buyer": buyer_key,
        "agent_id": agent_id,
        "acceptance_id": pool["acceptance_id"],
    }


def _strategy(schema: Any, path: str, world: dict[str, Any]) -> st.SearchStrategy:
    key = {
        "/v1/principals": "admin",
        "/v1/keys": "admin",
        "/v1/keys/{key_id}/revoke": "buyer",
        "/v1/agents": "operator",
        "/v1/agents/{agent_id}/pacts": "operator",
        "/v1/agents/{agent_id}/endpoint": "operator",
        "/v1/tasks/{task_id}/dispute": "operator",
    }.get(path, "buyer")
    # Real ids half of the time, so requests get past the lookups into validation and decisions.
    pinned = {"agent_id": world["agent_id"], "acceptance_id": world["acceptance_id"], "task_id": world["task_id"]}
    fixed = {name: value for name, value in pinned.items() if "{" + name + "}" in path}
    operation = schema[path]["POST"]
    options = []
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        options.append(operation.as_strategy(mode, headers=auth(world[key])))
        if fixed:
            options.append(operation.as_strategy(mode, headers=auth(world[key]), path_parameters=fixed))
    return st.one_of(options)


async def _send(registry: Registry, case: Any) -> tuple[httpx.Response, dict[str, int], dict[str, int]]:
    kwargs = case.as_transport_kwargs(base_url="http://registry")
    request: dict[str, Any] = {
        "method": kwargs["method"],
        "url": kwargs["url"],
        "headers": kwargs.get("headers") or {},
        "params": kwargs.get("params") or None,
    }
    if "json" in kwargs:
        request["json"] = kwargs["json"]
    elif kwargs.get("data") is not None:
        request["content"] = kwargs["data"]
    before = await registry.counts()
    response = await registry.client.request(**request)
    return response, before, await registry.counts()


@pytest.mark.parametrize("path", WRITES)
def test_generated_requests_never_fail_the_server_or_leave_traces_when_refused(running, path):
    world = running.run(_world(running.registry))
    schema = schemathesis.openapi.from_dict(running.run(running.registry.client.get("/openapi.json")).json())
    statuses: list[int] = []
    refusals: list[str] = []

    @settings(max_examples=500, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(case=_strategy(schema, path, world))
    def check(case: Any) -> None:
        response, before, after = running.run(_send(running.registry, case))
        statuses.append(response.status_code)
        if response.status_code == 422:
            refusals.append(response.text)
        assert response.status_code < 500, f"{case.as_curl_command()} -> {response.status_code} {response.text}"
        if 400 <= response.status_code < 500:
            assert after == before, f"refused request changed state: {case.as_curl_command()}"
            if response.status_code != 405:
                assert "error" in response.json(), f"{case.as_curl_command()} -> {response.text}"

    check()
    # The bootstrap admin still works and the refusals were not all of one kind.
    me = running.run(running.registry.client.get("/v1/me", headers=auth(BOOTSTRAP_KEY)))
    assert me.status_code == 200
    assert len(statuses) >= 500, "the issue asks for at least 500 generated requests per write endpoint"
    assert any(400 <= s < 500 for s in statuses)
    if path == "/v1/agents/{agent_id}/pacts":
        # The publish body is declared as the whole pact schema, so generated documents are
        # whole pacts that get past the structure to the rules no JSON Schema can state.
        assert any("must add up to exactly 100" in text for text in refusals)


READS = (
    "/v1/principals",
    "/v1/me",
    "/v1/agents",
    "/v1/agents/{agent_id}",
    "/v1/agents/{agent_id}/endpoint",
    "/v1/pacts",
    "/v1/pacts/{pact_id}",
    "/v1/pacts/{pact_id}/versions/{version}",
    "/v1/acceptances",
    "/v1/acceptances/{acceptance_id}",
    "/v1/acceptances/{acceptance_id}/tasks",
    "/v1/tasks/{task_id}",
)


def test_generated_reads_never_fail_the_server(running):
    world = running.run(_world(running.registry))
    schema = schemathesis.openapi.from_dict(running.run(running.registry.client.get("/openapi.json")).json())
    strategy = st.one_of(
        [
            schema[path]["GET"].as_strategy(mode, headers=auth(world[role]))
            for path in READS
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
            for role in ("auditor", "buyer")
        ]
    )
    statuses: list[int] = []

    @settings(max_examples=300, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(case=strategy)
    def check(case: Any) -> None:
        response, before, after = running.run(_send(running.registry, case))
        statuses.append(response.status_code)
        assert response.status_code < 500, f"{case.as_curl_command()} -> {response.status_code} {response.text}"
        assert after == before

    check()
    assert 200 in statuses

"""Every role against every endpoint: 401 without a valid key, 403 for the wrong role, scope or
owner, 404 for another party's acceptance, task, key or endpoint (the same answer as for an
unknown id, so ids are no oracle), success only for those the issue allows (operators: own
agents and pacts; buyers: own acceptances and tasks; auditors: read; admins: identities and keys)."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest

from registry_testkit import BOOTSTRAP_KEY, EXAMPLES, auth, task_body

pytestmark = pytest.mark.infra

ROLES = ("anonymous", "bad_key", "admin", "operator", "other_operator", "buyer", "other_buyer", "auditor")
_keys = itertools.count(1000)
# Strangers to the world's acceptance: for them it, its tasks and its endpoint do not exist.
STRANGERS = {"other_operator": 404, "other_buyer": 404}
ENDPOINT = "http://127.0.0.1:8180/agents/reliable/v1"


@dataclass
class World:
    registry: object
    keys: dict[str, str | None]
    ids: dict[str, str]
    agent_id: str
    pact: dict
    acceptance: dict
    task_id: str

    @property
    def acceptance_id(self) -> str:
        return self.acceptance["acceptance_id"]

    async def fresh_acceptance(self) -> str:
        return (await self.registry.accept(self.keys["buyer"], self.pact["pact_id"]))["acceptance_id"]


async def build_world(registry) -> World:
    keys: dict[str, str | None] = {"anonymous": None, "bad_key": "pl_live_0123456789abcdef_not-a-real-secret"}
    ids: dict[str, str] = {}
    for role in ("admin", "operator", "other_operator", "buyer", "other_buyer", "auditor"):
        ids[role], keys[role] = await registry.principal(role.removeprefix("other_"), name=role)
    agent_id = await registry.agent(keys["operator"])
    endpoint = await registry.client.post(
        f"/v1/agents/{agent_id}/endpoint", json={"base_url": ENDPOINT}, headers=auth(keys["operator"])
    )
    assert endpoint.status_code == 200, endpoint.text
    pact = await registry.publish(keys["operator"], agent_id)
    acceptance = await registry.accept(keys["buyer"], pact["pact_id"])
    task = await registry.client.post(
        f"/v1/acceptances/{acceptance['acceptance_id']}/tasks",
        json=task_body(job=await registry.job(acceptance)),
        headers=auth(keys["buyer"]),
    )
    return World(registry, keys, ids, agent_id, pact, acceptance, task.json()["task_id"])


Call = Callable[[World, dict[str, str]], Awaitable[object]]


async def _new_key_id(w: World) -> str:
    created = await w.registry.client.post(
        "/v1/keys", json={"principal_id": w.ids["buyer"]}, headers=auth(BOOTSTRAP_KEY)
    )
    return created.json()["key_id"]


async def _publish_own(w: World, h: dict[str, str]):
    # Owners publish to a fresh agent of theirs; everyone else tries the operator's agent.
    agent = w.agent_id
    if h.get("Authorization") == f"Bearer {w.keys['operator']}":
        agent = await w.registry.agent(w.keys["operator"])
    return await w.registry.client.post(
        f"/v1/agents/{agent}/pacts",
        content=(EXAMPLES / "customer-support.yaml").read_bytes(),
        headers={**h, "Content-Type": "application/yaml"},
    )


def _c(w: World):
    return w.registry.client


ENDPOINTS: dict[str, tuple[Call, dict[str, int]]] = {
    "POST /v1/principals": (
        lambda w, h: _c(w).post("/v1/principals", json={"role": "auditor", "name": "x"}, headers=h),
        {"admin": 201},
    ),
    "GET /v1/principals": (lambda w, h: _c(w).get("/v1/principals", headers=h), {"admin": 200, "auditor": 200}),
    "GET /v1/me": (
        lambda w, h: _c(w).get("/v1/me", headers=h),
        dict.fromkeys(("admin", "operator", "other_operator", "buyer", "other_buyer", "auditor"), 200),
    ),
    "POST /v1/keys": (
        lambda w, h: _c(w).post("/v1/keys", json={"principal_id": w.ids["buyer"]}, headers=h),
        {"admin": 201},
    ),
    "POST /v1/keys/{id}/revoke": (
        lambda w, h: _revoke_key(w, h),
        {"admin": 200, "buyer": 200, "operator": 404, "other_operator": 404, "other_buyer": 404, "auditor": 404},
    ),
    "POST /v1/agents": (
        lambda w, h: _c(w).post("/v1/agents", json={"name": "a", "model_family": "openai"}, headers=h),
        {"operator": 201, "other_operator": 201},
    ),
    "GET /v1/agents": (lambda w, h: _c(w).get("/v1/agents", headers=h), "all:200"),
    "GET /v1/agents/{id}": (lambda w, h: _c(w).get(f"/v1/agents/{w.agent_id}", headers=h), "all:200"),
    "POST /v1/agents/{id}/pacts": (_publish_own, {"operator": 201}),
    "POST /v1/agents/{id}/endpoint": (
        lambda w, h: _c(w).post(f"/v1/agents/{w.agent_id}/endpoint", json={"base_url": ENDPOINT}, headers=h),
        {"operator": 200},
    ),
    "GET /v1/agents/{id}/endpoint": (
        lambda w, h: _c(w).get(f"/v1/agents/{w.agent_id}/endpoint", headers=h),
        {"admin": 200, "auditor": 200, "operator": 200, "buyer": 404, **STRANGERS},
    ),
    "GET /v1/pacts": (lambda w, h: _c(w).get("/v1/pacts", headers=h), "all:200"),
    "GET /v1/pacts/{id}": (lambda w, h: _c(w).get(f"/v1/pacts/{w.pact['pact_id']}", headers=h), "all:200"),
    "GET /v1/pacts/{id}/versions/{v}": (
        lambda w, h: _c(w).get(f"/v1/pacts/{w.pact['pact_id']}/versions/{w.pact['version']}", headers=h),
        "all:200",
    ),
    "POST /v1/acceptances": (
        lambda w, h: _c(w).post(
            "/v1/acceptances",
            json={
                "pact_id": w.pact["pact_id"],
                "escrow": {"mode": "per_task", "price_per_task": 60_000, "expires_in_seconds": 7200},
            },
            headers=h,
        ),
        {"buyer": 201, "other_buyer": 201},
    ),
    "GET /v1/acceptances": (lambda w, h: _c(w).get("/v1/acceptances", headers=h), "all:200"),
    "GET /v1/acceptances/{id}": (
        lambda w, h: _c(w).get(f"/v1/acceptances/{w.acceptance_id}", headers=h),
        {"admin": 200, "auditor": 200, "operator": 200, "buyer": 200, **STRANGERS},
    ),
    "POST /v1/acceptances/{id}/revoke": (
        lambda w, h: _revoke_acceptance(w, h),
        {"admin": 200, "operator": 200, "buyer": 200, **STRANGERS},
    ),
    "POST /v1/acceptances/{id}/tasks": (
        lambda w, h: _submit_task(w, h),
        {"buyer": 201, "other_buyer": 404},
    ),
    "GET /v1/acceptances/{id}/tasks": (
        lambda w, h: _c(w).get(f"/v1/acceptances/{w.acceptance_id}/tasks", headers=h),
        {"admin": 200, "auditor": 200, "operator": 200, "buyer": 200, **STRANGERS},
    ),
    "GET /v1/tasks/{id}": (
        lambda w, h: _c(w).get(f"/v1/tasks/{w.task_id}", headers=h),
        {"admin": 200, "auditor": 200, "operator": 200, "buyer": 200, **STRANGERS},
    ),
    "POST /v1/tasks/{id}/dispute": (
        lambda w, h: _c(w).post(f"/v1/tasks/{w.task_id}/dispute", json={"reason": "absurd latency"}, headers=h),
        {"operator": 201, **STRANGERS},
    ),
}


async def _submit_task(w: World, h: dict[str, str]):
    body = task_body(f"m-{next(_keys)}", job=await w.registry.job(w.acceptance))
    return await _c(w).post(f"/v1/acceptances/{w.acceptance_id}/tasks", json=body, headers=h)


async def _revoke_key(w: World, h: dict[str, str]):
    return await _c(w).post(f"/v1/keys/{await _new_key_id(w)}/revoke", headers=h)


async def _revoke_acceptance(w: World, h: dict[str, str]):
    return await _c(w).post(f"/v1/acceptances/{await w.fresh_acceptance()}/revoke", json={}, headers=h)


def expected_status(rule: dict[str, int] | str, role: str) -> int:
    if role in ("anonymous", "bad_key"):
        return 401
    if rule == "all:200":
        return 200
    return rule.get(role, 403)


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
async def test_authorization_matrix(registry, endpoint):
    world = await build_world(registry)
    call, rule = ENDPOINTS[endpoint]
    got = {}
    for role in ROLES:
        key = world.keys[role]
        response = await call(world, auth(key) if key else {})
        got[role] = response.status_code
        if response.status_code in (401, 403, 404):
            assert response.json()["error"]["code"], response.text
        if response.status_code == 404:  # nothing of the foreign resource shows but the id asked for
            assert response.json()["error"]["code"].endswith("_not_found"), response.text
            assert world.ids["buyer"] not in response.text
            assert world.ids["operator"] not in response.text
    assert got == {role: expected_status(rule, role) for role in ROLES}


async def test_401_says_which_problem_and_403_names_the_missing_scope(registry):
    buyer_id, buyer_key = await registry.principal("buyer")
    client = registry.client
    missing = await client.get("/v1/me")
    assert missing.status_code == 401
    assert missing.json()["error"]["code"] == "missing_api_key"
    assert missing.headers["www-authenticate"] == "Bearer"
    wrong = await client.get("/v1/me", headers=auth(buyer_key[:-2] + "xx"))
    assert wrong.json()["error"]["code"] == "invalid_api_key"

    key_id = buyer_key.removeprefix("pl_live_")[:16]
    assert (await client.post(f"/v1/keys/{key_id}/revoke", headers=auth(buyer_key))).status_code == 200
    revoked = await client.get("/v1/me", headers=auth(buyer_key))
    assert revoked.status_code == 401
    assert revoked.json()["error"]["code"] == "api_key_revoked"

    read_only = await client.post(
        "/v1/keys", json={"principal_id": buyer_id, "scopes": ["read"]}, headers=auth(BOOTSTRAP_KEY)
    )
    limited = read_only.json()["api_key"]
    refused = await client.post(
        "/v1/acceptances",
        json={"pact_id": "p", "escrow": {"mode": "per_task", "price_per_task": 1, "expires_in_seconds": 3600}},
        headers=auth(limited),
    )
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "missing_scope"
    # The message names the scope as a client would write it, not a Python enum repr.
    assert refused.json()["error"]["message"] == "this API key lacks the 'acceptances:write' scope"
    too_much = await client.post(
        "/v1/keys", json={"principal_id": buyer_id, "scopes": ["admin"]}, headers=auth(BOOTSTRAP_KEY)
    )
    assert too_much.status_code == 422
    assert too_much.json()["error"]["code"] == "scope_not_allowed"

"""Shared helpers of the registry tests (a uniquely named module: tests import it by name)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import httpx

from pactline_registry.settings import RegistrySettings
from registry_chain import RegistryChain

BOOTSTRAP_KEY = "test-bootstrap-admin-key-0123456789"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "pacts"
# Tables whose rows a refused request must never touch (the schemathesis test counts them).
STATE_TABLES = (
    "principals",
    "api_keys",
    "agents",
    "agent_endpoints",
    "pacts",
    "pact_versions",
    "acceptances",
    "tasks",
    "task_disputes",
    "outbox",
)
OPERATOR_ADDRESS = "0x" + "11" * 20


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@dataclasses.dataclass
class Registry:
    """A running registry app and a client for it, with shortcuts that tell a story.

    Buyers get the first test buyer's address on ``chain`` unless told otherwise, so the
    shortcuts can fund their escrow: ``accept`` opens and funds an aggregate acceptance's pool
    (``fund_pool=False`` leaves it unfunded), ``job`` funds a per-task job for one task.
    """

    app: Any
    client: httpx.AsyncClient
    chain: RegistryChain

    @property
    def service(self) -> Any:
        return self.app.state.service

    async def principal(self, role: str, name: str = "p", **extra: Any) -> tuple[str, str]:
        """(principal_id, api_key) of a new principal created by the bootstrap admin."""
        body: dict[str, Any] = {"role": role, "name": name, **extra}
        if role in ("operator", "buyer") and "address" not in body:
            body["address"] = OPERATOR_ADDRESS if role == "operator" else self.chain.buyer_address
        response = await self.client.post("/v1/principals", json=body, headers=auth(BOOTSTRAP_KEY))
        assert response.status_code == 201, response.text
        created = response.json()
        return created["principal"]["principal_id"], created["key"]["api_key"]

    async def agent(self, operator_key: str, family: str = "anthropic") -> str:
        response = await self.client.post(
            "/v1/agents", json={"name": "support-bot", "model_family": family}, headers=auth(operator_key)
        )
        assert response.status_code == 201, response.text
        return response.json()["agent_id"]

    async def publish(self, operator_key: str, agent_id: str, example: str = "customer-support.yaml") -> dict:
        path = EXAMPLES / example
        content_type = "application/json" if path.suffix == ".json" else "application/yaml"
        response = await self.client.post(
            f"/v1/agents/{agent_id}/pacts",
            content=path.read_bytes(),
            headers={**auth(operator_key), "Content-Type": content_type},
        )
        assert response.status_code == 201, response.text
        return response.json()

    async def accept(self, buyer_key: str, pact_id: str, *, fund_pool: bool = True, **escrow: Any) -> dict:
        terms = {"mode": "per_task", "price_per_task": 100_000, "expires_in_seconds": 86_400, **escrow}
        response = await self.client.post(
            "/v1/acceptances", json={"pact_id": pact_id, "escrow": terms}, headers=auth(buyer_key)
        )
        assert response.status_code == 201, response.text
        acceptance = response.json()
        if fund_pool and acceptance["escrow"]["mode"] == "aggregate":
            await self.chain.fund_pool(acceptance)
        return acceptance

    async def job(self, acceptance: dict, **changes: Any) -> str:
        """A funded per-task job that pays for one task of ``acceptance``."""
        return await self.chain.fund_job(acceptance, **changes)

    async def counts(self) -> dict[str, int]:
        """Rows in every state table: a refused request must change none of them."""
        query = " UNION ALL ".join(f"SELECT '{t}' AS t, count(*) AS n FROM {t}" for t in STATE_TABLES)  # noqa: S608
        return {r["t"]: r["n"] for r in await self.service.pool.fetch(query)}


def task_body(key: str = "task-1", job: str | None = None, **extra: Any) -> dict[str, Any]:
    """A task report; per_task acceptances need ``job``, a funded job (``Registry.job``)."""
    body: dict[str, Any] = {
        "idempotency_key": key,
        "input": "Where is my order #1234?",
        "output": "Your order shipped yesterday; tracking: ZX12.",
        "tool_calls": [{"name": "lookup_order", "arguments": {"order": 1234}}],
        "latency_ms": 850,
        "cost": 1200,
        "tokens": 310,
        **extra,
    }
    if job is not None:
        body["escrow_job_id"] = job
    return body


def registry_settings(
    database_url: str,
    kafka: str,
    chain: RegistryChain | None = None,
    *,
    rpc_url: str | None = None,
    deployment_file: Path | None = None,
    **changes: Any,
) -> RegistrySettings:
    """The registry checking escrow on ``chain`` (the session's deployment), or on the contracts
    at ``rpc_url`` / ``deployment_file`` (a test that deploys its own)."""
    if chain is not None:
        rpc_url = rpc_url or chain.rpc_url
        deployment_file = deployment_file or chain.deployment_file
    if rpc_url is None or deployment_file is None:
        raise TypeError("registry_settings needs the session's chain or an rpc_url and a deployment_file")
    fields: dict[str, Any] = {
        "database_url": database_url,
        "kafka_bootstrap": kafka,
        "eth_rpc_url": rpc_url,
        "deployment_file": deployment_file,
        "registry_bootstrap_admin_key": BOOTSTRAP_KEY,
        "registry_key_pepper": "test-pepper",
        # Tests write fast (500 generated requests a second); the limit has a test of its own.
        "registry_write_rate_per_s": 100_000,
        "registry_write_burst": 100_000,
        "agent_endpoints_allow_private": "127.0.0.1/32",
        "agent_endpoints_allow_http": True,
        "log_format": "text",
    }
    return RegistrySettings(**{**fields, **changes})

"""A typed HTTP client for the pact-registry API (docs/pacts.md, "Using the registry API").

Every method returns the decoded JSON body; any refusal raises ``RegistryRequestFailed``
carrying the status, the stable error code and the field errors (JSON pointer + message).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import httpx
import typer

DEFAULT_URL = "http://127.0.0.1:8101"
Role = Literal["admin", "operator", "buyer", "auditor"]
Mode = Literal["per_task", "aggregate"]
Json = dict[str, Any]


@dataclass(frozen=True)
class FieldProblem:
    pointer: str
    message: str
    location: str = "body"

    def __str__(self) -> str:
        return f"{self.pointer or '<' + self.location + '>'}: {self.message}"


@dataclass
class RegistryRequestFailed(Exception):
    status: int
    code: str
    message: str
    fields: list[FieldProblem] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.message}"


class RegistryClient:
    """Synchronous client; ``transport`` lets tests plug in a fake or a live ASGI app."""

    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.base_url = (base_url or os.environ.get("PACTLINE_REGISTRY_URL") or DEFAULT_URL).rstrip("/")
        key = api_key if api_key is not None else os.environ.get("PACTLINE_API_KEY")
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self._http = httpx.Client(base_url=self.base_url, headers=headers, transport=transport, timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> RegistryClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # Identities ---------------------------------------------------------------------------

    def create_principal(
        self, role: Role, name: str, address: str | None = None, scopes: list[str] | None = None
    ) -> Json:
        return self._call(
            "POST", "/v1/principals", json=_drop_none(role=role, name=name, address=address, scopes=scopes)
        )

    def create_key(self, principal_id: str, scopes: list[str] | None = None, label: str = "") -> Json:
        return self._call("POST", "/v1/keys", json=_drop_none(principal_id=principal_id, scopes=scopes, label=label))

    def revoke_key(self, key_id: str) -> Json:
        return self._call("POST", f"/v1/keys/{key_id}/revoke")

    def me(self) -> Json:
        return self._call("GET", "/v1/me")

    # Agents and pacts ---------------------------------------------------------------------

    def register_agent(self, name: str, model_family: str, operator_address: str | None = None) -> Json:
        body = _drop_none(name=name, model_family=model_family, operator_address=operator_address)
        return self._call("POST", "/v1/agents", json=body)

    def agents(self, operator_id: str | None = None, limit: int = 50) -> Iterator[Json]:
        return self._pages("/v1/agents", {"operator_id": operator_id}, limit)

    def agent(self, agent_id: str) -> Json:
        return self._call("GET", f"/v1/agents/{agent_id}")

    def publish_pact(
        self, agent_id: str, document: bytes, content_type: str, *, allow_superseded: bool = False
    ) -> Json:
        """``allow_superseded``: new buyers may still accept the pact's earlier versions."""
        return self._call(
            "POST",
            f"/v1/agents/{agent_id}/pacts",
            content=document,
            headers={"Content-Type": content_type},
            params={"allow_superseded": "true"} if allow_superseded else None,
        )

    def publish_pact_file(self, agent_id: str, path: Path, *, allow_superseded: bool = False) -> Json:
        kind = "application/json" if path.suffix.lower() == ".json" else "application/yaml"
        return self.publish_pact(agent_id, path.read_bytes(), kind, allow_superseded=allow_superseded)

    def pacts(self, agent_id: str | None = None, limit: int = 50) -> Iterator[Json]:
        return self._pages("/v1/pacts", {"agent_id": agent_id}, limit)

    def pact(self, pact_id: str) -> Json:
        return self._call("GET", f"/v1/pacts/{pact_id}")

    def pact_version(self, pact_id: str, version: int) -> Json:
        return self._call("GET", f"/v1/pacts/{pact_id}/versions/{version}")

    # Acceptances and tasks ----------------------------------------------------------------

    def accept(
        self,
        pact_id: str,
        *,
        mode: Mode,
        price_per_task: int,
        expires_in_seconds: int,
        pool_size: int | None = None,
        max_tasks: int | None = None,
        pact_version: int | None = None,
    ) -> Json:
        escrow = _drop_none(
            mode=mode,
            price_per_task=price_per_task,
            pool_size=pool_size,
            max_tasks=max_tasks,
            expires_in_seconds=expires_in_seconds,
        )
        return self._call(
            "POST", "/v1/acceptances", json=_drop_none(pact_id=pact_id, pact_version=pact_version, escrow=escrow)
        )

    def acceptances(self, pact_id: str | None = None, limit: int = 50) -> Iterator[Json]:
        return self._pages("/v1/acceptances", {"pact_id": pact_id}, limit)

    def acceptance(self, acceptance_id: str) -> Json:
        return self._call("GET", f"/v1/acceptances/{acceptance_id}")

    def revoke_acceptance(self, acceptance_id: str, reason: str = "") -> Json:
        return self._call("POST", f"/v1/acceptances/{acceptance_id}/revoke", json={"reason": reason})

    def submit_task(self, acceptance_id: str, task: Json) -> Json:
        """``task``: idempotency_key, input, output, tool_calls, latency_ms, cost, tokens,
        reference, escrow_job_id (see TaskCreate in the OpenAPI document)."""
        return self._call("POST", f"/v1/acceptances/{acceptance_id}/tasks", json=task)

    def dispute_task(self, task_id: str, reason: str) -> Json:
        """The agent's operator disputes a buyer-only report (docs/evaluation.md, "Evidence provenance")."""
        return self._call("POST", f"/v1/tasks/{task_id}/dispute", json={"reason": reason})

    def register_endpoint(self, agent_id: str, base_url: str) -> Json:
        """Where the agent answers; the gateway forwards buyers' calls only there."""
        return self._call("POST", f"/v1/agents/{agent_id}/endpoint", json={"base_url": base_url})

    def tasks(self, acceptance_id: str, limit: int = 50) -> Iterator[Json]:
        return self._pages(f"/v1/acceptances/{acceptance_id}/tasks", {}, limit)

    def task(self, task_id: str) -> Json:
        return self._call("GET", f"/v1/tasks/{task_id}")

    # Plumbing -----------------------------------------------------------------------------

    def _pages(self, path: str, filters: dict[str, Any], limit: int) -> Iterator[Json]:
        params = {k: v for k, v in filters.items() if v is not None} | {"limit": limit}
        while True:
            page = self._call("GET", path, params=params)
            yield from page["items"]
            if not page.get("next_cursor"):
                return
            params["cursor"] = page["next_cursor"]

    def _call(self, method: str, path: str, **kwargs: Any) -> Json:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise RegistryRequestFailed(0, "unreachable", f"cannot reach {self.base_url}: {exc}") from exc
        if response.is_success:
            return response.json()
        try:
            error = response.json()["error"]
            fields = [FieldProblem(f["pointer"], f["message"], f.get("in", "body")) for f in error.get("fields", [])]
            raise RegistryRequestFailed(response.status_code, error["code"], error["message"], fields)
        except (ValueError, KeyError, TypeError):
            raise RegistryRequestFailed(response.status_code, "http_error", response.text[:500]) from None


def _drop_none(**values: Any) -> Json:
    return {k: v for k, v in values.items() if v is not None}


# Glue for the `pactline` command groups -----------------------------------------------------


@contextmanager
def registry() -> Iterator[RegistryClient]:
    """A client for PACTLINE_REGISTRY_URL with PACTLINE_API_KEY; refusals exit non-zero, explained."""
    client = RegistryClient()
    try:
        yield client
    except RegistryRequestFailed as exc:
        typer.echo(f"error: {exc}", err=True)
        for problem in exc.fields:
            typer.echo(f"  {problem}", err=True)
        raise typer.Exit(1) from None
    finally:
        client.close()


def show(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, sort_keys=True))


def show_all(items: Callable[[], Iterator[Any]]) -> None:
    show(list(items()))

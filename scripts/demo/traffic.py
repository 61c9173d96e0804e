"""The tasks: buyers call agents through the gateway (the platform measures each call and
records it), and Initech also runs some tasks itself and reports them to the registry, each
report countersigned by the provider (EIP-712, with the provider's own key) or, when the
provider will not sign what the buyer claims, reported alone and disputed by the provider."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from pactline_cli.registry_client import RegistryClient
from pactline_evidence import TaskReport, countersign

from .escrow_side import Wallets
from .onboarding import Acceptance
from .plan import PRICE_PER_TASK
from .platform import Platform
from .prompts import PROMPTS

# What the gateway answers until it has read the new key, acceptance or endpoint from the log
# (docs/gateway.md, "Trade-offs"): worth waiting for, briefly.
NOT_KNOWN_YET = frozenset({"invalid_api_key", "acceptance_not_found", "agent_endpoint_missing"})
KNOWN_WITHIN_S = 90.0
CLAIMED_EXTRA_LATENCY_MS = 2_500  # what a buyer's slow side of the network adds to its own measurement


@dataclass(frozen=True)
class Task:
    acceptance: Acceptance
    task_id: str
    provenance: str  # gateway, countersigned or buyer_only
    job_id: int | None = None


class Refused(Exception):
    def __init__(self, where: str, status: int, code: str, message: str) -> None:
        super().__init__(f"{where} refused: {status} {code}: {message}")
        self.code = code


def _messages(prompt: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": prompt}]


def _error(response: httpx.Response) -> tuple[str, str]:
    try:
        error = response.json()["error"]
        return str(error.get("code", "unknown")), str(error.get("message", ""))
    except (ValueError, KeyError, TypeError):
        return "http_error", response.text[:200]


class Traffic:
    def __init__(
        self, platform: Platform, wallets: Wallets, evaluator: str, run_id: str, advance: Callable[[str], None]
    ) -> None:
        self.platform = platform
        self.wallets = wallets
        self.evaluator = evaluator
        self.run_id = run_id
        self.advance = advance
        self.concurrency = asyncio.Semaphore(12)
        self.tasks: list[Task] = []

    @staticmethod
    def _prompt(acceptance: Acceptance, n: int) -> str:
        return PROMPTS[n % len(PROMPTS)]

    async def run(self, acceptances: list[Acceptance]) -> list[Task]:
        async with (
            httpx.AsyncClient(base_url=self.platform.gateway, timeout=120) as gateway,
            httpx.AsyncClient(base_url=self.platform.agents, timeout=120) as agents,
        ):
            await asyncio.gather(*(self._lane(a, gateway, agents) for a in acceptances))
        return self.tasks

    async def _lane(self, acceptance: Acceptance, gateway: httpx.AsyncClient, agents: httpx.AsyncClient) -> None:
        lane = acceptance.lane
        jobs: list[int | None] = [None] * lane.tasks
        if lane.mode == "per_task":
            for n in range(lane.tasks):
                jobs[n] = await self.wallets.fund_job(acceptance, self.evaluator, PRICE_PER_TASK, n)
                self.advance("jobs")

        async def one(n: int) -> None:
            async with self.concurrency:
                if lane.route == "gateway":
                    task = await self._through_gateway(gateway, acceptance, n, jobs[n])
                else:
                    task = await self._reported(agents, acceptance, n)
            self.tasks.append(task)
            self.advance(lane.route)

        await asyncio.gather(*(one(n) for n in range(lane.tasks)))

    async def _through_gateway(
        self, http: httpx.AsyncClient, acceptance: Acceptance, n: int, job_id: int | None
    ) -> Task:
        options: dict[str, str] = {"idempotency_key": f"{self.run_id}-{n}"}
        if job_id is not None:
            options["escrow_job_id"] = str(job_id)
        body = {"model": "demo", "messages": _messages(self._prompt(acceptance, n)), "pactline": options}
        headers = {"Authorization": f"Bearer {acceptance.buyer.api_key}"}
        deadline = time.monotonic() + KNOWN_WITHIN_S
        while True:
            response = await http.post(
                f"/v1/acceptances/{acceptance.acceptance_id}/chat/completions", json=body, headers=headers
            )
            if response.status_code == 200:
                break
            code, message = _error(response)
            if code not in NOT_KNOWN_YET or time.monotonic() > deadline:
                raise Refused("the gateway", response.status_code, code, message)
            await asyncio.sleep(0.5)
        task_id = response.headers["x-pactline-task-id"]
        if job_id is not None:
            output = response.json()["choices"][0]["message"]["content"]
            await self.wallets.submit(acceptance, job_id, output)
            self.advance("submits")
        return Task(acceptance, task_id, "gateway", job_id)

    async def _reported(self, http: httpx.AsyncClient, acceptance: Acceptance, n: int) -> Task:
        """Initech calls the agent's endpoint itself, measures the call, and reports the task."""
        prompt = self._prompt(acceptance, n)
        started = time.perf_counter()
        response = await http.post(
            f"/agents/{acceptance.agent.spec.behaviour}/v1/chat/completions",
            json={"model": "demo", "messages": _messages(prompt)},
        )
        latency_ms = int((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise Refused("the agent", response.status_code, *_error(response))
        answer = response.json()
        usage = answer.get("usage") or {}
        unsigned = acceptance.lane.is_unsigned(n)
        report = {
            "idempotency_key": f"{self.run_id}-{n}",
            "input": json.dumps(_messages(prompt), ensure_ascii=False, separators=(",", ":")),
            "output": answer["choices"][0]["message"]["content"],
            "latency_ms": latency_ms + (CLAIMED_EXTRA_LATENCY_MS if unsigned else 0),
            "cost": PRICE_PER_TASK,
            "tokens": usage.get("total_tokens", 0),
            "input_tokens": usage.get("prompt_tokens"),
            "output_tokens": usage.get("completion_tokens"),
        }
        if not unsigned:
            # The provider checks the report against what its agent did, and signs it.
            signed = countersign(
                TaskReport.model_validate({**report, "acceptance_id": acceptance.acceptance_id}),
                acceptance.agent.spec.operator.private_key,
            )
            report["countersignature"] = {"signer": signed.signer, "signature": signed.signature}
        task = await asyncio.to_thread(self._submit, acceptance, report)
        if unsigned:
            await asyncio.to_thread(self._dispute, acceptance, task["task_id"], latency_ms)
            self.advance("disputes")
        return Task(acceptance, task["task_id"], "buyer_only" if unsigned else "countersigned")

    def _submit(self, acceptance: Acceptance, report: dict) -> dict:
        with RegistryClient(self.platform.registry, acceptance.buyer.api_key) as buyer:
            return buyer.submit_task(acceptance.acceptance_id, report)

    def _dispute(self, acceptance: Acceptance, task_id: str, measured_ms: int) -> None:
        with RegistryClient(self.platform.registry, acceptance.agent.operator.api_key) as operator:
            operator.dispute_task(task_id, f"our agent answered in about {measured_ms} ms, not what the buyer reported")

"""The whole platform in one process, for the demo's end-to-end test (tests/e2e/test_demo_flow.py):
the six services on free ports, each in a fresh schema (dropped afterwards) and with its
consumer group positioned at the end of the shared log; the SIMULATED judge server answering
from the demo's answer key; the SIMULATED agents; freshly deployed escrow contracts. It yields
the demo's `Platform`, so the demo's own scenario code runs against it unchanged."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx

from demo.platform import Platform
from demo.prompts import ANSWER_KEY_FILE
from gateway_testkit import PEPPER, gateway_settings
from live_server import free_port, serving
from pactline_escrow.chain import account_from_key, connect
from pactline_escrow.deploy import deploy
from pactline_evaluator.app import SPEC as EVALUATOR
from pactline_evaluator.settings import EvaluatorSettings
from pactline_events import EVENT_TOPICS
from pactline_gateway import simulated_agents
from pactline_gateway.app import SPEC as GATEWAY
from pactline_jury import judge_server
from pactline_jury.app import SPEC as JURY
from pactline_jury.settings import JurySettings
from pactline_registry.app import SPEC as REGISTRY
from pactline_scoring.app import SPEC as SCORING
from pactline_scoring.settings import ScoringSettings
from pactline_service import ServiceSpec, build_app
from pactline_settlement.app import SPEC as SETTLEMENT
from registry_testkit import BOOTSTRAP_KEY, registry_settings
from settlement_chain import funded_account, service_settings
from topic_reader import start_group_at_end
from waiting import wait_for

# anvil's account 0 (public test key): deploys the test's own escrow contracts.
DEPLOYER_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
TOPICS = {spec.name: spec for spec in EVENT_TOPICS}
ANVIL = Path(__file__).resolve().parents[2] / "node_modules" / ".bin" / "anvil"


@contextlib.asynccontextmanager
async def private_anvil() -> AsyncIterator[str]:
    """A fresh anvil of the project's own (node_modules) on a free port; yields its RPC URL.

    The demo holds INCONCLUSIVE verdicts until the pact's dispute window closes on the chain's
    clock, and opens pools that expire with their acceptances (wall clock): the session's shared
    anvil runs days ahead of the wall clock once the settlement and escrow tests have moved its time
    forward, so the demo's flow gets a chain whose clock is the wall clock."""
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        str(ANVIL),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--chain-id",
        "31337",
        "--accounts",
        "10",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"

    async def answers() -> bool:
        if process.returncode is not None:
            raise RuntimeError(f"anvil exited with {process.returncode}")
        try:
            async with httpx.AsyncClient(timeout=2) as client:
                body = {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}
                return (await client.post(url, json=body)).status_code == 200
        except httpx.TransportError:
            return False

    try:
        await wait_for(answers, timeout=60, interval=0.2, what=f"anvil on {url}")
        yield url
    finally:
        if process.returncode is None:
            process.terminate()
            await process.wait()


async def deploy_contracts(rpc: str, directory: Path) -> tuple[Path, str]:
    """Fresh contracts, and a fresh funded evaluator key for this test's settlement service (its
    signer lease is per chain and address, database-wide)."""
    w3 = connect(rpc)
    try:
        deployment = await deploy(w3, account_from_key(DEPLOYER_KEY))
        evaluator = await funded_account(w3)
    finally:
        await w3.provider.disconnect()
    path = directory / "deployment.json"
    # The registry checks that jobs and pools name this evaluator, as `make contracts` records it.
    deployment.model_copy(update={"evaluator": evaluator.address}).save(path)
    return path, "0x" + bytes(evaluator.key).hex()


async def _from_the_end(kafka: str, spec: ServiceSpec) -> None:
    """This test's events only: the group skips whatever the shared log already holds."""
    for topic in spec.handlers.topics if spec.handlers else ():
        await start_group_at_end(kafka, spec.name, TOPICS[topic])


@contextlib.asynccontextmanager
async def running_platform(
    database_url: str, kafka: str, rpc: str, schema: str, directory: Path
) -> AsyncIterator[Platform]:
    deployment_file, evaluator_key = await deploy_contracts(rpc, directory)
    common = {"database_url": database_url, "kafka_bootstrap": kafka, "eth_rpc_url": rpc, "log_format": "text"}
    services = (
        (REGISTRY, registry_settings(database_url, kafka, rpc_url=rpc, deployment_file=deployment_file)),
        (GATEWAY, gateway_settings(database_url, kafka)),
        # The evaluator's read API checks registry keys: the registry's pepper.
        (EVALUATOR, EvaluatorSettings(**common, registry_key_pepper=PEPPER)),
        (JURY, JurySettings(**common)),
        # A fresh schema knows nothing of what the shared log's scoring already announced: announcing
        # again would fork every agent's trust-<agent> stream. The oracle's figures do not need it.
        (SCORING, ScoringSettings(**common, scoring_announce=False)),
        (
            SETTLEMENT,
            service_settings(database_url, kafka, rpc, deployment_file, evaluator_key, settlement_batch_max_age_s=1),
        ),
    )
    schemas = []
    async with contextlib.AsyncExitStack() as stack:
        urls = {}
        for spec, settings in services:
            await _from_the_end(kafka, spec)
            schemas.append(f"{schema}_{spec.schema}")
            app = build_app(dataclasses.replace(spec, schema=schemas[-1]), settings)
            urls[spec.name] = await stack.enter_async_context(serving(app))
        agents = await stack.enter_async_context(
            serving(simulated_agents.create_app(sloppy_delay_ms=2500), lifespan="off")
        )
        try:
            yield Platform(
                registry=urls[REGISTRY.name],
                evaluator=urls[EVALUATOR.name],
                jury=urls[JURY.name],
                scoring=urls[SCORING.name],
                settlement=urls[SETTLEMENT.name],
                gateway=urls[GATEWAY.name],
                agents=agents,
                kafka=kafka,
                rpc=rpc,
                deployment_file=deployment_file,
                admin_key=BOOTSTRAP_KEY,
            )
        finally:
            await stack.aclose()
            conn = await asyncpg.connect(database_url)
            try:
                for name in schemas:
                    await conn.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")
            finally:
                await conn.close()


@contextlib.asynccontextmanager
async def simulated_judges() -> AsyncIterator[str]:
    """The judge server on a free port, grading from the demo's answer key; yields its /v1 URL."""
    async with judge_server.running(judge_server.AnswerKey.load(ANSWER_KEY_FILE)) as url:
        yield url

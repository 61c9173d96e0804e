"""`make demo`: the local Pactline stack, every service ready, and the registry part of the
scenario run for real: principals, an agent, a published pact, an acceptance, the buyer's pool
funded on the local chain, and a task, whose events are then read back from Kafka and their
hash chains verified.

Later milestones extend the scenario (evaluate, judge, settle, score).
"""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from datetime import datetime
from pathlib import Path

import httpx

from pactline_cli.registry_client import RegistryClient, RegistryRequestFailed
from pactline_escrow import BuyerClient, Deployment
from pactline_escrow import settings as escrow_settings
from pactline_escrow.chain import account_from_key, connect
from pactline_escrow.ids import bytes32_from_identifier
from pactline_events import decode, verify_chain
from pactline_events.topics import ACCEPTANCES, AGENTS, PACTS
from pactline_messaging import endpoints
from pactline_messaging.log_reader import read_stream

ROOT = Path(__file__).resolve().parents[1]
SERVICES = {"pact-registry": 8101, "evaluator": 8102, "jury": 8103, "scoring": 8104, "settlement": 8105}
# anvil's well-known test accounts 1 and 2: the provider (operator) and the buyer. Their keys
# are public test keys, worthless anywhere but a local development chain.
OPERATOR_ADDRESS = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
BUYER_ADDRESS = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"
BUYER_KEY = "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a"


def step(text: str) -> None:
    print(f"==> {text}", flush=True)


def show_stack() -> int:
    kafka = endpoints.kafka_bootstrap()
    rpc = endpoints.eth_rpc_url()
    local_pg = endpoints.local_database_url().rsplit("@", 1)[1]
    chain = httpx.post(rpc, json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}, timeout=5)
    print("Pactline local stack")
    print(f"  Kafka (KRaft)  {kafka}")
    print("  PostgreSQL     " + ("PACTLINE_DATABASE_URL" if os.environ.get("PACTLINE_DATABASE_URL") else local_pg))
    print(f"  anvil          {rpc} (chain id {int(chain.json()['result'], 16)})")
    print()
    print(f"  {'service':<15}{'url':<26}{'database':<10}{'broker':<10}")
    failures = 0
    for name, port in SERVICES.items():
        url = f"http://127.0.0.1:{port}"
        try:
            checks = httpx.get(f"{url}/ready", timeout=5).json().get("checks", {})
        except httpx.HTTPError as exc:
            checks = {"database": f"down ({type(exc).__name__})", "broker": "?"}
        ok = checks.get("database") == "ok" and checks.get("broker") == "ok"
        failures += not ok
        state = "ready" if ok else "NOT READY"
        print(f"  {name:<15}{url:<26}{checks.get('database', '?'):<10}{checks.get('broker', '?'):<10}{state}")
    print()
    return failures


def registry_scenario() -> dict[str, str]:
    admin_key = (
        os.environ.get("PACTLINE_REGISTRY_BOOTSTRAP_ADMIN_KEY")
        or (ROOT / ".local" / "services" / "bootstrap-admin.key").read_text().strip()
    )
    run = uuid.uuid4().hex[:6]
    with RegistryClient("http://127.0.0.1:8101", admin_key) as admin:
        step("admin creates an operator and a buyer (API keys are shown once)")
        operator = admin.create_principal("operator", f"Acme Agents {run}", OPERATOR_ADDRESS)
        buyer = admin.create_principal("buyer", f"Globex Support {run}", BUYER_ADDRESS)
    with RegistryClient("http://127.0.0.1:8101", operator["key"]["api_key"]) as op:
        step("operator registers an agent and publishes examples/pacts/customer-support.yaml")
        agent = op.register_agent(f"support-bot-{run}", "anthropic")
        pact = op.publish_pact_file(agent["agent_id"], ROOT / "examples" / "pacts" / "customer-support.yaml")
        print(f"    pact {pact['pact_id']} v{pact['version']}, hash {pact['pact_hash']}")
    with RegistryClient("http://127.0.0.1:8101", buyer["key"]["api_key"]) as shopper:
        step("buyer accepts it: aggregate escrow, 0.05 USDC per task, a 5 USDC pool, 7 days")
        acceptance = shopper.accept(
            pact["pact_id"],
            mode="aggregate",
            price_per_task=50_000,
            pool_size=5_000_000,
            expires_in_seconds=7 * 86_400,
        )
        step("buyer funds the acceptance's pool on chain with its own key (the registry checks it)")
        asyncio.run(fund_pool(acceptance))
        step("buyer submits a completed task (twice, with the same idempotency key)")
        task = {
            "idempotency_key": f"demo-{run}-1",
            "input": "Where is my order #1234?",
            "output": "Your order shipped yesterday; the tracking number is ZX12.",
            "tool_calls": [{"name": "lookup_order", "arguments": {"order": 1234}}],
            "latency_ms": 850,
            "cost": 1_200,
            "tokens": 310,
        }
        first = shopper.submit_task(acceptance["acceptance_id"], task)
        again = shopper.submit_task(acceptance["acceptance_id"], task)
        assert first["task_id"] == again["task_id"], "idempotency key must give the same task"
        print(f"    task {first['task_id']} (the retry returned the same task)")
    return {
        "agent": f"agent-{agent['agent_id']}",
        "pact": f"pact-{pact['pact_id']}",
        "acceptance": f"acceptance-{acceptance['acceptance_id']}",
    }


async def fund_pool(acceptance: dict) -> None:
    """Open and fund the buyer's pool for the acceptance with exactly the accepted terms; the
    local MockUSDC is minted to the buyer first (anyone may mint it, on local chains only)."""
    deployment = Deployment.load(escrow_settings.deployment_file())
    w3 = connect(endpoints.eth_rpc_url())
    try:
        buyer = BuyerClient(w3, account_from_key(BUYER_KEY), deployment)
        escrow = acceptance["escrow"]
        await buyer.signer.send(buyer.reader.token().functions.mint(buyer.address, escrow["pool_size"]))
        chain_now = (await w3.eth.get_block("latest"))["timestamp"]
        accepted_until = int(datetime.fromisoformat(acceptance["expires_at"]).timestamp())
        opened = await buyer.open_pool(
            acceptance["provider_address"],
            deployment.evaluator,
            max(chain_now, accepted_until) + 3600,  # the pool lasts at least as long as the acceptance
            bytes.fromhex(acceptance["pact_hash"]),
            bytes32_from_identifier(acceptance["acceptance_id"]),
            escrow["pool_size"],
            escrow["price_per_task"],
        )
        print(f"    pool 0x{opened.pool_id.hex()} funded with {escrow['pool_size']} USDC minor units")
    finally:
        await w3.provider.disconnect()


async def read_back(streams: dict[str, str]) -> None:
    step("reading the events back from Kafka and verifying each stream's hash chain")
    topics = {"agent": AGENTS, "pact": PACTS, "acceptance": ACCEPTANCES}
    for kind, stream in streams.items():
        for _ in range(50):  # the outbox relay publishes within moments of the commit
            raw = await read_stream(endpoints.kafka_bootstrap(), topics[kind], stream)
            if raw and (kind != "acceptance" or len(raw) >= 2):
                break
            await asyncio.sleep(0.2)
        heads = verify_chain(raw).heads
        events = ", ".join(f"{decode(r).event_type}#{decode(r).stream_seq}" for r in raw)
        print(f"    {stream}: {events}  (chain ok, head {heads[stream].hash[:16]}...)")


def main() -> int:
    if show_stack():
        print("some services are not ready: see .local/services/*.log", file=sys.stderr)
        return 1
    try:
        streams = registry_scenario()
    except RegistryRequestFailed as exc:
        print(f"registry refused a demo request: {exc}", file=sys.stderr)
        return 1
    asyncio.run(read_back(streams))
    print()
    print("Done. API docs: http://127.0.0.1:8101/docs  -  everything keeps running; `make down` stops it.")
    return 0


if __name__ == "__main__":
    sys.exit(main())

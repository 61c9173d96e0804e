"""Never twice: the service is killed (kill -9, a real process) after it sent a payment and
before it recorded the outcome; after a restart there is exactly one payment on chain and the
ledger equals the chain. Twice over: once when the transaction reached the node before the
crash, once when it never did (dropped from the node's pool, as a crash before the broadcast
would leave it)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import asyncpg
import httpx
import pytest
from eth_account import Account
from eth_utils import keccak
from web3.exceptions import TransactionNotFound

from pactline_escrow import JobStatus
from pactline_events.topics import ACCEPTANCES, VERDICTS
from settlement_chain import PRICE, new_deal, settle_events, wait_until
from topic_reader import start_group_at_end

pytestmark = pytest.mark.infra
ROOT = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServiceProcess:
    def __init__(self, env: dict[str, str], schema: str, name: str, port: int, log) -> None:
        self.env, self.schema, self.name, self.port, self.log = env, schema, name, port, log
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).parent / "settlement_process.py"), self.schema, self.name],
            env=self.env,
            cwd=ROOT,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    async def signer(self) -> dict | None:
        try:
            async with httpx.AsyncClient() as http:
                response = await http.get(f"http://127.0.0.1:{self.port}/v1/settlements/signer", timeout=2)
        except httpx.HTTPError:
            return None
        return response.json() if response.status_code == 200 else None

    def kill(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        assert self.proc.wait(timeout=10) == -signal.SIGKILL

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
async def process_env(database_url, kafka_topics, eth_rpc_url, deployment_file, evaluator_key, db_schema, tmp_path):
    name = f"settlement-{uuid.uuid4().hex[:8]}"
    for topic in (ACCEPTANCES, VERDICTS):
        await start_group_at_end(kafka_topics, name, topic)
    port = free_port()
    env = {
        **os.environ,
        "PACTLINE_DATABASE_URL": database_url,
        "PACTLINE_KAFKA_BOOTSTRAP": kafka_topics,
        "PACTLINE_ETH_RPC_URL": eth_rpc_url,
        "PACTLINE_DEPLOYMENT_FILE": str(deployment_file),
        "PACTLINE_SETTLEMENT_SIGNER_KEY": evaluator_key,
        "PACTLINE_SETTLEMENT_CONFIRMATIONS": "1",
        "PACTLINE_SETTLEMENT_POLL_INTERVAL_S": "0.2",
        "PACTLINE_HTTP_PORT": str(port),
        "PACTLINE_LOG_FORMAT": "text",
    }
    processes: list[ServiceProcess] = []
    log = (tmp_path / "settlement.log").open("a")  # both processes' output, for a failing run

    def make() -> ServiceProcess:
        process = ServiceProcess(env, db_schema, name, port, log)
        processes.append(process)
        return process

    yield make
    for process in processes:
        process.stop()
    log.close()


async def signing(process: ServiceProcess):
    found = await process.signer()
    return found if found and found["active"] and found["reconciled"] else None


@pytest.mark.parametrize("reached_the_node", [True, False], ids=["sent", "never-reached-the-node"])
async def test_killed_between_sending_and_recording_pays_exactly_once(
    process_env, chain, publisher, kafka_topics, database_url, db_schema, evaluator_key, reached_the_node
):
    evaluator = Account.from_key(evaluator_key).address
    deal = await new_deal(chain, publisher, evaluator, "per_task")
    await deal.accept()
    job = await deal.funded_job()
    task = deal.task_id()
    await deal.complete_task(task, job)
    await deal.submit(job)
    provider_before = await chain.balance(deal.provider.address)

    first = process_env()
    first.start()
    await wait_until(lambda: signing(first), timeout=120, what="the first process signing")

    db = await asyncpg.connect(database_url, server_settings={"search_path": db_schema})
    await chain.rpc("evm_setAutomine", [False])
    try:
        await deal.judge(task, "PASS", job)

        async def in_the_pool():
            row = await db.fetchrow("SELECT a.tx_hash FROM tx_attempts a JOIN transactions t USING (tx_id)")
            if row is None:
                return None
            try:
                tx = await chain.w3.eth.get_transaction(bytes(row["tx_hash"]))
            except TransactionNotFound:
                return None  # journaled before it is sent, by design: not in the pool yet
            return bytes(row["tx_hash"]) if tx["blockNumber"] is None else None

        tx_hash = await wait_until(in_the_pool, what="the signed complete in the node's pool")
        first.kill()
        # Killed: the journal knows the signed bytes, nothing knows the outcome.
        assert await db.fetchval("SELECT status FROM transactions") == "signed"
        if reached_the_node:
            await chain.mine()  # the payment happens while the service is dead
        else:
            await chain.rpc("anvil_dropTransaction", ["0x" + tx_hash.hex()])
    finally:
        await chain.rpc("evm_setAutomine", [True])

    second = process_env()
    second.start()

    async def recorded():
        row = await db.fetchrow("SELECT status, broadcasts FROM transactions")
        return row if row["status"] == "confirmed" else None

    await wait_until(recorded, timeout=120, what="the restarted service to record the payment")

    async def in_ledger():
        row = await db.fetchrow("SELECT released FROM ledger_acceptances WHERE acceptance_id = $1", deal.acceptance_id)
        return row is not None and int(row["released"]) == PRICE

    await wait_until(in_ledger, what="the release in the rebuilt-from-log ledger")

    # Exactly one payment on chain, one journaled transaction, one nonce used.
    topic = "0x" + keccak(text="PaymentReleased(uint256,address,address,uint256)").hex()
    logs = await chain.w3.eth.get_logs(
        {
            "fromBlock": 0,
            "toBlock": "latest",
            "address": chain.deployment.agentic_commerce,
            "topics": [topic, "0x" + job.to_bytes(32, "big").hex()],
        }
    )
    assert len(logs) == 1
    assert await chain.balance(deal.provider.address) - provider_before == PRICE
    assert (await chain.reader.get_job(job)).status is JobStatus.COMPLETED
    assert await db.fetchval("SELECT count(*) FROM transactions") == 1
    assert await db.fetchval("SELECT count(*) FROM tx_attempts") == 1
    assert await chain.w3.eth.get_transaction_count(evaluator) == 1
    settled = [e for e in await settle_events(kafka_topics, deal.acceptance_id) if e.event_type == "EscrowSettled"]
    assert [(e.payload.cause, e.payload.released) for e in settled] == [("completed", PRICE)]
    await db.close()

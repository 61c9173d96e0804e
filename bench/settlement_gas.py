"""Gas per settled task THROUGH the settlement service, per_task against aggregate batches of
1, 10, 100 and 1000 tasks, next to the floor, with the ratio between the modes.

Real Kafka, PostgreSQL and anvil (`make up`): fresh contracts, a buyer and a provider acting with
their own keys, and the settlement service running in-process with its own schema and evaluator
key. The events a task produces (PactAccepted, TaskCompleted, VerdictIssued) go on the broker;
the service decides, journals and sends its transactions itself; their gas is read from its
journal (the receipts it recorded), the buyer's and provider's from their receipts.

Per settled task:
- per_task: createJob + setBudget + fund (buyer) + submit (provider) + complete (the service).
- aggregate, N tasks per batch: (openPool (buyer) + settleBatch (the service) + one provider
  withdraw) / N; 1 task in 10 fails and is refunded, as in bench/gas.py.

The floor is what paying a task's price costs without any escrow, measured in the same run:
one ERC-20 transfer transaction from buyer to provider (`direct`), and, for a batch, that one
transfer shared by its N tasks (`netted`: nothing can pay N tasks for less). Every comparison
is a ratio. Prints one JSON object.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "support"))

import asyncpg
from eth_account import Account

from pactline_escrow.chain import Signer
from pactline_escrow.ids import bytes32_from_identifier
from pactline_messaging import endpoints, ensure_topics, idempotent_producer
from pactline_service.runtime import running
from settlement_chain import (
    PRICE,
    Publisher,
    funded_account,
    new_chain,
    new_deal,
    service_settings,
    service_spec,
)
from waiting import wait_for

BATCH_SIZES = (1, 10, 100, 1000)
OUTPUT_DIGEST = hashlib.sha256(b"order #12 ships today").digest()  # what settlement_chain's tasks output
JOBS = 5
TIMEOUT_S = 600


async def journal_gas(pool: asyncpg.Pool, kind: str, expected: int) -> list[int]:
    async def confirmed():
        rows = await pool.fetch(
            "SELECT gas_used FROM transactions WHERE kind = $1 AND status = 'confirmed' ORDER BY tx_id", kind
        )
        return [r["gas_used"] for r in rows] if len(rows) >= expected else None

    return await wait_for(confirmed, timeout=TIMEOUT_S, interval=0.25, what=f"{expected} confirmed {kind} transactions")


async def per_task_flow(chain, publisher, dsn: str, kafka: str, rpc: str, deployment_file: Path) -> dict:
    key = await _evaluator_key(chain)
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    spec = await service_spec(kafka, schema)
    settings = service_settings(dsn, kafka, rpc, deployment_file, key, log_level="WARNING")
    deal = await new_deal(chain, publisher, Account.from_key(key).address, "per_task")
    await chain.mint(deal.provider.address, 1)  # a provider who already holds USDC (steady state)
    client: list[dict[str, int]] = []
    async with running(spec, settings) as service:
        await deal.accept()
        for _ in range(JOBS + 1):  # the first is a warm-up: every address holds a balance after it
            created = await deal.buyer.create_job(deal.provider.address, deal.evaluator, await chain.now() + 7200, "t")
            job = created.job_id
            gas = {"createJob": created.tx.gas_used}
            gas["setBudget"] = (await deal.buyer.set_budget(job, PRICE)).gas_used
            gas["fund"] = (await deal.buyer.fund(job, PRICE)).gas_used
            task = deal.task_id()
            await deal.complete_task(task, job)
            gas["submit"] = (await deal.provider.submit(job, OUTPUT_DIGEST)).gas_used
            await deal.judge(task, "PASS", job)
            client.append(gas)
            await journal_gas(service.pool, "complete", len(client))
        completes = await journal_gas(service.pool, "complete", JOBS + 1)
    await _drop(schema)
    measured = [{**gas, "complete": done} for gas, done in zip(client[1:], completes[1:], strict=True)]
    average = {name: sum(m[name] for m in measured) // len(measured) for name in measured[0]}
    return {**average, "total": sum(average.values()), "service_share": average["complete"]}


async def aggregate_flow(chain, publisher, dsn: str, kafka: str, rpc: str, deployment_file: Path, size: int) -> dict:
    key = await _evaluator_key(chain)
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    spec = await service_spec(kafka, schema)
    settings = service_settings(
        dsn,
        kafka,
        rpc,
        deployment_file,
        key,
        log_level="WARNING",
        settlement_batch_max_tasks=size,
        settlement_batch_max_age_s=3600,
    )
    deal = await new_deal(chain, publisher, Account.from_key(key).address, "aggregate")
    await chain.mint(deal.provider.address, 1)  # a provider who already holds USDC (steady state)
    async with running(spec, settings) as service:
        await deal.accept()
        opened = await deal.buyer.open_pool(
            deal.provider.address,
            deal.evaluator,
            await chain.now() + 86_400,
            b"\x0a" * 32,
            bytes32_from_identifier(deal.acceptance_id),
            (size + 1) * PRICE,
            PRICE,
        )
        for i in range(size):
            task = deal.task_id()
            await deal.complete_task(task)
            await deal.judge(task, "FAIL" if i % 10 == 9 else "PASS")
        (settle,) = await journal_gas(service.pool, "settle_batch", 1)
        withdrawn = await deal.provider.withdraw_pool_credit(opened.pool_id)
    await _drop(schema)
    total = opened.tx.gas_used + settle + withdrawn.gas_used
    return {
        "openPool": opened.tx.gas_used,
        "settleBatch": settle,
        "withdraw": withdrawn.gas_used,
        "per_task": total // size,
        "service_share_per_task": settle // size,
    }


async def _evaluator_key(chain) -> str:
    account = await funded_account(chain.w3)
    return "0x" + bytes(account.key).hex()


async def _drop(schema: str) -> None:
    conn = await asyncpg.connect(endpoints.database_url())
    try:
        await conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    finally:
        await conn.close()


async def direct_transfer(chain) -> int:
    """The floor: one ERC-20 transfer from a buyer to a provider that already holds the token."""
    payer = await chain.party()
    payee = await chain.party()
    await chain.mint(payer.address, 10 * PRICE)
    await chain.mint(payee.address, 1)
    signer = Signer(chain.w3, payer)
    result = await signer.send(chain.reader.token().functions.transfer(payee.address, PRICE))
    return result.gas_used


def ratio(a: float, b: float) -> float:
    return round(a / b, 3)


async def main() -> dict:
    kafka, dsn, rpc = endpoints.kafka_bootstrap(), endpoints.database_url(), endpoints.eth_rpc_url()
    await ensure_topics(kafka)
    chain = await new_chain(rpc)
    deployment_file = Path(f"/tmp/pactline-bench-{uuid.uuid4().hex[:8]}.json")  # noqa: S108
    chain.deployment.save(deployment_file)
    producer = idempotent_producer(kafka, "bench-settlement")
    await producer.start()
    publisher = Publisher(producer)
    try:
        floor = await direct_transfer(chain)
        per_task = await per_task_flow(chain, publisher, dsn, kafka, rpc, deployment_file)
        # warm-up (not measured): the escrow holds a balance from then on, as in steady state
        await aggregate_flow(chain, publisher, dsn, kafka, rpc, deployment_file, 1)
        aggregate = {}
        for size in BATCH_SIZES:
            aggregate[str(size)] = await aggregate_flow(chain, publisher, dsn, kafka, rpc, deployment_file, size)
    finally:
        await producer.stop()
        await asyncio.to_thread(deployment_file.unlink, missing_ok=True)
    for size, figures in aggregate.items():
        figures["floor_netted_per_task"] = floor // int(size)
        figures["over_floor_netted"] = ratio(figures["per_task"], floor / int(size))
        figures["per_task_mode_over_this"] = ratio(per_task["total"], figures["per_task"])
    return {
        "price_per_task": PRICE,
        "through": "the settlement service (Kafka -> handlers -> journal -> chain), confirmations 1",
        "floor": {
            "direct_transfer_tx": floor,
            "definition": "paying a task's price with no escrow: one ERC-20 transfer tx buyer -> provider "
            "(netted: that one transfer shared by the N tasks of a batch)",
        },
        "per_task": {**per_task, "over_floor_direct": ratio(per_task["total"], floor)},
        "aggregate": aggregate,
        "ratios": {
            "per_task_over_aggregate_1000": ratio(per_task["total"], aggregate["1000"]["per_task"]),
            "aggregate_1000_over_floor_direct": ratio(aggregate["1000"]["per_task"], floor),
        },
    }


if __name__ == "__main__":
    # The in-process service's broker logs to stdout (a handler made at import): stdout carries
    # only the JSON, so file descriptor 1 points at stderr while the bench runs.
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        result = asyncio.run(main())
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
    json.dump(result, sys.stdout, indent=2)
    sys.stdout.write("\n")

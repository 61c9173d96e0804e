"""Gas per settled task: the per-task ERC-8183 job flow against aggregate pools settled in batches.

Deploys fresh contracts on the anvil at PACTLINE_ETH_RPC_URL (accounts are funded with
anvil_setBalance), measures each flow in steady state (every address already holds a token
balance, allowances already granted, as for a buyer and provider who have used Pactline before),
and prints one JSON object. The floor is built from components measured in the same run.
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import UTC, datetime

from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import AsyncWeb3

from pactline_escrow import BuyerClient, EvaluatorClient, ProviderClient
from pactline_escrow.artifacts import load_artifact
from pactline_escrow.chain import Signer, connect
from pactline_escrow.deploy import deploy, deploy_contract
from pactline_escrow.merkle import VerdictBatch, VerdictLeaf, VerdictOutcome
from pactline_messaging import endpoints

PRICE = 50_000  # 0.05 USDC per task
BATCH_SIZES = (1, 10, 100, 1000)
DAY = 86_400
MAX_UINT = 2**256 - 1
TARGET_RATIO_TO_JOB = 500
TARGET_RATIO_TO_FLOOR = 2.0


async def funded_account(w3: AsyncWeb3) -> LocalAccount:
    account = Account.create()
    await w3.provider.make_request("anvil_setBalance", [account.address, hex(10**21)])
    return account


def leaves_for(batch_seq: int, size: int) -> list[VerdictLeaf]:
    # one in ten tasks fails and is refunded, the rest pass and are released
    return [
        VerdictLeaf(
            task_id=(batch_seq * 1_000_000 + i).to_bytes(32, "big"),
            outcome=VerdictOutcome.FAIL if i % 10 == 9 else VerdictOutcome.PASS,
            released=0 if i % 10 == 9 else PRICE,
            refunded=PRICE if i % 10 == 9 else 0,
            evidence_digest=(i + 1).to_bytes(32, "big"),
        )
        for i in range(size)
    ]


async def job_flow(buyer, provider, evaluator, now: int) -> dict[str, int]:
    created = await buyer.create_job(provider.address, evaluator.address, now + DAY, "task")
    job_id = created.job_id
    gas = {"createJob": created.tx.gas_used}
    gas["setBudget"] = (await provider.set_budget(job_id, PRICE)).gas_used
    gas["fund"] = (await buyer.fund(job_id, PRICE)).gas_used
    gas["submit"] = (await provider.submit(job_id, b"\x01" * 32)).gas_used
    gas["complete"] = (await evaluator.complete(job_id, b"\x02" * 32)).gas_used
    return gas


async def pool_flow(buyer, provider, evaluator, now: int, size: int, tag: int) -> dict[str, int]:
    batch = VerdictBatch(leaves_for(tag, size))
    opened = await buyer.open_pool(
        provider.address,
        evaluator.address,
        now + DAY,
        b"\x0a" * 32,
        tag.to_bytes(32, "big"),
        size * PRICE,
    )
    settled = await evaluator.settle_batch(opened.pool_id, 1, batch)
    return {"openPool": opened.tx.gas_used, "settleBatch": settled.gas_used}


async def floor_components(w3: AsyncWeb3, admin: Signer, buyer, provider) -> dict[str, int]:
    usdc = buyer.reader.token()
    transfer = await buyer.signer.send(usdc.functions.transfer(provider.address, 1))
    # transferFrom by a third party with a finite allowance, as the escrow pulls a deposit
    await buyer.approve(buyer.reader.deployment.usdc, admin.address, 10**12)
    pull = await admin.send(usdc.functions.transferFrom(buyer.address, provider.address, 1))
    probe_address = await deploy_contract(admin, "GasProbe")
    probe = w3.eth.contract(address=probe_address, abi=load_artifact("GasProbe").abi)
    value = b"\x11" * 32
    stored = await admin.send(probe.functions.store(1, value))
    noop = await admin.send(probe.functions.noop(1, value))  # view, but sent as a transaction
    return {
        "tx_base": 21_000,
        "transfer_tx": transfer.gas_used,
        "transfer": transfer.gas_used - 21_000,
        "transfer_from": pull.gas_used - 21_000,
        "sstore_fresh_slot": stored.gas_used - noop.gas_used,
    }


async def main() -> dict[str, object]:
    w3 = connect(endpoints.eth_rpc_url())
    admin_account, b, p, e = [await funded_account(w3) for _ in range(4)]
    admin = Signer(w3, admin_account)
    deployment = await deploy(w3, admin_account)
    buyer = BuyerClient(w3, b, deployment)
    provider = ProviderClient(w3, p, deployment)
    evaluator = EvaluatorClient(w3, e, deployment)
    usdc = buyer.reader.token()
    await admin.send(usdc.functions.mint(buyer.address, 10**13))
    await admin.send(usdc.functions.mint(provider.address, 1))
    await buyer.approve(deployment.usdc, deployment.agentic_commerce, MAX_UINT)
    await buyer.approve(deployment.usdc, deployment.aggregate_escrow, MAX_UINT)
    now = (await w3.eth.get_block("latest"))["timestamp"]

    # warm-up (not measured): leaves both escrows holding a balance, as in steady state
    await job_flow(buyer, provider, evaluator, now)
    await buyer.open_pool(provider.address, evaluator.address, now + DAY, b"\x0a" * 32, b"\xff" * 32, PRICE)

    job = await job_flow(buyer, provider, evaluator, now)
    job_total = sum(job.values())
    floor_parts = await floor_components(w3, admin, buyer, provider)
    batch_floor = floor_parts["tx_base"] + 2 * floor_parts["transfer"] + floor_parts["sstore_fresh_slot"]
    funding_floor = floor_parts["tx_base"] + floor_parts["transfer_from"] + floor_parts["sstore_fresh_slot"]

    aggregate = {}
    for tag, size in enumerate(BATCH_SIZES, start=1):
        gas = await pool_flow(buyer, provider, evaluator, now, size, tag)
        total = gas["openPool"] + gas["settleBatch"]
        aggregate[str(size)] = {
            **gas,
            "per_task": total // size,
            "settle_per_task": gas["settleBatch"] // size,
            "floor_per_task": (batch_floor + funding_floor) // size,
        }
    at_1000 = aggregate["1000"]
    big = at_1000["openPool"] + at_1000["settleBatch"]
    settle_1000 = at_1000["settleBatch"]
    ratio_to_floor = big / (batch_floor + funding_floor)
    return {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "chain_id": await w3.eth.chain_id,
        "price_per_task": PRICE,
        "per_task_job": {**job, "total": job_total},
        "aggregate": aggregate,
        "floor": {
            **floor_parts,
            "per_batch": batch_floor,
            "per_pool_funding": funding_floor,
            "definition": "batch: tx_base + 2 transfers (release, refund) + 1 fresh slot (root); "
            "pool funding: tx_base + transferFrom + 1 fresh slot",
        },
        "ratios": {
            "job_per_task_over_aggregate_1000_per_task": round(job_total / (big / 1000), 1),
            "aggregate_1000_over_floor_incl_funding": round(ratio_to_floor, 3),
            "settle_batch_over_batch_floor": round(settle_1000 / batch_floor, 3),
            "aggregate_1000_over_batch_floor_only": round(big / batch_floor, 3),
        },
        "targets": {
            "aggregate_1000_at_most_1_over_500_of_job": job_total / (big / 1000) >= TARGET_RATIO_TO_JOB,
            "aggregate_1000_within_2x_of_floor_incl_funding": ratio_to_floor <= TARGET_RATIO_TO_FLOOR,
            "settle_batch_within_2x_of_batch_floor": settle_1000 / batch_floor <= TARGET_RATIO_TO_FLOOR,
            # the brief's literal floor leaves out funding the pool, which no design can skip
            "aggregate_1000_within_2x_of_batch_floor_only": big / batch_floor <= TARGET_RATIO_TO_FLOOR,
        },
    }


if __name__ == "__main__":
    result = asyncio.run(main())
    json.dump(result, sys.stdout, indent=2)
    sys.stdout.write("\n")

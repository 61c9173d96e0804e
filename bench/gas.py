"""Gas per settled task: the per-task ERC-8183 job flow against aggregate pools settled in batches,
for the hardened contracts, next to the figures of the contracts before hardening.

Deploys fresh contracts on the anvil at PACTLINE_ETH_RPC_URL (accounts are funded with
anvil_setBalance), measures each flow in steady state (every address already holds a token
balance, allowances already granted, as for a buyer and provider who have used Pactline before),
and prints one JSON object. Every comparison is a ratio: to the reference figures of the
previous contracts (fixed numbers, measured on 2026-11-26 with the same anvil) and to ERC-20
transfers measured in this run.
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import AsyncWeb3

from pactline_escrow import BuyerClient, EvaluatorClient, ProviderClient
from pactline_escrow.artifacts import load_artifact
from pactline_escrow.chain import Signer, connect
from pactline_escrow.deploy import deploy, deploy_contract
from pactline_escrow.merkle import VerdictBatch, VerdictLeaf, VerdictOutcome
from pactline_messaging import endpoints

# The bench-only GasProbe is compiled next to the escrow tests, not into the package.
TEST_ARTIFACTS = Path(__file__).resolve().parents[1] / "libs/escrow/tests/artifacts"
PRICE = 50_000  # 0.05 USDC per task
BATCH_SIZES = (1, 10, 100, 1000)
DAY = 86_400
MAX_UINT = 2**256 - 1

# The contracts before the security hardening (docs/escrow.md#gas), kept as the reference.
BEFORE = {
    "per_task_job": {
        "createJob": 120_525,
        "setBudget": 73_773,
        "fund": 75_980,
        "submit": 32_153,
        "complete": 53_766,
        "total": 356_197,
    },
    "aggregate_1000": {"openPool": 139_683, "settleBatch": 90_097, "per_task": 229},
}


async def funded_account(w3: AsyncWeb3) -> LocalAccount:
    account = Account.create()
    await w3.provider.make_request("anvil_setBalance", [account.address, hex(10**21)])
    return account


def batch_for(pool_id: bytes, batch_seq: int, size: int) -> VerdictBatch:
    # one in ten tasks fails and is refunded, the rest pass and are released
    leaves = [
        VerdictLeaf(
            pool_id=pool_id,
            batch_seq=batch_seq,
            task_id=(batch_seq * 1_000_000 + i).to_bytes(32, "big"),
            outcome=VerdictOutcome.FAIL if i % 10 == 9 else VerdictOutcome.PASS,
            released=0 if i % 10 == 9 else PRICE,
            refunded=PRICE if i % 10 == 9 else 0,
            evidence_digest=(i + 1).to_bytes(32, "big"),
        )
        for i in range(size)
    ]
    return VerdictBatch(pool_id, batch_seq, PRICE, leaves)


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
    """Open a pool for two batches of `size` (plus one spare task, so the escrow never runs
    empty between measurements), settle both, then the provider withdraws once."""
    opened = await buyer.open_pool(
        provider.address,
        evaluator.address,
        now + DAY,
        b"\x0a" * 32,
        tag.to_bytes(32, "big"),
        (2 * size + 1) * PRICE,
        PRICE,
    )
    first = await evaluator.settle_batch(batch_for(opened.pool_id, 1, size))
    second = await evaluator.settle_batch(batch_for(opened.pool_id, 2, size))
    withdrawn = await provider.withdraw_pool_credit(opened.pool_id)
    return {
        "openPool": opened.tx.gas_used,
        "settleBatch": first.gas_used,
        "settleBatch_next": second.gas_used,
        "withdraw": withdrawn.gas_used,
    }


async def transfer_costs(w3: AsyncWeb3, admin: Signer, buyer, provider) -> dict[str, int]:
    usdc = buyer.reader.token()
    to_holder = await buyer.signer.send(usdc.functions.transfer(provider.address, 1))
    to_new_holder = await buyer.signer.send(usdc.functions.transfer(Account.create().address, 1))
    # transferFrom by a third party with a finite allowance, as the escrow pulls a deposit
    await buyer.approve(buyer.reader.deployment.usdc, admin.address, 10**12)
    pull = await admin.send(usdc.functions.transferFrom(buyer.address, provider.address, 1))
    probe_address = await deploy_contract(admin, "GasProbe", directory=TEST_ARTIFACTS)
    probe = w3.eth.contract(address=probe_address, abi=load_artifact("GasProbe", TEST_ARTIFACTS).abi)
    value = b"\x11" * 32
    stored = await admin.send(probe.functions.store(1, value))
    noop = await admin.send(probe.functions.noop(1, value))  # view, but sent as a transaction
    return {
        "tx_base": 21_000,
        "transfer_to_holder_tx": to_holder.gas_used,
        "transfer_to_new_holder_tx": to_new_holder.gas_used,
        "transfer_from_tx": pull.gas_used,
        "sstore_fresh_slot": stored.gas_used - noop.gas_used,
    }


def ratio(a: float, b: float) -> float:
    return round(a / b, 3)


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
    await pool_flow(buyer, provider, evaluator, now, 1, 999)

    job = await job_flow(buyer, provider, evaluator, now)
    job_total = sum(job.values())
    transfers = await transfer_costs(w3, admin, buyer, provider)
    new_holder = transfers["transfer_to_new_holder_tx"]

    aggregate = {}
    for tag, size in enumerate(BATCH_SIZES, start=1):
        gas = await pool_flow(buyer, provider, evaluator, now, size, tag)
        # per task: opening the pool, settling its two batches, one provider withdrawal
        total = gas["openPool"] + gas["settleBatch"] + gas["settleBatch_next"] + gas["withdraw"]
        aggregate[str(size)] = {**gas, "per_task": total // (2 * size)}
    at_1000 = aggregate["1000"]
    settle_1000 = at_1000["settleBatch"]
    before_1000 = BEFORE["aggregate_1000"]
    return {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "chain_id": await w3.eth.chain_id,
        "price_per_task": PRICE,
        "before_hardening": BEFORE,
        "per_task_job": {**job, "total": job_total},
        "aggregate": aggregate,
        "aggregate_per_task_definition": "(openPool + 2 settleBatch + 1 provider withdraw) / (2 * tasks per batch)",
        "transfers": transfers,
        "ratios": {
            "job_total_over_before": ratio(job_total, BEFORE["per_task_job"]["total"]),
            "settle_batch_1000_over_before": ratio(settle_1000, before_1000["settleBatch"]),
            "settle_batch_1000_over_transfer_to_new_holder": ratio(settle_1000, new_holder),
            "open_pool_over_before": ratio(at_1000["openPool"], before_1000["openPool"]),
            "aggregate_1000_per_task_over_before": ratio(at_1000["per_task"], before_1000["per_task"]),
            "job_per_task_over_aggregate_1000_per_task": round(job_total / at_1000["per_task"], 1),
        },
        "targets": {
            "settle_batch_1000_below_one_transfer_to_new_holder": settle_1000 < new_holder,
            "job_within_a_few_thousand_gas_of_before": job_total - BEFORE["per_task_job"]["total"] <= 5_000,
        },
    }


if __name__ == "__main__":
    result = asyncio.run(main())
    json.dump(result, sys.stdout, indent=2)
    sys.stdout.write("\n")

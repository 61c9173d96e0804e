"""A transaction that passes estimation but reverts once mined (here: the provider front-runs
the buyer's funding in the same block) still reports its hash, block and reason."""

from __future__ import annotations

import asyncio

import pytest

from pactline_escrow import EscrowReverted, JobStatus

BUDGET = 5_000_000


async def test_revert_after_mining_reports_the_transaction_hash(chain):
    job_id = await chain.job_in(JobStatus.OPEN, budget=BUDGET)
    await chain.buyer.approve(chain.deployment.usdc, chain.deployment.agentic_commerce, BUDGET)
    buyer_nonce = await chain.w3.eth.get_transaction_count(chain.buyer.address)

    await chain.rpc("evm_setAutomine", [False])
    try:
        funding = asyncio.create_task(chain.buyer.fund(job_id, BUDGET))
        # wait until the buyer's transaction (estimated against the honest budget) is pending
        async with asyncio.timeout(10):
            while await chain.w3.eth.get_transaction_count(chain.buyer.address, "pending") == buyer_nonce:
                await asyncio.sleep(0.01)
        # the provider raises the budget with a higher tip, so the block orders it first
        fn = chain.reader.commerce.functions.setBudget(job_id, chain.deployment.usdc, 2 * BUDGET, b"")
        tx = await fn.build_transaction(
            {
                "from": chain.provider.address,
                "nonce": await chain.w3.eth.get_transaction_count(chain.provider.address, "pending"),
                "gas": 200_000,
                "maxPriorityFeePerGas": 10**11,
                "maxFeePerGas": 10**12,
                "chainId": 31337,
            }
        )
        signed = chain.provider.signer.account.sign_transaction(tx)
        await chain.w3.eth.send_raw_transaction(signed.raw_transaction)
        await chain.rpc("evm_mine", [])
        with pytest.raises(EscrowReverted) as exc:
            await funding
    finally:
        await chain.rpc("evm_setAutomine", [True])

    reverted = exc.value
    assert reverted.tx_hash is not None
    assert reverted.tx_hash.startswith("0x")
    receipt = await chain.w3.eth.get_transaction_receipt(reverted.tx_hash)
    assert receipt["status"] == 0
    assert receipt["from"] == chain.buyer.address
    assert reverted.block_number == receipt["blockNumber"]
    assert reverted.error == "AgenticCommerceBudgetMismatch"  # named by replaying the call
    assert reverted.tx_hash in str(reverted)
    assert (await chain.reader.get_job(job_id)).status is JobStatus.OPEN

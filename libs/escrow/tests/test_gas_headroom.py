"""A transaction's gas limit survives the state it was estimated on changing before it is mined.

Funding moves the budget into the escrow contract. Estimated while the contract holds tokens, the
contract's balance slot goes from non-zero to non-zero (2,900 gas); if another job is paid out in
the same block first and the balance drops to zero, the slot goes from zero to non-zero (20,000
gas). A limit of the estimate plus a percentage runs out of gas there; the headroom covers it."""

from __future__ import annotations

import asyncio

from pactline_escrow import JobStatus

BUDGET = 50_000
EVIDENCE = b"\xee" * 32
DELIVERABLE = b"\xdd" * 32


async def test_funding_estimated_on_a_non_empty_escrow_is_mined_after_the_escrow_was_emptied(chain):
    paid_out = await chain.job_in(JobStatus.FUNDED, budget=BUDGET)
    await chain.provider.submit(paid_out, DELIVERABLE)
    assert await chain.balance(chain.deployment.agentic_commerce) == BUDGET  # the only job in escrow
    job_id = await chain.job_in(JobStatus.OPEN, budget=BUDGET)
    await chain.buyer.approve(chain.deployment.usdc, chain.deployment.agentic_commerce, BUDGET)
    buyer_nonce = await chain.w3.eth.get_transaction_count(chain.buyer.address)

    await chain.rpc("evm_setAutomine", [False])
    try:
        funding = asyncio.create_task(chain.buyer.fund(job_id, BUDGET))
        # The buyer's transaction is estimated and pending while the escrow still holds BUDGET.
        async with asyncio.timeout(10):
            while await chain.w3.eth.get_transaction_count(chain.buyer.address, "pending") == buyer_nonce:
                await asyncio.sleep(0.01)
        # The evaluator pays the other job out with a higher tip: the block empties the escrow first.
        fn = chain.reader.commerce.functions.complete(paid_out, EVIDENCE, b"")
        tx = await fn.build_transaction(
            {
                "from": chain.evaluator.address,
                "nonce": await chain.w3.eth.get_transaction_count(chain.evaluator.address, "pending"),
                "gas": 300_000,
                "maxPriorityFeePerGas": 10**11,
                "maxFeePerGas": 10**12,
                "chainId": 31337,
            }
        )
        signed = chain.evaluator.signer.account.sign_transaction(tx)
        await chain.w3.eth.send_raw_transaction(signed.raw_transaction)
        await chain.rpc("evm_mine", [])
        result = await funding
    finally:
        await chain.rpc("evm_setAutomine", [True])

    payout = await chain.w3.eth.get_transaction_receipt(signed.hash)
    funded = await chain.w3.eth.get_transaction_receipt(result.tx_hash)
    assert payout["status"] == 1
    assert payout["blockNumber"] == funded["blockNumber"]
    assert payout["transactionIndex"] < funded["transactionIndex"]  # the escrow was emptied first
    assert (await chain.reader.get_job(paid_out)).status is JobStatus.COMPLETED
    assert (await chain.reader.get_job(job_id)).status is JobStatus.FUNDED
    assert await chain.balance(chain.deployment.agentic_commerce) == BUDGET

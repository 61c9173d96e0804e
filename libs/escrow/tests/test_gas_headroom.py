"""A transaction's gas limit survives the state it was estimated on changing before it is mined.

Funding moves the budget into the escrow contract. Estimated while the contract holds tokens, the
contract's balance slot goes from non-zero to non-zero (2,900 gas); if another job is paid out in
the same block first and the balance drops to zero, the slot goes from zero to non-zero (20,000
gas). A limit of the estimate plus a percentage runs out of gas there; the headroom covers it."""

from __future__ import annotations

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
    # The buyer's funding is estimated while the escrow holds BUDGET; the evaluator's payout of the
    # other job, with a higher tip, empties the escrow first in the same block.
    payout_call = chain.reader.commerce.functions.complete(paid_out, EVIDENCE, b"")
    funding, payout_hash = await chain.front_run(
        chain.buyer.address, chain.buyer.fund(job_id, BUDGET), chain.evaluator.signer, payout_call
    )
    result = await funding

    payout = await chain.w3.eth.get_transaction_receipt(payout_hash)
    funded = await chain.w3.eth.get_transaction_receipt(result.tx_hash)
    assert payout["status"] == 1
    assert payout["blockNumber"] == funded["blockNumber"]
    assert payout["transactionIndex"] < funded["transactionIndex"]  # the escrow was emptied first
    assert (await chain.reader.get_job(paid_out)).status is JobStatus.COMPLETED
    assert (await chain.reader.get_job(job_id)).status is JobStatus.FUNDED
    assert await chain.balance(chain.deployment.agentic_commerce) == BUDGET

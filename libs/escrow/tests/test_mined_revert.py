"""A transaction that passes estimation but reverts once mined (here: the provider front-runs
the buyer's funding in the same block) still reports its hash, block and reason."""

from __future__ import annotations

import pytest

from pactline_escrow import EscrowReverted, JobStatus

BUDGET = 5_000_000


async def test_revert_after_mining_reports_the_transaction_hash(chain):
    job_id = await chain.job_in(JobStatus.OPEN, budget=BUDGET)
    await chain.buyer.approve(chain.deployment.usdc, chain.deployment.agentic_commerce, BUDGET)
    # the provider raises the budget with a higher tip, so the block orders it before the funding
    raise_budget = chain.reader.commerce.functions.setBudget(job_id, chain.deployment.usdc, 2 * BUDGET, b"")
    funding, _ = await chain.front_run(
        chain.buyer.address, chain.buyer.fund(job_id, BUDGET), chain.provider.signer, raise_budget
    )
    with pytest.raises(EscrowReverted) as exc:
        await funding

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

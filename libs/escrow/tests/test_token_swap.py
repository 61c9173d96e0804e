"""Attack: the provider swaps the job's token just before the buyer funds. Funding names the token
and budget the buyer agreed to, so the swap makes funding revert; the events carry the token."""

from __future__ import annotations

import pytest
from web3.logs import DISCARD

from pactline_escrow import EscrowReverted, JobStatus

BUDGET = 2_500_000  # 2.5 USDC
HOUR = 3600
MAX_UINT = 2**256 - 1


async def test_token_swapped_before_funding_is_refused_even_with_a_standing_approval(chain):
    valuable = await chain.deploy_token("NoReturnToken")  # any second token stands for "worth more"
    await chain.mint(chain.buyer.address, 10 * BUDGET, valuable)
    commerce = chain.deployment.agentic_commerce
    # The buyer once approved the escrow for the valuable token too (an earlier job, a wallet default).
    await chain.buyer.approve(valuable, commerce, MAX_UINT)
    job_id = await chain.job_in(JobStatus.OPEN, budget=BUDGET)

    await chain.provider.set_budget(job_id, BUDGET, token=valuable)  # the swap: same number, other token

    with pytest.raises(EscrowReverted) as exc:
        await chain.buyer.fund(job_id, BUDGET)  # what the buyer agreed to: 2.5 USDC
    assert exc.value.error == "AgenticCommerceTokenMismatch"
    assert exc.value.error_args == (job_id, chain.deployment.usdc, valuable)
    assert (await chain.reader.get_job(job_id)).status is JobStatus.OPEN
    assert await chain.balance(chain.buyer.address, valuable) == 10 * BUDGET
    assert await chain.balance(commerce, valuable) == 0


async def test_client_library_approves_only_the_token_the_buyer_agreed_to(chain):
    other = await chain.deploy_token("NoReturnToken")
    await chain.mint(chain.buyer.address, BUDGET, other)
    job_id = await chain.job_in(JobStatus.OPEN, budget=BUDGET)
    await chain.provider.set_budget(job_id, BUDGET, token=other)
    commerce = chain.deployment.agentic_commerce

    with pytest.raises(EscrowReverted):
        await chain.buyer.fund(job_id, BUDGET)

    handle = chain.reader.token(other)
    assert await handle.functions.allowance(chain.buyer.address, commerce).call() == 0


async def test_buyer_who_agreed_to_another_token_funds_with_it(chain):
    other = await chain.deploy_token("NoReturnToken")
    await chain.mint(chain.buyer.address, BUDGET, other)
    job_id = await chain.job_in(JobStatus.OPEN, budget=BUDGET)
    await chain.provider.set_budget(job_id, BUDGET, token=other)
    await chain.buyer.fund(job_id, BUDGET, expected_token=other)
    assert (await chain.reader.get_job(job_id)).status is JobStatus.FUNDED
    assert await chain.balance(chain.deployment.agentic_commerce, other) == BUDGET


async def test_funding_and_payment_events_carry_the_token(chain):
    commerce = chain.reader.commerce
    usdc = chain.deployment.usdc
    job_id = await chain.job_in(JobStatus.OPEN, budget=BUDGET)

    funded_tx = await chain.buyer.fund(job_id, BUDGET)
    receipt = await chain.w3.eth.get_transaction_receipt(funded_tx.tx_hash)
    (funded,) = commerce.events.JobFunded().process_receipt(receipt, errors=DISCARD)
    assert (funded["args"]["token"], funded["args"]["amount"]) == (usdc, BUDGET)

    await chain.provider.submit(job_id, b"\x01" * 32)
    paid_tx = await chain.evaluator.complete(job_id, b"\x02" * 32)
    receipt = await chain.w3.eth.get_transaction_receipt(paid_tx.tx_hash)
    (released,) = commerce.events.PaymentReleased().process_receipt(receipt, errors=DISCARD)
    assert (released["args"]["provider"], released["args"]["token"]) == (chain.provider.address, usdc)

    refunded_job = await chain.job_in(JobStatus.FUNDED, budget=BUDGET)
    refund_tx = await chain.evaluator.reject(refunded_job, b"\x03" * 32)
    receipt = await chain.w3.eth.get_transaction_receipt(refund_tx.tx_hash)
    (refunded,) = commerce.events.Refunded().process_receipt(receipt, errors=DISCARD)
    assert (refunded["args"]["client"], refunded["args"]["token"], refunded["args"]["amount"]) == (
        chain.buyer.address,
        usdc,
        BUDGET,
    )

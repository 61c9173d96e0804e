"""ERC-8183 job lifecycle: every allowed transition, every forbidden one with its custom error."""

from __future__ import annotations

import pytest
from web3.logs import DISCARD

from pactline_escrow import EscrowReverted, JobStatus

ONE_USDC = 1_000_000
BUDGET = 5 * ONE_USDC
HOUR = 3600
EVIDENCE = b"\xee" * 32
DELIVERABLE = b"\xdd" * 32
ZERO = "0x0000000000000000000000000000000000000000"


async def test_happy_path_releases_budget_to_provider(chain):
    job_id = await chain.job_in(JobStatus.SUBMITTED)
    escrow = chain.deployment.agentic_commerce
    assert await chain.balance(escrow) == BUDGET

    before = await chain.balance(chain.provider.address)
    await chain.evaluator.complete(job_id, EVIDENCE)

    assert await chain.balance(chain.provider.address) - before == BUDGET
    assert await chain.balance(escrow) == 0
    assert (await chain.reader.get_job(job_id)).status is JobStatus.COMPLETED


async def test_complete_emits_completion_and_payment_with_evidence_as_reason(chain):
    job_id = await chain.job_in(JobStatus.SUBMITTED)
    tx = await chain.evaluator.complete(job_id, EVIDENCE)
    receipt = await chain.w3.eth.get_transaction_receipt(tx.tx_hash)
    commerce = chain.reader.commerce
    (completed,) = commerce.events.JobCompleted().process_receipt(receipt, errors=DISCARD)
    (released,) = commerce.events.PaymentReleased().process_receipt(receipt, errors=DISCARD)
    assert completed["args"]["reason"] == EVIDENCE
    assert completed["args"]["evaluator"] == chain.evaluator.address
    assert released["args"]["amount"] == BUDGET


async def test_job_created_without_provider_gets_one_from_client(chain):
    created = await chain.buyer.create_job(None, chain.evaluator.address, await chain.now() + HOUR, "open call")
    await chain.buyer.set_budget(created.job_id, BUDGET)
    with pytest.raises(EscrowReverted) as exc:
        await chain.buyer.fund(created.job_id, BUDGET)
    assert exc.value.error == "AgenticCommerceProviderNotSet"

    await chain.buyer.set_provider(created.job_id, chain.provider.address)
    await chain.buyer.fund(created.job_id, BUDGET)
    assert (await chain.reader.get_job(created.job_id)).status is JobStatus.FUNDED


async def test_set_provider_is_refused_once_set_by_stranger_and_for_zero(chain):
    created = await chain.buyer.create_job(None, chain.evaluator.address, await chain.now() + HOUR, "open call")
    with pytest.raises(EscrowReverted) as exc:
        await chain.stranger.set_provider(created.job_id, chain.provider.address)
    assert exc.value.error == "AgenticCommerceUnauthorized"
    with pytest.raises(EscrowReverted) as exc:
        await chain.buyer.set_provider(created.job_id, ZERO)
    assert exc.value.error == "AgenticCommerceInvalidProvider"
    await chain.buyer.set_provider(created.job_id, chain.provider.address)
    with pytest.raises(EscrowReverted) as exc:
        await chain.buyer.set_provider(created.job_id, chain.stranger.address)
    assert exc.value.error == "AgenticCommerceProviderAlreadySet"


async def test_client_and_provider_may_set_budget_others_may_not(chain):
    job_id = await chain.job_in(JobStatus.OPEN)
    await chain.buyer.set_budget(job_id, 7 * ONE_USDC)
    assert (await chain.reader.get_job(job_id)).budget == 7 * ONE_USDC
    await chain.provider.set_budget(job_id, 8 * ONE_USDC)
    assert (await chain.reader.get_job(job_id)).budget == 8 * ONE_USDC
    with pytest.raises(EscrowReverted) as exc:
        await chain.stranger.set_budget(job_id, 1)
    assert exc.value.error == "AgenticCommerceUnauthorized"
    with pytest.raises(EscrowReverted) as exc:
        await chain.provider.set_budget(job_id, 1, token=ZERO)
    assert exc.value.error == "AgenticCommerceInvalidToken"


async def test_fund_refuses_a_budget_raised_after_the_client_looked(chain):
    job_id = await chain.job_in(JobStatus.OPEN, budget=BUDGET)
    await chain.provider.set_budget(job_id, 2 * BUDGET)  # the front-run
    with pytest.raises(EscrowReverted) as exc:
        await chain.buyer.fund(job_id, BUDGET)
    assert exc.value.error == "AgenticCommerceBudgetMismatch"
    assert exc.value.error_args == (job_id, BUDGET, 2 * BUDGET)
    assert (await chain.reader.get_job(job_id)).status is JobStatus.OPEN


async def test_fund_refuses_zero_budget_and_non_client(chain):
    job_id = await chain.job_in(JobStatus.OPEN, budget=0)
    with pytest.raises(EscrowReverted) as exc:
        await chain.buyer.fund(job_id, 0)
    assert exc.value.error == "AgenticCommerceZeroBudget"
    await chain.provider.set_budget(job_id, BUDGET)
    with pytest.raises(EscrowReverted) as exc:
        await chain.stranger.fund(job_id, BUDGET)
    assert exc.value.error == "AgenticCommerceUnauthorized"


@pytest.mark.parametrize(
    ("evaluator", "delay", "hook", "error"),
    [
        (ZERO, HOUR, ZERO, "AgenticCommerceInvalidEvaluator"),
        ("evaluator", 4 * 60, ZERO, "AgenticCommerceInvalidExpiry"),
        ("evaluator", 366 * 24 * HOUR, ZERO, "AgenticCommerceInvalidExpiry"),
        ("evaluator", 2**48 * 2, ZERO, "AgenticCommerceInvalidExpiry"),
        ("evaluator", HOUR, "0x000000000000000000000000000000000000dEaD", "AgenticCommerceHooksUnsupported"),
    ],
)
async def test_create_job_validation(chain, evaluator, delay, hook, error):
    evaluator_address = chain.evaluator.address if evaluator == "evaluator" else evaluator
    fn = chain.reader.commerce.functions.createJob(
        chain.provider.address, evaluator_address, await chain.now() + delay, "x", hook
    )
    with pytest.raises(EscrowReverted) as exc:
        await chain.buyer.signer.send(fn)
    assert exc.value.error == error


async def test_expiry_may_be_a_year_away_but_not_more(chain):
    now = await chain.now()
    await chain.buyer.create_job(chain.provider.address, chain.evaluator.address, now + 364 * 24 * HOUR, "long")
    with pytest.raises(EscrowReverted) as exc:
        await chain.buyer.create_job(chain.provider.address, chain.evaluator.address, now + 400 * 24 * HOUR, "x")
    expired_at, earliest, latest = exc.value.error_args
    assert expired_at > latest
    assert latest - earliest == 365 * 24 * HOUR - 5 * 60


@pytest.mark.parametrize("provider", ["buyer", "evaluator"])
async def test_provider_may_not_be_the_client_or_the_evaluator(chain, provider):
    address = getattr(chain, provider).address
    with pytest.raises(EscrowReverted) as exc:
        await chain.buyer.create_job(address, chain.evaluator.address, await chain.now() + HOUR, "self-dealing")
    assert exc.value.error == "AgenticCommerceRoleConflict"
    created = await chain.buyer.create_job(None, chain.evaluator.address, await chain.now() + HOUR, "open call")
    with pytest.raises(EscrowReverted) as exc:
        await chain.buyer.set_provider(created.job_id, address)
    assert exc.value.error == "AgenticCommerceRoleConflict"
    assert (await chain.reader.get_job(created.job_id)).provider == ZERO


async def test_budget_above_96_bits_is_refused(chain):
    job_id = await chain.job_in(JobStatus.OPEN)
    with pytest.raises(EscrowReverted) as exc:
        await chain.provider.set_budget(job_id, 2**96)
    assert exc.value.error == "AgenticCommerceBudgetTooLarge"


async def test_unknown_job_is_reported_as_not_found(chain):
    with pytest.raises(EscrowReverted) as exc:
        await chain.evaluator.complete(999, EVIDENCE)
    assert exc.value.error == "AgenticCommerceJobNotFound"


ALL = list(JobStatus)


async def _set_budget(chain, job_id):
    await chain.provider.set_budget(job_id, BUDGET)


async def _fund(chain, job_id):
    await chain.buyer.fund(job_id, BUDGET)


async def _submit(chain, job_id):
    await chain.provider.submit(job_id, DELIVERABLE)


async def _complete(chain, job_id):
    await chain.evaluator.complete(job_id, EVIDENCE)


async def _evaluator_reject(chain, job_id):
    await chain.evaluator.reject(job_id, EVIDENCE)


async def _client_reject(chain, job_id):
    await chain.buyer.reject(job_id, EVIDENCE)


# operation -> (states it is allowed from, state it leads to)
TRANSITIONS = {
    _set_budget: ({JobStatus.OPEN}, JobStatus.OPEN),
    _fund: ({JobStatus.OPEN}, JobStatus.FUNDED),
    _submit: ({JobStatus.FUNDED}, JobStatus.SUBMITTED),
    _complete: ({JobStatus.SUBMITTED}, JobStatus.COMPLETED),
    _evaluator_reject: ({JobStatus.FUNDED, JobStatus.SUBMITTED}, JobStatus.REJECTED),
    _client_reject: ({JobStatus.OPEN}, JobStatus.REJECTED),
}
TERMINAL = {JobStatus.COMPLETED, JobStatus.REJECTED, JobStatus.EXPIRED}


@pytest.mark.parametrize("status", ALL, ids=lambda s: s.name)
@pytest.mark.parametrize("operation", list(TRANSITIONS), ids=lambda f: f.__name__.strip("_"))
async def test_transition_matrix(chain, operation, status):
    """Each operation by its rightful caller: allowed states move on, others are refused."""
    allowed, target = TRANSITIONS[operation]
    job_id = await chain.job_in(status)
    if status in allowed:
        await operation(chain, job_id)
        assert (await chain.reader.get_job(job_id)).status is target
        return
    with pytest.raises(EscrowReverted) as exc:
        await operation(chain, job_id)
    if status not in TERMINAL and operation in (_client_reject, _evaluator_reject):
        # reject is allowed in every live state, but by the client only while Open
        assert exc.value.error == "AgenticCommerceUnauthorized"
    else:
        assert exc.value.error == "AgenticCommerceInvalidState"
        assert exc.value.error_args == (job_id, int(status))
    assert (await chain.reader.get_job(job_id)).status is status


@pytest.mark.parametrize(
    ("operation", "status", "who"),
    [
        (_submit, JobStatus.FUNDED, "buyer"),
        (_submit, JobStatus.FUNDED, "evaluator"),
        (_complete, JobStatus.SUBMITTED, "buyer"),
        (_complete, JobStatus.SUBMITTED, "provider"),
        (_evaluator_reject, JobStatus.FUNDED, "buyer"),
        (_evaluator_reject, JobStatus.SUBMITTED, "provider"),
        (_client_reject, JobStatus.OPEN, "evaluator"),
        (_fund, JobStatus.OPEN, "provider"),
    ],
)
async def test_wrong_caller_is_unauthorized(chain, operation, status, who):
    job_id = await chain.job_in(status)
    fns = chain.reader.commerce.functions
    calls = {
        _submit: fns.submit(job_id, DELIVERABLE, b""),
        _complete: fns.complete(job_id, EVIDENCE, b""),
        _evaluator_reject: fns.reject(job_id, EVIDENCE, b""),
        _client_reject: fns.reject(job_id, EVIDENCE, b""),
        _fund: fns.fund(job_id, chain.deployment.usdc, BUDGET, b""),
    }
    caller = getattr(chain, who)
    with pytest.raises(EscrowReverted) as exc:
        await caller.signer.send(calls[operation])
    assert exc.value.error == "AgenticCommerceUnauthorized"
    assert exc.value.error_args == (job_id, caller.address)


async def test_evaluator_reject_refunds_client(chain):
    job_id = await chain.job_in(JobStatus.SUBMITTED)
    before = await chain.balance(chain.buyer.address)
    await chain.evaluator.reject(job_id, EVIDENCE)
    assert await chain.balance(chain.buyer.address) - before == BUDGET
    assert await chain.balance(chain.deployment.agentic_commerce) == 0


@pytest.mark.parametrize("status", [JobStatus.FUNDED, JobStatus.SUBMITTED], ids=lambda s: s.name)
async def test_claim_refund_after_expiry_by_anyone(chain, status):
    job_id = await chain.job_in(status)
    with pytest.raises(EscrowReverted) as exc:
        await chain.stranger.claim_refund(job_id)
    assert exc.value.error == "AgenticCommerceNotExpired"

    await chain.advance(HOUR)
    before = await chain.balance(chain.buyer.address)
    await chain.stranger.claim_refund(job_id)
    assert await chain.balance(chain.buyer.address) - before == BUDGET
    assert (await chain.reader.get_job(job_id)).status is JobStatus.EXPIRED
    with pytest.raises(EscrowReverted) as exc:
        await chain.stranger.claim_refund(job_id)
    assert exc.value.error == "AgenticCommerceInvalidState"


@pytest.mark.parametrize("status", [JobStatus.OPEN, JobStatus.COMPLETED, JobStatus.REJECTED], ids=lambda s: s.name)
async def test_claim_refund_refused_without_escrow(chain, status):
    job_id = await chain.job_in(status)
    await chain.advance(HOUR)
    with pytest.raises(EscrowReverted) as exc:
        await chain.stranger.claim_refund(job_id)
    assert exc.value.error == "AgenticCommerceInvalidState"


@pytest.mark.parametrize(
    ("status", "operation"),
    [
        (JobStatus.OPEN, _fund),
        (JobStatus.OPEN, _set_budget),
        (JobStatus.FUNDED, _submit),
        (JobStatus.SUBMITTED, _complete),
    ],
)
async def test_after_expiry_only_refund_remains(chain, status, operation):
    job_id = await chain.job_in(status)
    await chain.advance(HOUR)
    with pytest.raises(EscrowReverted) as exc:
        await operation(chain, job_id)
    assert exc.value.error == "AgenticCommerceJobExpired"


async def test_completed_job_cannot_be_paid_twice(chain):
    job_id = await chain.job_in(JobStatus.COMPLETED)
    for attempt in (_complete, _evaluator_reject):
        with pytest.raises(EscrowReverted) as exc:
            await attempt(chain, job_id)
        assert exc.value.error == "AgenticCommerceInvalidState"
    await chain.advance(HOUR)
    with pytest.raises(EscrowReverted):
        await chain.stranger.claim_refund(job_id)
    assert await chain.balance(chain.deployment.agentic_commerce) == 0

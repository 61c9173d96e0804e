"""decide_job(): given the verdict, the acceptance and the job on chain, then this action. Pure."""

from __future__ import annotations

from dataclasses import replace

import pytest

from pactline_settlement.domain import (
    AcceptanceTerms,
    Complete,
    JobOnChain,
    JobState,
    Nothing,
    Reject,
    TaskVerdict,
    Wait,
    decide_job,
)

BUYER, PROVIDER, EVALUATOR, TOKEN = ("0x" + c * 40 for c in "abce")
PRICE = 50_000
NOW = 1_000_000
EVIDENCE = b"\xee" * 32
OUTPUT = b"\xdd" * 32
TERMS = AcceptanceTerms(BUYER, PROVIDER, PRICE, TOKEN)
SUBMITTED = JobOnChain(7, BUYER, PROVIDER, EVALUATOR, TOKEN, PRICE, NOW + 3600, JobState.SUBMITTED, OUTPUT)
FUNDED = replace(SUBMITTED, status=JobState.FUNDED, deliverable=None)


def verdict(outcome: str, hold_until: int = NOW + 100, output: bytes | None = OUTPUT) -> TaskVerdict:
    return TaskVerdict(outcome, EVIDENCE, output, hold_until)


def decide(outcome: str, job: JobOnChain = SUBMITTED, now: int = NOW, **kw) -> object:
    return decide_job(TERMS, verdict(outcome, **kw), job, evaluator=EVALUATOR, chain_now=now, expiry_margin=60)


def test_pass_with_the_evaluated_output_on_chain_completes_with_the_evidence_digest_as_reason():
    assert decide("PASS") == Complete(7, EVIDENCE)


def test_pass_waits_for_the_providers_submit():
    assert isinstance(decide("PASS", FUNDED), Wait)


def test_pass_with_another_deliverable_is_rejected_and_says_why():
    decision = decide("PASS", replace(SUBMITTED, deliverable=b"\x01" * 32))
    assert isinstance(decision, Reject)
    assert "0x" + "01" * 32 in decision.detail
    assert "0x" + OUTPUT.hex() in decision.detail


def test_pass_waits_while_the_output_digest_is_unknown():
    assert isinstance(decide("PASS", output=None), Wait)


def test_pass_too_close_to_expiry_is_left_to_the_refund():
    decision = decide("PASS", now=SUBMITTED.expired_at - 30)
    assert isinstance(decision, Wait)
    assert "claimRefund" in decision.why


@pytest.mark.parametrize("job", [FUNDED, SUBMITTED])
def test_fail_rejects_funded_or_submitted_jobs(job):
    assert decide("FAIL", job) == Reject(7, EVIDENCE, "verdict FAIL")


def test_inconclusive_holds_until_the_dispute_window_closes_then_rejects():
    assert isinstance(decide("INCONCLUSIVE", now=NOW + 99), Wait)
    assert isinstance(decide("INCONCLUSIVE", now=NOW + 100), Reject)


def test_inconclusive_after_expiry_still_rejects_since_the_contract_allows_it():
    assert isinstance(decide("INCONCLUSIVE", now=SUBMITTED.expired_at + 10, hold_until=SUBMITTED.expired_at), Reject)


@pytest.mark.parametrize("status", [JobState.COMPLETED, JobState.REJECTED, JobState.EXPIRED])
@pytest.mark.parametrize("outcome", ["PASS", "FAIL", "INCONCLUSIVE"])
def test_a_job_already_settled_gets_nothing_more(status, outcome):
    assert isinstance(decide(outcome, replace(SUBMITTED, status=status)), Nothing)


def test_a_job_of_another_evaluator_is_never_touched():
    assert isinstance(decide("FAIL", replace(SUBMITTED, evaluator="0x" + "9" * 40)), Nothing)


def test_an_unfunded_job_waits_and_is_dropped_after_expiry():
    open_job = replace(FUNDED, status=JobState.OPEN)
    assert isinstance(decide("PASS", open_job), Wait)
    assert isinstance(decide("PASS", open_job, now=open_job.expired_at), Nothing)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"provider": "0x" + "7" * 40}, "provider"),
        ({"client": "0x" + "7" * 40}, "client"),
        ({"token": "0x" + "7" * 40}, "token"),
        ({"budget": PRICE - 1}, "budget"),
    ],
)
def test_a_pass_on_a_job_whose_terms_differ_is_refunded_never_paid(change, words):
    decision = decide("PASS", replace(SUBMITTED, **change))
    assert isinstance(decision, Reject)
    assert words in decision.detail


def test_addresses_compare_without_regard_to_checksum_case():
    assert decide("PASS", replace(SUBMITTED, provider=PROVIDER.upper().replace("0X", "0x"))) == Complete(7, EVIDENCE)

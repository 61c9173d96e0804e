"""Per-task settlement decisions: given a task's verdict, the acceptance's terms and the job as
the chain shows it, what the evaluator does now (complete, reject, wait, or nothing).

Pure: chain time and the job's state are inputs. The worker calls ``decide_job`` before it
records a transaction, and again after any restart, so a job that someone else already moved
(completed, rejected, refunded after expiry) is never sent to twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

PASS, FAIL, INCONCLUSIVE = "PASS", "FAIL", "INCONCLUSIVE"


class JobState(IntEnum):
    """AgenticCommerce.JobStatus, in the contract's order."""

    OPEN = 0
    FUNDED = 1
    SUBMITTED = 2
    COMPLETED = 3
    REJECTED = 4
    EXPIRED = 5


TERMINAL = (JobState.COMPLETED, JobState.REJECTED, JobState.EXPIRED)


@dataclass(frozen=True)
class JobOnChain:
    job_id: int
    client: str
    provider: str
    evaluator: str
    token: str
    budget: int
    expired_at: int
    status: JobState
    deliverable: bytes | None = None


@dataclass(frozen=True)
class AcceptanceTerms:
    buyer_address: str
    provider_address: str
    price: int
    token: str


@dataclass(frozen=True)
class TaskVerdict:
    outcome: str
    evidence_digest: bytes
    output_digest: bytes | None
    hold_until: int
    """Unix seconds: verdict time plus the pact's dispute window (INCONCLUSIVE holds until then)."""


@dataclass(frozen=True)
class Complete:
    job_id: int
    reason: bytes


@dataclass(frozen=True)
class Reject:
    job_id: int
    reason: bytes
    detail: str


@dataclass(frozen=True)
class Wait:
    why: str


@dataclass(frozen=True)
class Nothing:
    """Nothing will ever be sent for this task's job (say why)."""

    why: str


Decision = Complete | Reject | Wait | Nothing


def _same(a: str, b: str) -> bool:
    return a.lower() == b.lower()


def term_mismatches(terms: AcceptanceTerms, job: JobOnChain) -> list[str]:
    """How the job differs from what the buyer accepted (empty when it matches)."""
    found = []
    if not _same(job.client, terms.buyer_address):
        found.append(f"client {job.client} is not the buyer {terms.buyer_address}")
    if not _same(job.provider, terms.provider_address):
        found.append(f"provider {job.provider} is not the agent's operator {terms.provider_address}")
    if not _same(job.token, terms.token):
        found.append(f"token {job.token} is not {terms.token}")
    if job.budget != terms.price:
        found.append(f"budget {job.budget} is not the accepted price {terms.price}")
    return found


def decide_job(
    terms: AcceptanceTerms,
    verdict: TaskVerdict,
    job: JobOnChain,
    *,
    evaluator: str,
    chain_now: int,
    expiry_margin: int = 0,
) -> Decision:
    """What to send for one per-task job now.

    PASS completes once the provider's submit is on chain and its deliverable equals the
    evaluated output's digest (a different deliverable is rejected, the reason stated); FAIL
    rejects; INCONCLUSIVE holds until ``hold_until`` and then rejects. A job whose terms differ
    from the acceptance is rejected (the refund goes back to whoever funded it), never completed.
    """
    if job.status in TERMINAL:
        return Nothing(f"job {job.job_id} is already {job.status.name.lower()}")
    if not _same(job.evaluator, evaluator):
        return Nothing(f"job {job.job_id} names evaluator {job.evaluator}, not this service's {evaluator}")
    if job.status is JobState.OPEN:
        if chain_now >= job.expired_at:
            return Nothing(f"job {job.job_id} expired without being funded")
        return Wait(f"job {job.job_id} is not funded yet")
    mismatches = term_mismatches(terms, job)
    if mismatches:
        return Reject(
            job.job_id, verdict.evidence_digest, "job terms differ from the acceptance: " + "; ".join(mismatches)
        )
    if verdict.outcome == FAIL:
        return Reject(job.job_id, verdict.evidence_digest, "verdict FAIL")
    if verdict.outcome == INCONCLUSIVE:
        if chain_now < verdict.hold_until:
            return Wait(f"INCONCLUSIVE: held until {verdict.hold_until} (the pact's dispute window)")
        return Reject(job.job_id, verdict.evidence_digest, "verdict INCONCLUSIVE and the dispute window closed")
    if verdict.outcome != PASS:
        raise ValueError(f"unknown verdict outcome {verdict.outcome!r}")
    if chain_now + expiry_margin >= job.expired_at:
        return Wait(f"job {job.job_id} expires at {job.expired_at} before it can be completed; claimRefund refunds it")
    if job.status is JobState.FUNDED:
        return Wait(f"PASS: waiting for the provider to submit job {job.job_id}")
    if verdict.output_digest is None:
        return Wait("PASS: the evaluated output's digest is not known yet")
    if job.deliverable != verdict.output_digest:
        shown = "0x" + (job.deliverable or b"").hex()
        return Reject(
            job.job_id,
            verdict.evidence_digest,
            f"deliverable {shown} on chain differs from the evaluated output's digest 0x{verdict.output_digest.hex()}",
        )
    return Complete(job.job_id, verdict.evidence_digest)

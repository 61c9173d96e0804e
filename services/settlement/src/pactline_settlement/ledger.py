"""The settlement ledger: a pure fold of the log into what each acceptance escrowed, released,
refunded, holds and has left, per job, pool, agent and buyer.

It folds PactAccepted (the terms), TaskCompleted and VerdictIssued (which task a job escrows,
what each verdict said) and the escrow events (what the chain did). Every fact is kept under
its own key (a transaction's log, a task, a job) and the figures are computed from those sets,
so the result depends on which events were folded, never on how the topics interleaved.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from pactline_events import (
    Envelope,
    EscrowFunded,
    EscrowReclaimed,
    EscrowSettled,
    EscrowSubmitted,
    PactAccepted,
    TaskCompleted,
    VerdictIssued,
)

PER_TASK = "per_task"
AGGREGATE = "aggregate"
INCONCLUSIVE = "INCONCLUSIVE"


@dataclass(frozen=True)
class Terms:
    mode: str
    agent_id: str
    buyer_id: str
    price: int


@dataclass(frozen=True)
class Verdict:
    outcome: str
    occurred_at: str
    verdict_id: str

    def sort_key(self) -> tuple[str, str]:
        return (self.occurred_at, self.verdict_id)


@dataclass(frozen=True)
class Funding:
    amount: int
    job_id: str | None = None
    pool_id: str | None = None
    contract: str | None = None


@dataclass(frozen=True)
class Share:
    """One task's part of a settlement."""

    task_id: str
    released: int
    refunded: int


@dataclass(frozen=True)
class Settlement:
    cause: str
    released: int
    refunded: int
    shares: tuple[Share, ...]
    tx_hash: str
    job_id: str | None = None
    pool_id: str | None = None
    batch_seq: int | None = None
    verdict_root: str | None = None


@dataclass(frozen=True)
class Figures:
    """Minor units. For every acceptance, job and pool: escrowed = released + refunded + held + remaining."""

    escrowed: int = 0
    released: int = 0
    refunded: int = 0
    held: int = 0
    remaining: int = 0

    def __add__(self, other: Figures) -> Figures:
        return Figures(
            self.escrowed + other.escrowed,
            self.released + other.released,
            self.refunded + other.refunded,
            self.held + other.held,
            self.remaining + other.remaining,
        )

    @property
    def balanced(self) -> bool:
        return self.escrowed == self.released + self.refunded + self.held + self.remaining


@dataclass(frozen=True)
class JobFigures:
    job_id: str
    task_id: str | None
    status: str  # funded | held | released | refunded
    figures: Figures
    contract: str | None = None


@dataclass(frozen=True)
class Ledger:
    """One acceptance's ledger state (the projection's state under key ``acceptance_id``)."""

    acceptance_id: str
    terms: Terms | None = None
    fundings: Mapping[str, Funding] = field(default_factory=dict)
    job_tasks: Mapping[str, str] = field(default_factory=dict)
    verdicts: Mapping[str, Verdict] = field(default_factory=dict)
    conflicting_verdicts: frozenset[str] = frozenset()
    settlements: Mapping[str, Settlement] = field(default_factory=dict)
    reclaims: Mapping[str, int] = field(default_factory=dict)
    deliverables: Mapping[str, str] = field(default_factory=dict)

    # ---- derived -------------------------------------------------------------------------

    @property
    def mode(self) -> str | None:
        if self.terms is not None:
            return self.terms.mode
        for funding in self.fundings.values():
            return PER_TASK if funding.job_id is not None else AGGREGATE
        for settlement in self.settlements.values():
            return AGGREGATE if settlement.cause == "batch" else PER_TASK
        return None

    def settled_by(self) -> dict[str, list[str]]:
        """Task id -> the settlement facts that paid it (more than one is a double payment)."""
        found: dict[str, list[str]] = {}
        for key in sorted(self.settlements):
            for share in self.settlements[key].shares:
                found.setdefault(share.task_id, []).append(key)
        return found

    def paid_twice(self) -> list[str]:
        return sorted(task for task, keys in self.settled_by().items() if len(keys) > 1)

    def _settled_jobs(self) -> dict[str, Settlement]:
        return {s.job_id: s for s in self.settlements.values() if s.job_id is not None}

    def jobs(self) -> list[JobFigures]:
        """Per-task mode: each funded job's figures."""
        settled = self._settled_jobs()
        rows = []
        for funding in sorted(self.fundings.values(), key=lambda f: int(f.job_id or 0)):
            if funding.job_id is None:
                continue
            task = self.job_tasks.get(funding.job_id)
            settlement = settled.get(funding.job_id)
            if settlement is not None:
                status = "released" if settlement.released else "refunded"
                figures = Figures(funding.amount, settlement.released, settlement.refunded, 0, 0)
            elif task is not None and task in self.verdicts and self.verdicts[task].outcome == INCONCLUSIVE:
                status, figures = "held", Figures(funding.amount, 0, 0, funding.amount, 0)
            else:
                status, figures = "funded", Figures(funding.amount, 0, 0, 0, funding.amount)
            rows.append(JobFigures(funding.job_id, task, status, figures, funding.contract))
        return rows

    def pool_id(self) -> str | None:
        return next((f.pool_id for f in self.fundings.values() if f.pool_id is not None), None)

    def pool_contract(self) -> str | None:
        return next((f.contract for f in self.fundings.values() if f.pool_id is not None), None)

    def pool_figures(self) -> Figures:
        """Aggregate mode: the pool's figures. Held is what the pool keeps for INCONCLUSIVE
        tasks still inside their dispute window, never more than the pool holds."""
        escrowed = sum(f.amount for f in self.fundings.values() if f.pool_id is not None)
        released = sum(s.released for s in self.settlements.values() if s.pool_id is not None or s.cause == "batch")
        refunded = sum(s.refunded for s in self.settlements.values() if s.pool_id is not None or s.cause == "batch")
        refunded += sum(self.reclaims.values())
        balance = escrowed - released - refunded
        held = 0
        if not self.reclaims and self.terms is not None:
            settled = self.settled_by()
            waiting = sum(1 for t, v in self.verdicts.items() if v.outcome == INCONCLUSIVE and t not in settled)
            held = max(0, min(waiting * self.terms.price, balance))
        return Figures(escrowed, released, refunded, held, balance - held)

    def figures(self) -> Figures:
        if self.mode == AGGREGATE:
            return self.pool_figures()
        total = Figures()
        for job in self.jobs():
            total = total + job.figures
        return total

    def batches(self) -> list[Settlement]:
        return sorted((s for s in self.settlements.values() if s.cause == "batch"), key=lambda s: s.batch_seq or 0)

    def violations(self) -> list[str]:
        """Broken invariants, in words (none expected)."""
        found = []
        figures = self.figures()
        if not figures.balanced:
            found.append(f"escrowed {figures.escrowed} != released + refunded + held + remaining ({figures})")
        for name in ("escrowed", "released", "refunded", "held", "remaining"):
            if getattr(figures, name) < 0:
                found.append(f"{name} is negative ({getattr(figures, name)})")
        found += [f"task {task} paid twice" for task in self.paid_twice()]
        if self.terms is not None and self.mode == AGGREGATE:
            for s in self.settlements.values():
                for share in s.shares:
                    if share.released + share.refunded != self.terms.price:
                        found.append(f"task {share.task_id} settled {share.released + share.refunded}, not its price")
        fundings = {f.job_id: f.amount for f in self.fundings.values() if f.job_id is not None}
        for s in self.settlements.values():
            if s.job_id is not None and s.released + s.refunded != fundings.get(s.job_id, s.released + s.refunded):
                found.append(f"job {s.job_id} settled {s.released + s.refunded}, funded {fundings[s.job_id]}")
        return found


# ---- the fold ----------------------------------------------------------------------------


def ledger_key(event: Envelope) -> str | None:
    payload = event.payload
    if isinstance(
        payload,
        PactAccepted | TaskCompleted | VerdictIssued | EscrowFunded | EscrowSettled | EscrowSubmitted | EscrowReclaimed,
    ):
        return payload.acceptance_id
    return None


def fact_key(payload: Any) -> str:
    """A chain fact's identity: its transaction and log (the transaction alone for v1 events)."""
    return f"{payload.tx_hash}:{payload.log_index if payload.log_index is not None else '-'}"


def evolve(state: Ledger | None, event: Envelope) -> Ledger:
    payload = event.payload
    ledger = state or Ledger(acceptance_id=payload.acceptance_id)
    if isinstance(payload, PactAccepted):
        terms = Terms(
            mode=str(payload.escrow.mode),
            agent_id=payload.agent_id,
            buyer_id=payload.buyer_id,
            price=payload.escrow.price_per_task,
        )
        return replace(ledger, terms=terms)
    if isinstance(payload, TaskCompleted):
        if payload.escrow_job_id is None:
            return ledger
        return replace(ledger, job_tasks=_linked(ledger.job_tasks, payload.escrow_job_id, payload.task_id))
    if isinstance(payload, VerdictIssued):
        return _with_verdict(ledger, payload, event)
    if isinstance(payload, EscrowFunded):
        funding = Funding(
            payload.amount, job_id=payload.job_id, pool_id=payload.pool_id, contract=payload.contract_address.lower()
        )
        ledger = replace(ledger, fundings={**ledger.fundings, fact_key(payload): funding})
        if payload.job_id is not None and payload.task_id is not None:
            ledger = replace(ledger, job_tasks=_linked(ledger.job_tasks, payload.job_id, payload.task_id))
        return ledger
    if isinstance(payload, EscrowSettled):
        return _with_settlement(ledger, payload)
    if isinstance(payload, EscrowSubmitted):
        return replace(
            ledger,
            job_tasks=_linked(ledger.job_tasks, payload.job_id, payload.task_id),
            deliverables={**ledger.deliverables, payload.job_id: payload.deliverable},
        )
    if isinstance(payload, EscrowReclaimed):
        return replace(ledger, reclaims={**ledger.reclaims, fact_key(payload): payload.amount})
    return ledger


def _linked(job_tasks: Mapping[str, str], job_id: str, task_id: str) -> Mapping[str, str]:
    if job_tasks.get(job_id) == task_id:
        return job_tasks
    # Two tasks naming one job keep the smaller id: the result must not depend on fold order.
    chosen = min(task_id, job_tasks.get(job_id, task_id))
    return {**job_tasks, job_id: chosen}


def _with_verdict(ledger: Ledger, payload: VerdictIssued, event: Envelope) -> Ledger:
    new = Verdict(
        outcome=str(payload.outcome),
        occurred_at=event.occurred_at.isoformat(),
        verdict_id=payload.verdict_id,
    )
    ledger = (
        replace(ledger, job_tasks=_linked(ledger.job_tasks, payload.escrow_job_id, payload.task_id))
        if payload.escrow_job_id is not None
        else ledger
    )
    old = ledger.verdicts.get(payload.task_id)
    if old is None or old == new:
        return replace(ledger, verdicts={**ledger.verdicts, payload.task_id: new})
    conflicting = ledger.conflicting_verdicts
    if old.outcome != new.outcome:
        conflicting = conflicting | {payload.task_id}
    # The earliest verdict stands, whatever order the log is read in.
    kept = min(old, new, key=Verdict.sort_key)
    return replace(ledger, verdicts={**ledger.verdicts, payload.task_id: kept}, conflicting_verdicts=conflicting)


def _with_settlement(ledger: Ledger, payload: EscrowSettled) -> Ledger:
    if payload.leaves:
        shares = tuple(Share(leaf.task_id, leaf.released, leaf.refunded) for leaf in payload.leaves)
    elif len(payload.task_ids) == 1:
        shares = (Share(payload.task_ids[0], payload.released, payload.refunded),)
    else:  # an upcast v1 batch: the tasks are known, their shares are not
        shares = tuple(Share(task, 0, 0) for task in payload.task_ids)
    settlement = Settlement(
        cause=payload.cause,
        released=payload.released,
        refunded=payload.refunded,
        shares=shares,
        tx_hash=payload.tx_hash,
        job_id=payload.job_id,
        pool_id=payload.pool_id,
        batch_seq=payload.batch_seq,
        verdict_root=payload.verdict_root,
    )
    ledger = replace(ledger, settlements={**ledger.settlements, fact_key(payload): settlement})
    if payload.job_id is not None:
        ledger = replace(ledger, job_tasks=_linked(ledger.job_tasks, payload.job_id, payload.task_ids[0]))
    return ledger


def totals_by(ledgers: Iterable[Ledger], party: str) -> dict[str, Figures]:
    """Figures summed per ``agent_id`` or ``buyer_id`` (acceptances without terms are left out)."""
    totals: dict[str, Figures] = {}
    for ledger in ledgers:
        if ledger.terms is None:
            continue
        who = getattr(ledger.terms, party)
        totals[who] = totals.get(who, Figures()) + ledger.figures()
    return totals


# ---- storage form (plain JSON, no floats) ------------------------------------------------


def dump(ledger: Ledger) -> dict[str, Any]:
    return {
        "acceptance_id": ledger.acceptance_id,
        "terms": None if ledger.terms is None else vars(ledger.terms),
        "fundings": {k: vars(v) for k, v in sorted(ledger.fundings.items())},
        "job_tasks": dict(sorted(ledger.job_tasks.items())),
        "verdicts": {k: vars(v) for k, v in sorted(ledger.verdicts.items())},
        "conflicting_verdicts": sorted(ledger.conflicting_verdicts),
        "settlements": {
            k: {**vars(s), "shares": [vars(share) for share in s.shares]} for k, s in sorted(ledger.settlements.items())
        },
        "reclaims": dict(sorted(ledger.reclaims.items())),
        "deliverables": dict(sorted(ledger.deliverables.items())),
    }


def load(data: dict[str, Any]) -> Ledger:
    return Ledger(
        acceptance_id=data["acceptance_id"],
        terms=None if data["terms"] is None else Terms(**data["terms"]),
        fundings={k: Funding(**v) for k, v in data["fundings"].items()},
        job_tasks=dict(data["job_tasks"]),
        verdicts={k: Verdict(**v) for k, v in data["verdicts"].items()},
        conflicting_verdicts=frozenset(data["conflicting_verdicts"]),
        settlements={
            k: Settlement(**{**v, "shares": tuple(Share(**share) for share in v["shares"])})
            for k, v in data["settlements"].items()
        },
        reclaims=dict(data["reclaims"]),
        deliverables=dict(data["deliverables"]),
    )

"""The trust ledger: every agent's evidence, folded from events in any order to the same state.

Evidence of one buyer for one agent, one dimension and one cap period accumulates in a cell as
raw sums (each term weight * G(its time)); a cell's capped value is a function of its sums
alone, and an agent's totals are exact sums of its cells' capped values. So the state after a
set of events does not depend on the order they were folded in, which is what lets any
interleaving of partitions, a rebuild, and an auditor's replay reach the same snapshot.
Pure: no IO, no clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pactline_events import Envelope, EscrowSettled, PactAccepted, VerdictIssued, sha256_hex
from pactline_events.types import format_timestamp

from .evidence import AcceptanceFacts, Evidence, acceptance_facts, settlement_evidence, verdict_evidence
from .formula import FORMULA_VERSION, FormulaParams, growth, period_of, seconds_since_epoch
from .scores import AgentScore, Counters, Totals, evaluate

CellKey = tuple[str, str, int]  # (buyer_id, dimension, period)


class AsOfBeforeEvidence(ValueError):
    """A score was asked for before evidence already folded in; fold only events up to as_of."""

    def __init__(self, agent_id: str, as_of: datetime, latest: datetime) -> None:
        super().__init__(
            f"agent {agent_id}: as_of {format_timestamp(as_of)} is before its evidence of {format_timestamp(latest)};"
            " build the ledger with TrustLedger.of(events, params, as_of=...)"
        )
        self.agent_id = agent_id


@dataclass
class Cell:
    passed: int = 0
    failed: int = 0
    burned: int = 0


def capped(cell: Cell, period: int, params: FormulaParams) -> Totals:
    """A buyer's cell, scaled down (keeping its pass/fail ratio) to at most C units at the end
    of its period; erasures are clipped to B units the same way."""
    end = params.half_life_s << (period + 1)  # period_end_growth, inlined: this runs per cell
    cap = params.buyer_cap_micro * end
    passed, failed = cell.passed, cell.failed
    weight = passed + failed
    if weight > cap:
        passed, failed = passed * cap // weight, failed * cap // weight
    burn_cap = params.burn_cap_micro * end
    return Totals(passed, failed, cell.burned if cell.burned <= burn_cap else burn_cap)


@dataclass
class AgentBook:
    """One agent's cells, their capped totals per dimension, and counters."""

    cells: dict[CellKey, Cell] = field(default_factory=dict)
    totals: dict[str, Totals] = field(default_factory=dict)
    verdicts: int = 0
    self_dealt_verdicts: int = 0
    settlements: int = 0
    released: int = 0
    refunded: int = 0
    buyer_events: dict[str, int] = field(default_factory=dict)
    last_event_at: datetime | None = None

    def counters(self) -> Counters:
        return Counters(
            verdicts=self.verdicts,
            self_dealt_verdicts=self.self_dealt_verdicts,
            settlements=self.settlements,
            buyers=len(self.buyer_events),
            released=self.released,
            refunded=self.refunded,
        )

    def add(self, key: CellKey, passed: int, failed: int, burned: int, params: FormulaParams) -> None:
        cell = self.cells.setdefault(key, Cell())
        dim, period = key[1], key[2]
        before = capped(cell, period, params)
        cell.passed += passed
        cell.failed += failed
        cell.burned += burned
        after = capped(cell, period, params)
        t = self.totals.get(dim, Totals())
        self.totals[dim] = Totals(
            t.passed + after.passed - before.passed,
            t.failed + after.failed - before.failed,
            t.burned + after.burned - before.burned,
        )


@dataclass
class Anomalies:
    """Events the formula leaves out, counted so an auditor sees them."""

    before_epoch: int = 0
    agent_mismatch: int = 0
    conflicting_acceptance: int = 0

    def to_json(self) -> dict[str, int]:
        return {
            "before_epoch": self.before_epoch,
            "agent_mismatch": self.agent_mismatch,
            "conflicting_acceptance": self.conflicting_acceptance,
        }


@dataclass
class TrustLedger:
    """Folds PactAccepted, VerdictIssued and EscrowSettled; reads scores at any as_of >= the
    evidence folded in (use ``TrustLedger.of`` with ``as_of`` for a past time)."""

    params: FormulaParams = field(default_factory=FormulaParams)
    acceptances: dict[str, AcceptanceFacts] = field(default_factory=dict)
    pending: dict[str, list[Evidence]] = field(default_factory=dict)
    agents: dict[str, AgentBook] = field(default_factory=dict)
    anomalies: Anomalies = field(default_factory=Anomalies)
    log_time: datetime | None = None
    events: int = 0

    @classmethod
    def of(cls, events: Iterable[Envelope], params: FormulaParams, as_of: datetime | None = None) -> TrustLedger:
        """The ledger of a set of events; with ``as_of``, only verdicts and settlements up to it."""
        ledger = cls(params)
        for event in events:
            if as_of is None or isinstance(event.payload, PactAccepted) or event.occurred_at <= as_of:
                ledger.fold(event)
        return ledger

    def fold(self, event: Envelope) -> set[str]:
        """Add one event; return the agents whose evidence changed. Other event types are ignored."""
        payload = event.payload
        if isinstance(payload, PactAccepted):
            self._seen(event)
            return self.accept(acceptance_facts(payload))
        if isinstance(payload, VerdictIssued):
            self._seen(event)
            return self.add_evidence(verdict_evidence(str(event.event_id), event.occurred_at, payload, self.params))
        if isinstance(payload, EscrowSettled):
            self._seen(event)
            return self.add_evidence(settlement_evidence(str(event.event_id), event.occurred_at, payload))
        return set()

    def _seen(self, event: Envelope) -> None:
        self.events += 1
        if self.log_time is None or event.occurred_at > self.log_time:
            self.log_time = event.occurred_at

    def accept(self, facts: AcceptanceFacts) -> set[str]:
        known = self.acceptances.get(facts.acceptance_id)
        if known is not None:
            if known != facts:
                self.anomalies.conflicting_acceptance += 1
            return set()
        self.acceptances[facts.acceptance_id] = facts
        changed: set[str] = set()
        for evidence in self.pending.pop(facts.acceptance_id, []):
            changed |= self._apply(evidence, facts)
        return changed

    def add_evidence(self, evidence: Evidence) -> set[str]:
        if seconds_since_epoch(evidence.occurred_at) < 0:
            self.anomalies.before_epoch += 1
            return set()
        facts = self.acceptances.get(evidence.acceptance_id)
        if facts is None:
            # The acceptance's own topic may be read later than this one: wait for it.
            self.pending.setdefault(evidence.acceptance_id, []).append(evidence)
            return set()
        return self._apply(evidence, facts)

    def _apply(self, evidence: Evidence, facts: AcceptanceFacts) -> set[str]:
        if evidence.agent_id is not None and evidence.agent_id != facts.agent_id:
            self.anomalies.agent_mismatch += 1
            return set()
        book = self.agents.setdefault(facts.agent_id, AgentBook())
        if book.last_event_at is None or evidence.occurred_at > book.last_event_at:
            book.last_event_at = evidence.occurred_at
        if facts.self_dealt:
            if evidence.kind == "verdict":
                book.self_dealt_verdicts += 1
            return {facts.agent_id}
        seconds = seconds_since_epoch(evidence.occurred_at)
        g = growth(seconds, self.params.half_life_s)
        period = period_of(seconds, self.params.half_life_s)
        for c in evidence.contributions:
            book.add((facts.buyer_id, c.dimension, period), c.passed * g, c.failed * g, c.burned * g, self.params)
        if evidence.kind == "verdict":
            book.verdicts += 1
        else:
            book.settlements += 1
            for c in evidence.contributions:
                if c.dimension == "economic_commitment":
                    book.released += c.passed
                    book.refunded += c.failed
        book.buyer_events[facts.buyer_id] = book.buyer_events.get(facts.buyer_id, 0) + 1
        return {facts.agent_id}

    def score(self, agent_id: str, as_of: datetime) -> AgentScore:
        book = self.agents.get(agent_id, AgentBook())
        if book.last_event_at is not None and as_of < book.last_event_at:
            raise AsOfBeforeEvidence(agent_id, as_of, book.last_event_at)
        return evaluate(agent_id, book.totals, book.counters(), as_of, self.params)

    def snapshot(self, as_of: datetime) -> dict[str, Any]:
        """Every agent's score at ``as_of`` as canonical-JSON-ready data (digest: ``snapshot_digest``)."""
        return snapshot_document(self.params, as_of, [self.score(agent_id, as_of) for agent_id in sorted(self.agents)])


def snapshot_document(params: FormulaParams, as_of: datetime, scores: list[AgentScore]) -> dict[str, Any]:
    return {
        "formula_version": FORMULA_VERSION,
        "params_digest": params.digest,
        "as_of": format_timestamp(as_of),
        "agents": {score.agent_id: score.to_json() for score in scores},
    }


def snapshot_digest(snapshot: dict[str, Any]) -> str:
    """SHA-256 of the snapshot's canonical JSON (RFC 8785), lowercase hex."""
    return sha256_hex(snapshot)

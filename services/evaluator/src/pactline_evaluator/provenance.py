"""The provenance rules: whose word may decide a clause built on reported evidence.

The buyer gains from a FAIL (its escrow comes back), so evidence the buyer alone reported can
confirm a PASS but never produce a FAIL: such a FAIL becomes INCONCLUSIVE. Evidence measured by
the platform's gateway, or countersigned by the provider, is decisive either way. A report the
provider disputed decides none of its measured clauses, PASS or FAIL.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from pactline_events import Outcome

from .checks import CheckResult
from .evidence import Provenance

# Clauses computed from what the task reports about itself rather than from its output, whose
# digest the provider commits to: the measurements, and the tool calls the report lists.
MEASURED_KINDS: frozenset[str] = frozenset(
    {"max_latency_ms", "max_cost", "max_tokens", "allowed_tools", "forbidden_tools"}
)
DECISIVE_PROVENANCES: frozenset[str] = frozenset({"gateway", "countersigned"})


def can_fail(kind: str, provenance: Provenance) -> bool:
    """May a clause of ``kind`` FAIL on evidence of this provenance?"""
    return kind not in MEASURED_KINDS or provenance in DECISIVE_PROVENANCES


def apply_provenance(kind: str, result: CheckResult, provenance: Provenance) -> CheckResult:
    if result.outcome is not Outcome.FAIL or can_fail(kind, provenance):
        return result
    return replace(
        result,
        outcome=Outcome.INCONCLUSIVE,
        detail=f"would fail ({result.detail}), but the evidence was reported by the buyer alone "
        "(provenance buyer_only), which can never produce a FAIL",
    )


@dataclass(frozen=True, slots=True)
class Dispute:
    """The provider's TaskDisputed of a buyer-only report; ``disputed_at`` is the event's time."""

    disputed_at: datetime
    disputed_by: str


def apply_dispute(kind: str, result: CheckResult, dispute: Dispute | None) -> CheckResult:
    """A measured clause of a disputed report is INCONCLUSIVE whatever the check said."""
    if dispute is None or kind not in MEASURED_KINDS or result.outcome is Outcome.INCONCLUSIVE:
        return result
    when = dispute.disputed_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return replace(
        result,
        outcome=Outcome.INCONCLUSIVE,
        detail=f"would be {result.outcome.value} ({result.detail}), but the provider ({dispute.disputed_by}) "
        f"disputed this report's measurements at {when}",
    )

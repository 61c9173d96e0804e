"""The provenance rule: whose word may produce a FAIL of a clause built on reported evidence.

The buyer gains from a FAIL (its escrow comes back), so evidence the buyer alone reported can
confirm a PASS but never produce a FAIL: such a FAIL becomes INCONCLUSIVE. Evidence measured by
the platform's gateway, or countersigned by the provider, is decisive either way.
"""

from __future__ import annotations

from dataclasses import replace

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

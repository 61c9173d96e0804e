"""Prometheus metrics of the jury (served on the service's /metrics)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

DELIBERATIONS = Counter("pactline_jury_deliberations_total", "Requests deliberated", ["simulated"])
CLAUSE_OUTCOMES = Counter("pactline_jury_clause_outcomes_total", "Clause outcomes", ["outcome", "reason"])
JUDGMENTS = Counter("pactline_jury_judgments_total", "Judgments by judge and validity", ["judge", "valid"])
JUDGMENT_FLAGS = Counter("pactline_jury_judgment_flags_total", "Judgment flags", ["judge", "flag"])
INJECTION_FINDINGS = Counter("pactline_jury_injection_findings_total", "Injection screen findings", ["kind"])
EXCLUSIONS = Counter("pactline_jury_excluded_judges_total", "Judges left off a panel", ["judge", "reason"])
COST = Counter("pactline_jury_cost_micro_usd_total", "Micro-USD spent on judges", ["judge"])
JUDGE_SECONDS = Histogram(
    "pactline_jury_judge_seconds",
    "One judgment's wall time (retries included)",
    ["judge"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60),
)
PANEL_SECONDS = Histogram(
    "pactline_jury_panel_seconds",
    "A request's panel wall time",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60),
)
BREAKER_OPEN = Gauge("pactline_jury_breaker_open", "1 while a provider's circuit breaker is open", ["provider"])
PENDING = Gauge("pactline_jury_pending_requests", "Requests waiting for a deliberation")

"""Prometheus metrics of the evaluator (served on /metrics by the runtime)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

VERDICTS = Counter("pactline_evaluator_verdicts_total", "Verdicts issued", ["outcome"])
CLAUSE_RESULTS = Counter(
    "pactline_evaluator_clause_results_total", "Clause results in issued verdicts", ["kind", "outcome"]
)
EVALUATION_SECONDS = Histogram(
    "pactline_evaluator_evaluation_seconds",
    "From a task's arrival at the evaluator to its verdict (wall clock)",
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 30, 60, 300, 900, 3600),
)
PENDING = Gauge("pactline_evaluator_pending_evaluations", "Tasks without a verdict yet", ["status"])
LATE_ANSWERS = Counter("pactline_evaluator_late_jury_answers_total", "JuryDeliberated after the deadline or verdict")

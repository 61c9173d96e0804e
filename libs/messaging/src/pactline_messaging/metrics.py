"""Prometheus metrics of the messaging layer (exposed by each service's /metrics)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

EVENTS_PUBLISHED = Counter("pactline_events_published_total", "Outbox events published to Kafka", ["topic"])
EVENTS_CONSUMED = Counter("pactline_events_consumed_total", "Events handled by a consumer", ["consumer", "outcome"])
DEAD_LETTERS = Counter("pactline_dead_letters_total", "Messages sent to the dead-letter topic", ["consumer", "kind"])
OUTBOX_BACKLOG = Gauge("pactline_outbox_backlog", "Unpublished outbox rows seen by the last relay pass")
BATCH_SIZE = Histogram(
    "pactline_consumer_batch_records",
    "Records per poll applied in one transaction",
    ["consumer"],
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000),
)

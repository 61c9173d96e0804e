"""Exactly-once plumbing: outbox and relay, inbox, the handler pattern, batched consumers,
projections as pure folds, dead letters, one retry policy."""

from . import advisory_locks, checkpoints, event_keys, inbox, migrations, outbox
from .consumer import EventConsumer
from .database import open_pool
from .dead_letters import DeadLetterPublisher
from .handling import EventHandlers, Handler, HandlerContext, RunContext, RunHandler
from .kafka_clients import (
    KafkaCredentials,
    ensure_topics,
    idempotent_producer,
    kafka_admin,
    kafka_broker,
    kafka_consumer,
    kafka_producer,
)
from .projection import Change, Projection, ProjectionContext, ProjectionRunner, load_state
from .relay import OutboxRelay

__all__ = [
    "Change",
    "DeadLetterPublisher",
    "EventConsumer",
    "EventHandlers",
    "Handler",
    "HandlerContext",
    "KafkaCredentials",
    "OutboxRelay",
    "Projection",
    "ProjectionContext",
    "ProjectionRunner",
    "RunContext",
    "RunHandler",
    "advisory_locks",
    "checkpoints",
    "ensure_topics",
    "event_keys",
    "idempotent_producer",
    "inbox",
    "kafka_admin",
    "kafka_broker",
    "kafka_consumer",
    "kafka_producer",
    "load_state",
    "migrations",
    "open_pool",
    "outbox",
]

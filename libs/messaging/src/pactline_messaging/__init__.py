"""Exactly-once plumbing: outbox and relay, inbox, projection checkpoints, consumers, dead letters."""

from . import checkpoints, inbox, migrations, outbox
from .consumer import EventConsumer
from .database import open_pool
from .dead_letters import DeadLetterPublisher
from .kafka_clients import ensure_topics, idempotent_producer
from .projection import ProjectionRunner
from .relay import OutboxRelay

__all__ = [
    "DeadLetterPublisher",
    "EventConsumer",
    "OutboxRelay",
    "ProjectionRunner",
    "checkpoints",
    "ensure_topics",
    "idempotent_producer",
    "inbox",
    "migrations",
    "open_pool",
    "outbox",
]

"""Kafka clients configured the one way Pactline uses them, and topic creation."""

from __future__ import annotations

import logging

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from pactline_events import ALL_TOPICS, TopicSpec

log = logging.getLogger(__name__)


def idempotent_producer(bootstrap: str, client_id: str) -> AIOKafkaProducer:
    """acks=all plus idempotence: a retried send is written once, in order, per partition."""
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        client_id=client_id,
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        request_timeout_ms=30_000,
    )


class TopicMismatch(RuntimeError):
    pass


async def ensure_topics(bootstrap: str, specs: tuple[TopicSpec, ...] = ALL_TOPICS) -> list[str]:
    """Create missing topics with their partitions and retention; return the names created.

    An existing topic with fewer partitions than the catalog says is an error: keys would
    land on other partitions than consumers expect.
    """
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="pactline-topics")
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [s for s in specs if s.name not in existing]
        if missing:
            await admin.create_topics([NewTopic(s.name, s.partitions, 1, topic_configs=s.configs) for s in missing])
        present = [s for s in specs if s.name in existing]
        if present:
            described = await admin.describe_topics([s.name for s in present])
            counts = {t["topic"]: len(t["partitions"]) for t in described}
            for spec in present:
                if counts.get(spec.name, 0) < spec.partitions:
                    raise TopicMismatch(
                        f"topic {spec.name} has {counts.get(spec.name)} partitions, catalog says {spec.partitions}"
                    )
        return [s.name for s in missing]
    finally:
        await admin.close()

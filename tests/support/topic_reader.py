"""Kafka helpers for tests: position a consumer group at the end of a topic."""

from __future__ import annotations

from aiokafka import TopicPartition

from pactline_events import TopicSpec
from pactline_messaging import kafka_consumer


async def start_group_at_end(kafka: str, group: str, topic: TopicSpec) -> None:
    """Commit ``group``'s offsets at the topic's current end, so a consumer joining that group
    sees only what is published from now on, however long the shared log already is."""
    consumer = kafka_consumer(bootstrap=kafka, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic.name, p) for p in range(topic.partitions)]
        consumer.assign(partitions)  # manual assignment: commit without joining the group
        ends = await consumer.end_offsets(partitions)
        await consumer.commit(dict(ends.items()))
    finally:
        await consumer.stop()

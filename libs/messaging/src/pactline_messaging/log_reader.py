"""Reading the log back: a topic (or one stream of it) from offset 0 to its current end.

For auditors and tools that replay what was written; services consume through consumers and
projections instead.
"""

from __future__ import annotations

from collections.abc import Callable

from aiokafka import TopicPartition
from aiokafka.structs import ConsumerRecord

from pactline_events import ChainVerifier, EventVerifier, TopicSpec

from .kafka_clients import kafka_consumer


async def read_topic(kafka: str, topic: TopicSpec, keep: Callable[[ConsumerRecord], bool]) -> list[ConsumerRecord]:
    """Every record of ``topic`` up to the end offsets at call time that ``keep`` accepts."""
    consumer = kafka_consumer(bootstrap=kafka, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic.name, p) for p in range(topic.partitions)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        out: list[ConsumerRecord] = []
        while [tp for tp in partitions if await consumer.position(tp) < ends[tp]]:
            for records in (await consumer.getmany(timeout_ms=1000)).values():
                out.extend(r for r in records if keep(r))
        return out
    finally:
        await consumer.stop()


async def read_stream(kafka: str, topic: TopicSpec, stream_id: str) -> list[bytes]:
    """The raw events of one stream (the Kafka key is the stream id), in log order."""
    return [r.value for r in await read_topic(kafka, topic, lambda r: r.key == stream_id.encode())]


async def verify_topic(kafka: str, topic: TopicSpec, verifier: EventVerifier | None) -> ChainVerifier:
    """Check every stream of ``topic`` (chains, and with ``verifier`` signatures, producers and
    topic); raises ``ChainBroken``, ``ForgedEvent`` or ``MisroutedEvent`` naming the event."""
    chain = ChainVerifier(verifier=verifier)
    for record in await read_topic(kafka, topic, lambda r: True):
        chain.add(record.value, topic=record.topic)
    return chain

"""The dead-letter topic: messages that cannot be decoded or keep failing, with the reason."""

from __future__ import annotations

import logging

from aiokafka import AIOKafkaProducer
from aiokafka.structs import ConsumerRecord

from pactline_events import DEAD_LETTERS

from .metrics import DEAD_LETTERS as DEAD_LETTER_COUNT

log = logging.getLogger(__name__)

REASON = "x-dead-letter-reason"
KIND = "x-dead-letter-kind"
CONSUMER = "x-dead-letter-consumer"
SOURCE_TOPIC = "x-dead-letter-topic"
SOURCE_PARTITION = "x-dead-letter-partition"
SOURCE_OFFSET = "x-dead-letter-offset"
ATTEMPTS = "x-dead-letter-attempts"


class DeadLetterPublisher:
    def __init__(self, producer: AIOKafkaProducer, consumer: str, topic: str = DEAD_LETTERS.name) -> None:
        self._producer = producer
        self._consumer = consumer
        self._topic = topic

    async def send(self, record: ConsumerRecord, *, kind: str, reason: str, attempts: int = 1) -> None:
        """Publish the original bytes with the reason; returns once the broker has them."""
        # A header with a null value is legal on the wire; keep the ones that carry bytes.
        headers = [
            (k, v)
            for k, v in (record.headers or ())
            if isinstance(k, str) and isinstance(v, bytes) and not k.startswith("x-dead-letter-")
        ]
        headers += [
            (REASON, reason[:2000].encode()),
            (KIND, kind.encode()),
            (CONSUMER, self._consumer.encode()),
            (SOURCE_TOPIC, record.topic.encode()),
            (SOURCE_PARTITION, str(record.partition).encode()),
            (SOURCE_OFFSET, str(record.offset).encode()),
            (ATTEMPTS, str(attempts).encode()),
        ]
        await self._producer.send_and_wait(self._topic, value=record.value, key=record.key, headers=headers)
        DEAD_LETTER_COUNT.labels(self._consumer, kind).inc()
        log.warning("dead-lettered %s[%d]@%d (%s): %s", record.topic, record.partition, record.offset, kind, reason)

"""A consumer never creates the topics it reads. They come from the catalog (`make topics`, with
their partition counts); FastStream, left to declare a subscriber's topics, would create a
missing one with a single partition whenever the principal may (and warn at every start of a
service whose principal may not). A consumer of a missing topic does not start."""

from __future__ import annotations

import uuid

import pytest
from aiokafka.errors import UnknownTopicOrPartitionError

from pactline_events import AgentRegistered, Envelope
from pactline_messaging import DeadLetterPublisher, EventConsumer, EventHandlers, HandlerContext, kafka_broker
from pactline_messaging.kafka_clients import kafka_admin

pytestmark = pytest.mark.infra


async def test_starting_a_consumer_creates_no_missing_topic(producing_service, producer, kafka_topics):
    missing = f"pactline.missing-{uuid.uuid4().hex[:8]}.v1"
    handlers = EventHandlers()

    @handlers.on(AgentRegistered)
    async def ignore(ctx: HandlerContext, event: Envelope) -> None:
        return None

    group = f"declare-{uuid.uuid4().hex[:8]}"
    # The consumer's start gives up on the missing topic after one metadata request timeout.
    broker = kafka_broker(kafka_topics, logger=None, request_timeout_ms=3000)
    consumer = EventConsumer(group, producing_service.pool, DeadLetterPublisher(producer, group), handlers)
    consumer.subscribe(broker, group_id=group, topics=[missing])
    # The tests' principal is the broker's admin: it could create the topic if asked to.
    try:
        with pytest.raises(UnknownTopicOrPartitionError):
            await broker.start()
    finally:
        await broker.stop()
    admin = kafka_admin(kafka_topics)
    await admin.start()
    try:
        topics = await admin.list_topics()
    finally:
        await admin.close()
    assert "pactline.agents.v1" in topics  # the listing is the broker's, with the catalog in it
    assert missing not in topics

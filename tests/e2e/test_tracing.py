"""Trace context written with an event reaches the consumer through Kafka headers."""

from __future__ import annotations

import uuid

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from pactline_events import AgentRegistered, Envelope
from pactline_events.topics import AGENTS
from pactline_messaging import DeadLetterPublisher, EventConsumer, EventHandlers, HandlerContext, kafka_broker
from topic_reader import start_group_at_end
from waiting import wait_for

pytestmark = pytest.mark.infra


def sdk_provider() -> TracerProvider:
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    return provider


async def test_consumer_span_continues_the_producers_trace(producing_service, producer, kafka_topics):
    exporter = InMemorySpanExporter()
    sdk_provider().add_span_processor(SimpleSpanProcessor(exporter))
    svc = producing_service
    seen: dict[str, int] = {}
    group = f"trace-{uuid.uuid4().hex[:8]}"
    await start_group_at_end(kafka_topics, group, AGENTS)

    with trace.get_tracer("test").start_as_current_span("POST /v1/agents") as request_span:
        event = await svc.register_agent(1)
    await svc.publish()

    handlers = EventHandlers()

    @handlers.on(AgentRegistered)
    async def record(ctx: HandlerContext, envelope: Envelope) -> None:
        if envelope.event_id == event.event_id:
            seen["trace_id"] = trace.get_current_span().get_span_context().trace_id

    broker = kafka_broker(kafka_topics, logger=None)
    EventConsumer(group, svc.pool, DeadLetterPublisher(producer, group), handlers).subscribe(broker, group_id=group)
    await broker.start()
    try:

        async def handled() -> bool:
            return "trace_id" in seen

        await wait_for(handled, what="the event to be consumed")
    finally:
        await broker.stop()
    assert seen["trace_id"] == request_span.get_span_context().trace_id
    consume_spans = [s for s in exporter.get_finished_spans() if s.name == "consume AgentRegistered"]
    assert any(
        s.parent is not None and s.parent.span_id == request_span.get_span_context().span_id for s in consume_spans
    )

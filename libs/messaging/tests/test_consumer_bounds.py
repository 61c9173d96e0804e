"""A poll is applied in transactions bounded by records and by bytes, in log order; a stream
always lands in one share of the poll; a run handler gets consecutive records of its type."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from aiokafka.structs import ConsumerRecord

from pactline_events import AgentRegistered, PactPublished
from pactline_messaging import EventConsumer, EventHandlers
from pactline_messaging.consumer import STREAM_LANES, lane_locks, stream_lane


def record(offset: int, size: int, key: bytes = b"stream-1", partition: int = 0) -> ConsumerRecord:
    return ConsumerRecord(
        topic="t",
        partition=partition,
        offset=offset,
        timestamp=0,
        timestamp_type=0,
        key=key,
        value=b"x" * size,
        checksum=None,
        serialized_key_size=len(key),
        serialized_value_size=size,
        headers=(),
    )


def consumer(max_records: int, max_bytes: int) -> EventConsumer:
    return EventConsumer("svc", None, None, EventHandlers(), batch_max_records=max_records, batch_max_bytes=max_bytes)  # type: ignore[arg-type]


def offsets(chunks) -> list[list[int]]:
    return [[r.offset for r, _ in chunk] for chunk in chunks]


def test_transactions_hold_at_most_the_configured_records():
    items = [(record(n, 10), None) for n in range(7)]
    assert offsets(consumer(3, 10_000)._chunks(items)) == [[0, 1, 2], [3, 4, 5], [6]]


def test_transactions_hold_at_most_the_configured_bytes_and_a_big_record_goes_alone():
    items = [(record(0, 400), None), (record(1, 500), None), (record(2, 200), None), (record(3, 5000), None)]
    assert offsets(consumer(100, 1000)._chunks(items)) == [[0, 1], [2], [3]]


def test_a_stream_always_has_the_same_lane_and_lock():
    a, b = record(0, 1, key=b"acceptance-1"), record(9, 1, key=b"acceptance-1")
    assert stream_lane(a) == stream_lane(b) < STREAM_LANES
    assert lane_locks("svc", [a]) == lane_locks("svc", [a, b]) == [f"svc/t/0/{stream_lane(a)}"]
    other_partition = record(1, 1, key=b"acceptance-1", partition=2)
    assert len(lane_locks("svc", [a, other_partition])) == 2


def test_consecutive_records_of_a_type_handled_by_runs_come_together_and_nothing_is_reordered():
    handlers = EventHandlers()

    @handlers.on_run(AgentRegistered)
    async def agents(ctx, events) -> None:
        return None

    @handlers.on(PactPublished)
    async def pact(ctx, event) -> None:
        return None

    kinds = ["AgentRegistered", "AgentRegistered", "PactPublished", "PactPublished", "AgentRegistered"]
    items = [(record(n, 1), SimpleNamespace(event_type=kind)) for n, kind in enumerate(kinds)]
    runs = list(EventConsumer("svc", None, None, handlers)._runs(items))  # type: ignore[arg-type]
    # The run handler gets both leading agents at once; each pact goes alone; order is kept.
    assert offsets(runs) == [[0, 1], [2], [3], [4]]


def test_a_type_has_one_handler_whether_it_takes_runs_or_single_events():
    handlers = EventHandlers()
    handlers.on(AgentRegistered)(lambda ctx, event: None)
    with pytest.raises(ValueError, match="already has a handler"):
        handlers.on_run(AgentRegistered)(lambda ctx, events: None)
    handlers.on_run(PactPublished)(lambda ctx, events: None)
    assert handlers.handles("PactPublished")
    assert handlers.get("PactPublished") is None
    assert set(handlers.event_types) == {"AgentRegistered", "PactPublished"}

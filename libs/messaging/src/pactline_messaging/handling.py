"""The one Kafka handler pattern: claim the event in the inbox, decide, append to the outbox,
all in one transaction.

A service declares its handlers on an ``EventHandlers`` by payload class; the runtime
subscribes its consumer group to the topics those event types travel on, and each handler
runs with a ``HandlerContext`` whose connection is inside the transaction that already holds
the inbox claim. ``ctx.emit`` appends follow-up events with causation and correlation taken
from the handled event, and with a deterministic id and time, so replaying the log gives
byte-identical events.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from pactline_events import EVENT_TYPES, Envelope, EventPayload, derived_event_id, topic_for

from . import outbox


@dataclass
class HandlerContext:
    """What a handler gets besides the event: the open transaction and a way to emit."""

    conn: asyncpg.Connection
    event: Envelope
    producer: str
    deps: Any = None
    """The running service (settings, clients) as the runtime hands it in."""
    emitted: list[Envelope] = field(default_factory=list)

    async def emit(
        self,
        stream_id: str,
        payload: EventPayload,
        *,
        occurred_at: datetime | None = None,
        event_id: UUID | None = None,
    ) -> Envelope:
        """Append ``payload`` to ``stream_id`` through the outbox, caused by the handled event.

        ``occurred_at`` defaults to the handled event's time and ``event_id`` to an id derived
        from (time, producer, cause, stream, position in this handler's output): both are
        functions of the log, never of the wall clock or a random source.
        """
        when = occurred_at or self.event.occurred_at
        envelope = await outbox.emit(
            self.conn,
            self.producer,
            stream_id,
            payload,
            occurred_at=when,
            event_id=event_id
            or derived_event_id(when, self.producer, self.event.event_id, stream_id, len(self.emitted)),
            correlation_id=self.event.correlation_id,
            causation_id=self.event.event_id,
        )
        self.emitted.append(envelope)
        return envelope


Handler = Callable[[HandlerContext, Envelope], Awaitable[None]]


class EventHandlers:
    """A service's handlers by event type; the topics to consume follow from the catalog."""

    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}

    def on(self, *payload_types: type[EventPayload]) -> Callable[[Handler], Handler]:
        """Register the decorated coroutine for each payload class (explicit wire names)."""

        def register(fn: Handler) -> Handler:
            for cls in payload_types:
                name = cls.event_type
                if EVENT_TYPES.get(name) is not cls:
                    raise ValueError(f"{cls.__name__} is not in the event catalog")
                if name in self._handlers:
                    raise ValueError(f"{name} already has a handler")
                self._handlers[name] = fn
            return fn

        return register

    def get(self, event_type: str) -> Handler | None:
        return self._handlers.get(event_type)

    @property
    def event_types(self) -> tuple[str, ...]:
        return tuple(self._handlers)

    @property
    def topics(self) -> tuple[str, ...]:
        """Each topic once, in a stable order."""
        return tuple(dict.fromkeys(topic_for(t) for t in self._handlers))

    def __bool__(self) -> bool:
        return bool(self._handlers)

"""The one Kafka handler pattern: claim the event in the inbox, decide, append to the outbox,
all in one transaction.

A service declares its handlers on an ``EventHandlers`` by payload class; the runtime
subscribes its consumer group to the topics those event types travel on, and each handler
runs with a ``HandlerContext`` whose connection is inside the transaction that already holds
the inbox claim. ``ctx.emit`` appends follow-up events with causation and correlation taken
from the handled event, and with a deterministic id and time, so replaying the log gives
byte-identical events.

A handler may instead take a **run** of events: ``EventHandlers.on_run`` registers a coroutine
that gets every consecutive event of its type in a transaction at once (a ``RunContext`` and
the envelopes, in log order), so it can read and write them with a few set-based statements
instead of a few statements per event. Runs never reorder the log: an event of another type
ends the run, and a run's effects must be those of handling its events one by one in order.
When a transaction fails, each event is applied again alone, as a run of one.
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


@dataclass
class RunContext:
    """What a run handler gets besides its events: the open transaction, the producer name
    and the running service. It derives ids and causes for what it emits from each event
    itself (as ``HandlerContext.emit`` does for one)."""

    conn: asyncpg.Connection
    producer: str
    deps: Any = None


Handler = Callable[[HandlerContext, Envelope], Awaitable[None]]
RunHandler = Callable[[RunContext, list[Envelope]], Awaitable[None]]


class EventHandlers:
    """A service's handlers by event type; the topics to consume follow from the catalog."""

    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}
        self._run_handlers: dict[str, RunHandler] = {}

    def on(self, *payload_types: type[EventPayload]) -> Callable[[Handler], Handler]:
        """Register the decorated coroutine for each payload class (explicit wire names)."""

        def register(fn: Handler) -> Handler:
            for name in self._free_names(payload_types):
                self._handlers[name] = fn
            return fn

        return register

    def on_run(self, *payload_types: type[EventPayload]) -> Callable[[RunHandler], RunHandler]:
        """Register the decorated coroutine for runs of consecutive events of each payload class."""

        def register(fn: RunHandler) -> RunHandler:
            for name in self._free_names(payload_types):
                self._run_handlers[name] = fn
            return fn

        return register

    def _free_names(self, payload_types: tuple[type[EventPayload], ...]) -> list[str]:
        names = []
        for cls in payload_types:
            name = cls.event_type
            if EVENT_TYPES.get(name) is not cls:
                raise ValueError(f"{cls.__name__} is not in the event catalog")
            if name in self._handlers or name in self._run_handlers:
                raise ValueError(f"{name} already has a handler")
            names.append(name)
        return names

    def get(self, event_type: str) -> Handler | None:
        return self._handlers.get(event_type)

    def get_run(self, event_type: str) -> RunHandler | None:
        return self._run_handlers.get(event_type)

    def handles(self, event_type: str) -> bool:
        return event_type in self._handlers or event_type in self._run_handlers

    @property
    def event_types(self) -> tuple[str, ...]:
        return (*self._handlers, *self._run_handlers)

    @property
    def topics(self) -> tuple[str, ...]:
        """Each topic once, in a stable order."""
        return tuple(dict.fromkeys(topic_for(t) for t in self.event_types))

    def __bool__(self) -> bool:
        return bool(self._handlers or self._run_handlers)

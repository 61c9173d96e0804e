"""A buyer's call, end to end: forward it to the agent, measure it, answer, record the evidence.

The call was reserved before it is forwarded (the API does that), so the buyer gets the answer
as soon as the agent gave it, and the TaskCompleted is written right after; a crash in between
leaves the reservation, which the sweeper records as interrupted. Forwarding and recording run
as their own task, so a buyer who hangs up cannot stop a call from being recorded (or cut its
output short).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import Response
from fastapi.responses import StreamingResponse
from prometheus_client import Counter, Histogram

from pactline_events import AgentError
from pactline_evidence import EndpointPolicy, EndpointRefused

from . import domain
from .completions import ChatRequest, Completion
from .domain import Admission, Measurement
from .forwarding import Forwarded, StreamSink, forward
from .recording import Recorder

log = logging.getLogger(__name__)

CALLS = Counter("pactline_gateway_calls_total", "Calls forwarded to agents, by outcome", ["outcome"])
AGENT_LATENCY = Histogram(
    "pactline_gateway_agent_latency_seconds",
    "Measured agent latency (request sent to last byte)",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
DONE_EVENT = b"data: [DONE]\n\n"


@dataclass(frozen=True)
class _Start:
    status: int
    content_type: str


@dataclass(frozen=True)
class _End:
    forwarded: Forwarded


class _QueueSink(StreamSink):
    def __init__(self) -> None:
        self.queue: asyncio.Queue[Any] = asyncio.Queue()

    def started(self, status: int, content_type: str) -> None:
        self.queue.put_nowait(_Start(status, content_type))

    def event(self, raw: bytes) -> None:
        self.queue.put_nowait(raw)


class Gateway:
    """The gateway's calls: its agent client, its recorder, and its limits."""

    def __init__(
        self, client: httpx.AsyncClient, recorder: Recorder, policy: EndpointPolicy, max_response_bytes: int
    ) -> None:
        self._client = client
        self._recorder = recorder
        self._policy = policy
        self._max_response_bytes = max_response_bytes

    async def start(self) -> None:
        await self._recorder.start()

    async def stop(self) -> None:
        await self._recorder.stop()
        await self._client.aclose()

    async def call(self, admission: Admission, chat: ChatRequest) -> Response:
        headers = {"X-Pactline-Task-Id": admission.frame.task_id, "X-Pactline-Provenance": "gateway"}
        answered: asyncio.Future[Forwarded] = asyncio.get_running_loop().create_future()
        sink = _QueueSink() if chat.stream else None
        self._recorder.spawn(self._forward_and_record(admission, chat, sink, answered))
        if sink is None:
            return self._whole(await asyncio.shield(answered), headers)
        first = await sink.queue.get()
        if isinstance(first, _End):  # failed before any stream began: a plain answer
            return self._whole(first.forwarded, headers)
        return StreamingResponse(
            self._relay(sink.queue), status_code=first.status, media_type=first.content_type, headers=headers
        )

    @staticmethod
    def _whole(forwarded: Forwarded, headers: dict[str, str]) -> Response:
        return Response(
            forwarded.body, status_code=forwarded.status, media_type=forwarded.content_type, headers=headers
        )

    @staticmethod
    async def _relay(queue: asyncio.Queue[Any]) -> AsyncIterator[bytes]:
        while True:
            item = await queue.get()
            if isinstance(item, _End):
                if item.forwarded.stream_done:
                    yield DONE_EVENT
                return
            yield item

    async def _forward_and_record(
        self, admission: Admission, chat: ChatRequest, sink: _QueueSink | None, answered: asyncio.Future[Forwarded]
    ) -> None:
        try:
            forwarded = await self._forward(admission, chat, sink)
        except Exception:
            # A fault of the gateway's own: the reservation stays, and the sweeper records the
            # call as interrupted.
            log.exception("call %s failed inside the gateway", admission.frame.task_id)
            body = error_body("gateway_error", "the gateway failed on this call; it is recorded as interrupted")
            forwarded = Forwarded(500, "application/json", body, Measurement(Completion(), 0, None, None))
            answered.set_result(forwarded)
            if sink is not None:
                sink.queue.put_nowait(_End(forwarded))
            CALLS.labels("gateway_error").inc()
            return
        answered.set_result(forwarded)
        if sink is not None:
            sink.queue.put_nowait(_End(forwarded))
        event = domain.task_completed(admission.frame, forwarded.measurement)
        recorded = await self._recorder.record(admission.frame, event)
        error = forwarded.measurement.error
        CALLS.labels("not_recorded" if not recorded else error.kind if error else "recorded").inc()
        AGENT_LATENCY.observe(forwarded.measurement.latency_ms / 1000)

    async def _forward(self, admission: Admission, chat: ChatRequest, sink: _QueueSink | None) -> Forwarded:
        try:
            self._policy.check_url(admission.base_url)
        except EndpointRefused as refused:
            error = AgentError(kind="unreachable", message=f"the endpoint is refused: {refused.reason}"[:1000])
            body = error_body("agent_endpoint_refused", error.message)
            return Forwarded(502, "application/json", body, Measurement(Completion(), 0, None, error))
        return await forward(
            self._client,
            admission.base_url.rstrip("/") + "/chat/completions",
            chat.forward_body,
            {
                "Content-Type": "application/json",
                "Accept": "text/event-stream" if chat.stream else "application/json",
                "Accept-Encoding": "identity",
                "X-Pactline-Acceptance": admission.frame.acceptance_id,
                "X-Pactline-Task-Id": admission.frame.task_id,
            },
            stream=chat.stream,
            max_bytes=self._max_response_bytes,
            sink=sink,
        )


def error_body(code: str, message: str, pointer: str | None = None) -> bytes:
    fields = [] if pointer is None else [{"in": "body", "pointer": pointer, "message": message}]
    return json.dumps({"error": {"code": code, "message": message, "fields": fields}}).encode()

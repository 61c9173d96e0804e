"""A buyer's call, end to end: forward it to the agent, measure it, record the evidence, answer.

The buyer gets the whole answer only once its evidence is committed: a non-streamed answer is
sent after the commit, a stream's last event (``data: [DONE]``) follows it. The forwarding and
recording run as their own task, so a buyer who hangs up cannot stop a call from being
recorded (or cut its output short).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import asyncpg
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
    recorded: bool


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
        headers = {"X-Pactline-Task-Id": admission.task_id, "X-Pactline-Provenance": "gateway"}
        sink = _QueueSink() if chat.stream else None
        work = self._recorder.spawn(self._forward_and_record(admission, chat, sink))
        if sink is None:
            end = await asyncio.shield(work)
            return self._whole(end, headers)
        first = await sink.queue.get()
        if isinstance(first, _End):  # failed before any stream began: a plain answer
            return self._whole(first, headers)
        return StreamingResponse(
            self._relay(sink.queue), status_code=first.status, media_type=first.content_type, headers=headers
        )

    @staticmethod
    def _whole(end: _End, headers: dict[str, str]) -> Response:
        if not end.recorded:
            body = error_body("evidence_not_recorded", "the call could not be recorded, so it is not delivered")
            return Response(body, status_code=503, media_type="application/json", headers=headers)
        forwarded = end.forwarded
        return Response(
            forwarded.body, status_code=forwarded.status, media_type=forwarded.content_type, headers=headers
        )

    @staticmethod
    async def _relay(queue: asyncio.Queue[Any]) -> AsyncIterator[bytes]:
        while True:
            item = await queue.get()
            if isinstance(item, _End):
                if not item.recorded:
                    message = "the call could not be recorded, so its end is not delivered"
                    yield b"event: error\ndata: " + error_body("evidence_not_recorded", message) + b"\n\n"
                elif item.forwarded.stream_done:
                    yield DONE_EVENT
                return
            yield item

    async def _forward_and_record(self, admission: Admission, chat: ChatRequest, sink: _QueueSink | None) -> _End:
        forwarded = await self._forward(admission, chat, sink)
        event = domain.task_completed(admission, forwarded.measurement)
        try:
            await self._recorder.record(admission, event)
            recorded = True
        except (asyncpg.PostgresError, OSError) as exc:
            log.error("task %s of %s not recorded: %s", admission.task_id, admission.acceptance.acceptance_id, exc)
            recorded = False
        error = forwarded.measurement.error
        CALLS.labels("recorded" if recorded and error is None else error.kind if error else "not_recorded").inc()
        AGENT_LATENCY.observe(forwarded.measurement.latency_ms / 1000)
        end = _End(forwarded, recorded)
        if sink is not None:
            sink.queue.put_nowait(end)
        return end

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
                "X-Pactline-Acceptance": admission.acceptance.acceptance_id,
                "X-Pactline-Task-Id": admission.task_id,
            },
            stream=chat.stream,
            max_bytes=self._max_response_bytes,
            sink=sink,
        )


def error_body(code: str, message: str, pointer: str | None = None) -> bytes:
    fields = [] if pointer is None else [{"in": "body", "pointer": pointer, "message": message}]
    return json.dumps({"error": {"code": code, "message": message, "fields": fields}}).encode()

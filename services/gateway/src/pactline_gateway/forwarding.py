"""One call forwarded to an agent and measured: request sent -> first token -> last byte.

Streams pass through event by event as they arrive; only the agent's final ``data: [DONE]``
waits until the agent has closed its stream and the call's measurement is complete.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

import httpx

from pactline_events import AgentError

from .completions import Completion, ResponseMalformed, SseSplitter, StreamAccumulator, event_data, parse_response
from .domain import Measurement

_ERROR_TEXT = 1000


@dataclass
class Forwarded:
    """What to answer the buyer (for a whole response) and what was measured."""

    status: int
    content_type: str
    body: bytes
    measurement: Measurement
    stream_done: bool = False  # the agent ended its stream with [DONE]


class StreamSink:
    """Where a streamed answer goes as it arrives; the API turns it into the buyer's response."""

    def started(self, status: int, content_type: str) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def event(self, raw: bytes) -> None:  # pragma: no cover - interface
        raise NotImplementedError


def _ms(start_ns: int) -> int:
    return (time.perf_counter_ns() - start_ns) // 1_000_000


async def forward(
    client: httpx.AsyncClient,
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    stream: bool,
    max_bytes: int,
    sink: StreamSink | None,
) -> Forwarded:
    start = time.perf_counter_ns()
    request = client.build_request("POST", url, content=body, headers=headers)
    try:
        response = await client.send(request, stream=True)
    except httpx.TimeoutException as exc:
        return _failed(504, "agent_timeout", AgentError(kind="timeout", message=_text(exc)), _ms(start))
    except httpx.TransportError as exc:
        return _failed(502, "agent_unreachable", AgentError(kind="unreachable", message=_text(exc)), _ms(start))
    try:
        content_type = response.headers.get("content-type", "application/json")
        if not response.is_success:
            raw, _, _ = await _read(response, max_bytes, start)
            error = AgentError(kind="http_status", status=response.status_code, message=_text(raw))
            return Forwarded(
                response.status_code, content_type, raw, Measurement(Completion(), _ms(start), None, error)
            )
        if stream and content_type.startswith("text/event-stream") and sink is not None:
            return await _stream(response, content_type, max_bytes, start, sink)
        raw, first, cut = await _read(response, max_bytes, start)
        latency = _ms(start)
        if cut:
            error = AgentError(kind="too_large", message=f"the answer passed {max_bytes} bytes and was cut")
            measurement = Measurement(Completion(output=raw.decode("utf-8", "replace")), latency, first, error)
            return _failed(502, "agent_response_too_large", error, latency, measurement)
        try:
            completion, error = parse_response(raw), None
        except ResponseMalformed as exc:
            completion = Completion(output=raw.decode("utf-8", "replace"))
            error = AgentError(kind="malformed_response", status=response.status_code, message=_text(exc))
        return Forwarded(response.status_code, content_type, raw, Measurement(completion, latency, first, error))
    except httpx.TimeoutException as exc:
        error = AgentError(kind="timeout", message=f"the answer stopped coming: {_text(exc)}")
        return _failed(504, "agent_timeout", error, _ms(start))
    except httpx.TransportError as exc:
        error = AgentError(kind="unreachable", message=f"the connection broke mid-answer: {_text(exc)}")
        return _failed(502, "agent_unreachable", error, _ms(start))
    finally:
        await response.aclose()


async def _read(response: httpx.Response, max_bytes: int, start: int) -> tuple[bytes, int | None, bool]:
    """The body up to ``max_bytes``, the time of its first byte, and whether it was cut."""
    chunks, size, first = [], 0, None
    async for chunk in response.aiter_bytes():
        if first is None:
            first = _ms(start)
        size += len(chunk)
        if size > max_bytes:
            chunks.append(chunk[: len(chunk) - (size - max_bytes)])
            return b"".join(chunks), first, True
        chunks.append(chunk)
    return b"".join(chunks), first, False


async def _stream(
    response: httpx.Response, content_type: str, max_bytes: int, start: int, sink: StreamSink
) -> Forwarded:
    sink.started(response.status_code, content_type)
    splitter, folded, first, size, error = SseSplitter(), StreamAccumulator(), None, 0, None
    streamed_to_end = False
    try:
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > max_bytes:
                error = AgentError(kind="too_large", message=f"the stream passed {max_bytes} bytes and was cut")
                break
            for raw in splitter.feed(chunk):
                first = _take(raw, folded, sink, first, start)
        else:
            streamed_to_end = True
    except httpx.TimeoutException as exc:
        error = AgentError(kind="timeout", message=f"the stream stopped coming: {_text(exc)}")
    except httpx.TransportError as exc:
        error = AgentError(kind="unreachable", message=f"the stream broke: {_text(exc)}")
    if streamed_to_end and (rest := splitter.rest()).strip():
        first = _take(rest + b"\n\n", folded, sink, first, start)
    latency = _ms(start)
    if error is None and folded.malformed:
        error = AgentError(kind="malformed_response", status=response.status_code, message=folded.malformed[:1000])
    measurement = Measurement(folded.completion(), latency, first, error)
    return Forwarded(response.status_code, content_type, b"", measurement, stream_done=folded.done)


def _take(raw: bytes, folded: StreamAccumulator, sink: StreamSink, first: int | None, start: int) -> int | None:
    data = event_data(raw)
    if data is not None and folded.add(data) and first is None:
        first = _ms(start)
    if not folded.done:
        sink.event(raw)
    return first


def _failed(
    status: int, code: str, error: AgentError, latency: int, measurement: Measurement | None = None
) -> Forwarded:
    body = json.dumps({"error": {"code": code, "message": error.message, "fields": []}}).encode()
    return Forwarded(status, "application/json", body, measurement or Measurement(Completion(), latency, None, error))


def _text(value: object) -> str:
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value) or type(value).__name__
    return text[:_ERROR_TEXT]

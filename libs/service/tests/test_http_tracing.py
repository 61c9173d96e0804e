"""HTTP server spans come from opentelemetry-instrumentation-fastapi and continue the caller's trace."""

from __future__ import annotations

import httpx
from fastapi import APIRouter
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from pactline_service import ServiceSettings, ServiceSpec, build_app

router = APIRouter()


@router.get("/v1/things/{thing_id}")
async def thing(thing_id: str) -> dict[str, str]:
    return {"thing_id": thing_id, "trace_id": format(trace.get_current_span().get_span_context().trace_id, "032x")}


def sdk_provider() -> TracerProvider:
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    return provider


async def test_an_incoming_traceparent_continues_the_callers_trace_and_spans_use_the_route_template():
    exporter = InMemorySpanExporter()
    sdk_provider().add_span_processor(SimpleSpanProcessor(exporter))
    app = build_app(ServiceSpec(name="trace-test", schema="trace_test", port=1, routers=(router,)), ServiceSettings())
    caller_trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    traceparent = f"00-{caller_trace}-00f067aa0ba902b7-01"
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as http:
        response = await http.get("/v1/things/t-42", headers={"traceparent": traceparent})
    assert response.status_code == 200
    assert response.json()["trace_id"] == caller_trace
    servers = [s for s in exporter.get_finished_spans() if s.kind is trace.SpanKind.SERVER]
    assert [s.name for s in servers] == ["GET /v1/things/{thing_id}"]
    assert format(servers[0].context.trace_id, "032x") == caller_trace
    assert servers[0].parent is not None
    assert format(servers[0].parent.span_id, "016x") == "00f067aa0ba902b7"

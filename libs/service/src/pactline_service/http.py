"""HTTP plumbing shared by services: /health, /ready, /metrics, correlation ids, request metrics.

Server spans come from opentelemetry-instrumentation-fastapi (installed by ``build_app``).
"""

from __future__ import annotations

import asyncio
import time
import uuid

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest

from pactline_messaging.correlation import correlation_id

HTTP_REQUESTS = Counter("pactline_http_requests_total", "HTTP requests", ["service", "method", "route", "status"])
HTTP_LATENCY = Histogram("pactline_http_request_seconds", "HTTP request latency", ["service", "route"])

probe_router = APIRouter(tags=["operations"])


@probe_router.get("/health", summary="Liveness: the process is up")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@probe_router.get("/ready", summary="Readiness: the broker and the database answer")
async def ready(request: Request) -> JSONResponse:
    service = getattr(request.app.state, "service", None)
    if service is None:
        return JSONResponse({"status": "starting"}, status_code=503)
    checks: dict[str, str] = {}
    try:
        async with asyncio.timeout(2):
            await service.pool.fetchval("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"error: {type(exc).__name__}"
    try:
        checks["broker"] = "ok" if await service.broker.ping(timeout=2) else "error: no answer"
    except Exception as exc:
        checks["broker"] = f"error: {type(exc).__name__}"
    ok = all(v == "ok" for v in checks.values())
    body = {"status": "ready" if ok else "not ready", "service": service.name, "checks": checks}
    return JSONResponse(body, status_code=200 if ok else 503)


@probe_router.get("/metrics", summary="Prometheus metrics")
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


def install_http_middleware(app: FastAPI, service: str) -> None:
    @app.middleware("http")
    async def correlate(request: Request, call_next):  # type: ignore[no-untyped-def]
        incoming = request.headers.get("x-correlation-id", "")
        try:
            cid = str(uuid.UUID(incoming))
        except ValueError:
            cid = str(uuid.uuid4())
        token = correlation_id.set(cid)
        started = time.perf_counter()
        try:
            response = await call_next(request)
        finally:
            correlation_id.reset(token)
        # Labelled by route template, not raw path, so ids do not explode the label set.
        path = getattr(request.scope.get("route"), "path", "unmatched")
        HTTP_LATENCY.labels(service, path).observe(time.perf_counter() - started)
        HTTP_REQUESTS.labels(service, request.method, path, str(response.status_code)).inc()
        response.headers["x-correlation-id"] = cid
        return response

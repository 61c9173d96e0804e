"""Runs a service app in-process (its real lifespan, real Kafka and Postgres) for a test."""

from __future__ import annotations

import dataclasses

import httpx

from pactline_service import ServiceSpec, build_app


async def ready_body(spec: ServiceSpec, database_url: str, kafka: str, schema: str) -> dict:
    """Start ``spec`` in ``schema``, return its /ready body, and stop it."""
    settings = spec.settings(database_url=database_url, kafka_bootstrap=kafka, log_format="text")
    app = build_app(dataclasses.replace(spec, schema=schema), settings)
    transport = httpx.ASGITransport(app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://svc") as http:
        response = await http.get("/ready")
        assert response.status_code == 200, response.text
        return response.json()

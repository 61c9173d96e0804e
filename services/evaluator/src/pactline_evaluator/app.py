"""The evaluator service: its runtime spec (name, schema, port, consumers, routes)."""

from __future__ import annotations

from fastapi import FastAPI

from pactline_service import ServiceSettings, ServiceSpec, build_app

SPEC = ServiceSpec(
    name="evaluator",
    schema="evaluator",
    port=8102,
    description="Evaluates each completed task against its pact: deterministic checks plus the jury's rubric results.",
)


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    return build_app(SPEC, settings)

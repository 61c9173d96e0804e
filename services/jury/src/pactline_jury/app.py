"""The jury service: its runtime spec (name, schema, port, consumers, routes)."""

from __future__ import annotations

from fastapi import FastAPI

from pactline_service import ServiceSettings, ServiceSpec, build_app

SPEC = ServiceSpec(
    name="jury",
    schema="jury",
    port=8103,
    description="A panel of LLM judges from different model families that scores rubric clauses.",
)


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    return build_app(SPEC, settings)

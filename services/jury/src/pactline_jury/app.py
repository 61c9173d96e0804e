"""The jury service: its runtime spec (name, schema, port, consumers, routes)."""

from __future__ import annotations

from fastapi import FastAPI

from pactline_service import ServiceSpec, build_app

from .settings import JurySettings

SPEC = ServiceSpec(
    name="jury",
    schema="jury",
    settings=JurySettings,
    port=8103,
    description="A panel of LLM judges from different model families that scores rubric clauses.",
)


def create_app(settings: JurySettings | None = None) -> FastAPI:
    return build_app(SPEC, settings)

"""The evaluator service: its runtime spec (name, schema, port, consumers, routes)."""

from __future__ import annotations

from fastapi import FastAPI

from pactline_service import ServiceSpec, build_app

from .settings import EvaluatorSettings

SPEC = ServiceSpec(
    name="evaluator",
    schema="evaluator",
    settings=EvaluatorSettings,
    port=8102,
    description="Evaluates each completed task against its pact: deterministic checks plus the jury's rubric results.",
)


def create_app(settings: EvaluatorSettings | None = None) -> FastAPI:
    return build_app(SPEC, settings)

"""The scoring service: its runtime spec (name, schema, port, consumers, routes)."""

from __future__ import annotations

from fastapi import FastAPI

from pactline_service import ServiceSpec, build_app

from .settings import ScoringSettings

SPEC = ServiceSpec(
    name="scoring",
    schema="scoring",
    settings=ScoringSettings,
    port=8104,
    description="Trust scores: a projection of verdicts and settlements, served by the Trust Oracle API.",
)


def create_app(settings: ScoringSettings | None = None) -> FastAPI:
    return build_app(SPEC, settings)

"""The scoring service: its runtime spec (name, schema, port, consumers, routes)."""

from __future__ import annotations

from fastapi import FastAPI

from pactline_service import ServiceSettings, ServiceSpec, build_app

SPEC = ServiceSpec(
    name="scoring",
    schema="scoring",
    port=8104,
    description="Trust scores: a projection of verdicts and settlements, served by the Trust Oracle API.",
)


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    return build_app(SPEC, settings)

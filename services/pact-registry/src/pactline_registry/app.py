"""The pact-registry service: its runtime spec (name, schema, port, consumers, routes)."""

from __future__ import annotations

from fastapi import FastAPI

from pactline_service import ServiceSettings, ServiceSpec, build_app

SPEC = ServiceSpec(
    name="pact-registry",
    schema="registry",
    port=8101,
    description="Agents, behavioral pacts, acceptances with escrow terms, and task intake.",
)


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    return build_app(SPEC, settings)

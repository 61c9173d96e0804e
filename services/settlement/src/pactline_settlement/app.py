"""The settlement service: its runtime spec (name, schema, port, consumers, routes)."""

from __future__ import annotations

from fastapi import FastAPI

from pactline_service import ServiceSettings, ServiceSpec, build_app

SPEC = ServiceSpec(
    name="settlement",
    schema="settlement",
    port=8105,
    description="Drives the escrow contracts from verdicts: releases, refunds and aggregate batches.",
)


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    return build_app(SPEC, settings)

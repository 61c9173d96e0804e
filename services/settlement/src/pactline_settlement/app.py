"""The settlement service: its runtime spec (name, schema, port, consumers, routes)."""

from __future__ import annotations

from fastapi import FastAPI

from pactline_service import ServiceSpec, build_app

from .settings import SettlementSettings

SPEC = ServiceSpec(
    name="settlement",
    schema="settlement",
    settings=SettlementSettings,
    port=8105,
    description="Drives the escrow contracts from verdicts: releases, refunds and aggregate batches.",
)


def create_app(settings: SettlementSettings | None = None) -> FastAPI:
    return build_app(SPEC, settings)

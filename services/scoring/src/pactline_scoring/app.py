"""The scoring service: the trust-score projection and the Trust Oracle API."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from pactline_service import Service, ServiceSpec, build_app

from .api import router
from .projection import ScoringProjection
from .settings import ScoringSettings


def _projection(service: Service) -> ScoringProjection:
    settings = service.settings
    assert isinstance(settings, ScoringSettings)
    return ScoringProjection(settings.formula(), topics=settings.topics(), announce=settings.scoring_announce)


SPEC = ServiceSpec(
    name="scoring",
    schema="scoring",
    settings=ScoringSettings,
    port=8104,
    migrations=Path(__file__).parent / "migrations",
    projections=(_projection,),
    routers=(router,),
    description="Trust scores: a projection of verdicts and settlements, served by the Trust Oracle API.",
)


def create_app(settings: ScoringSettings | None = None) -> FastAPI:
    return build_app(SPEC, settings)

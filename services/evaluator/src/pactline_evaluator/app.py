"""The evaluator service: its runtime spec (name, schema, port, handlers, sweeper, routes)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI

from pactline_service import Service, ServiceSpec, build_app

from .api import AUTHENTICATOR, router
from .auth import RegistryKeys
from .handlers import handlers
from .settings import EvaluatorSettings
from .sweeper import DeadlineSweeper, DeliberationsLag


async def _setup(service: Service) -> None:
    settings = service.settings
    assert isinstance(settings, EvaluatorSettings)
    service.resources[AUTHENTICATOR] = RegistryKeys(service.pool, settings.registry_key_pepper.get_secret_value())
    service.background.append(
        DeadlineSweeper(
            service.pool,
            service.producer_name,
            settings.policy(),
            # The runtime's consumer group is the service's name.
            DeliberationsLag(settings.kafka_bootstrap, service.name),
            grace=timedelta(seconds=settings.evaluator_sweep_grace_s),
            interval_s=settings.evaluator_sweep_interval_s,
        )
    )


SPEC = ServiceSpec(
    name="evaluator",
    schema="evaluator",
    settings=EvaluatorSettings,
    port=8102,
    migrations=Path(__file__).parent / "migrations",
    handlers=handlers,
    consumer_concurrency=2,
    setup=_setup,
    routers=(router,),
    description="Evaluates each completed task against its pact: deterministic checks plus the jury's rubric "
    "results. GET /v1/verdicts/{task_id} shows a verdict to the task's buyer and the agent's operator "
    "(registry API keys, learnt from the registry's key events).",
)


def create_app(settings: EvaluatorSettings | None = None) -> FastAPI:
    return build_app(SPEC, settings)

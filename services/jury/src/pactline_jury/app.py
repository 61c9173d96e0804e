"""The jury service: JuryRequested in (handlers.py), JuryDeliberated out (worker.py)."""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI

from pactline_service import Service, ServiceSpec, build_app

from .api import router
from .deliberation import Jury
from .handlers import handlers
from .judging import check_keys
from .settings import JurySettings, load_panel
from .worker import DeliberationWorker

log = logging.getLogger(__name__)


async def _setup(service: Service) -> None:
    settings: JurySettings = service.settings  # type: ignore[assignment]
    panel = load_panel(settings.jury_panel_file)
    check_keys(panel.judges)  # a missing API key stops the start, not the first request
    jury = Jury(panel)
    log.info("jury panel %s: %s", panel.panel_version, ", ".join(f"{j.judge_id} ({j.family})" for j in panel.judges))
    service.resources["jury"] = jury
    service.background.append(DeliberationWorker(service.pool, jury, settings))


SPEC = ServiceSpec(
    name="jury",
    schema="jury",
    settings=JurySettings,
    port=8103,
    migrations=Path(__file__).parent / "migrations",
    handlers=handlers,
    setup=_setup,
    routers=(router,),
    description="A panel of LLM judges from different model families that scores rubric clauses "
    "(docs/jury.md). GET /v1/jury/stats and /v1/jury/panel are read-only and carry no task's data.",
)


def create_app(settings: JurySettings | None = None) -> FastAPI:
    return build_app(SPEC, settings)

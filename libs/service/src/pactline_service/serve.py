"""Running a service under uvicorn with graceful shutdown on SIGTERM/SIGINT."""

from __future__ import annotations

import uvicorn

from .runtime import ServiceSpec, build_app
from .settings import ServiceSettings


def serve(spec: ServiceSpec, settings: ServiceSettings | None = None) -> None:
    """Read the spec's settings class from the environment once, build the app, run it."""
    settings = settings if settings is not None else spec.settings()
    app = build_app(spec, settings, freeze_after_startup=True)
    uvicorn.run(
        app,
        host=settings.http_host,
        port=settings.http_port or spec.port,
        log_config=None,  # our JSON logging is already configured
        timeout_graceful_shutdown=int(settings.shutdown_grace_s),
        lifespan="on",
    )

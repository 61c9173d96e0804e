"""The skeleton every Pactline service runs on: lifespan, health, metrics, tracing, logs, settings."""

from .runtime import Service, ServiceSpec, build_app
from .serve import serve
from .settings import ServiceSettings

__all__ = ["Service", "ServiceSettings", "ServiceSpec", "build_app", "serve"]

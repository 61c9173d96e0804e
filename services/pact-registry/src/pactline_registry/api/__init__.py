"""The registry's HTTP API, versioned under /v1."""

from .acceptances import router as acceptances_router
from .agents import router as agents_router
from .identities import router as identities_router

ROUTERS = (identities_router, agents_router, acceptances_router)

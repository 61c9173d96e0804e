"""The settlement service: its runtime spec (handlers, the ledger projection, the signer, routes)."""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI

from pactline_service import Service, ServiceSpec, build_app

from .api import router
from .handlers import handlers
from .identity import ChainNotConfigured, resolve
from .projection import LedgerProjection
from .settings import SettlementSettings
from .worker import SettlementWorker

log = logging.getLogger(__name__)


async def _setup(service: Service) -> None:
    settings = service.settings
    assert isinstance(settings, SettlementSettings)
    try:
        identity = resolve(settings)
    except ChainNotConfigured as exc:
        # Still useful without a chain: verdicts are recorded and the ledger is served; nothing
        # is settled until a deployment is configured and the service restarted.
        log.warning("settlement has no chain: %s", exc)
        return
    service.resources["chain_identity"] = identity
    if not settings.has_signer():
        log.warning("no evaluator key (or PACTLINE_SETTLEMENT_SIGNER_ENABLED=false): this replica never signs")
        return
    schema = await service.pool.fetchval("SELECT current_schema()")
    worker = SettlementWorker(service.pool, service.name, schema, settings, identity)
    service.resources["signer"] = worker
    service.background.append(worker)


SPEC = ServiceSpec(
    name="settlement",
    schema="settlement",
    settings=SettlementSettings,
    port=8105,
    migrations=Path(__file__).parent / "migrations",
    handlers=handlers,
    projections=(lambda service: LedgerProjection(),),
    setup=_setup,
    routers=(router,),
    description="Drives the escrow contracts from verdicts (releases, refunds, aggregate batches), keeps the "
    "ledger as a projection of the log, and serves Merkle proofs of every batched task.",
)


def create_app(settings: SettlementSettings | None = None) -> FastAPI:
    return build_app(SPEC, settings)

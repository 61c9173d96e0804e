"""The settlement service: its runtime spec (handlers, the ledger projection, the signer, routes)."""

from __future__ import annotations

import asyncio
import contextlib
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


class SignerWhenDeployed:
    """Starts the signer once the chain is configured: locally `make demo` deploys the contracts
    after the services are up. Until then verdicts are recorded and the ledger is served; the
    signer reconciles and catches up when it starts."""

    def __init__(self, service: Service, settings: SettlementSettings, retry_s: float = 2.0) -> None:
        self.service = service
        self.settings = settings
        self.retry_s = retry_s
        self._task: asyncio.Task[None] | None = None
        self._worker: SettlementWorker | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="settlement-signer-start")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._worker is not None:
            await self._worker.stop()

    async def _run(self) -> None:
        warned = False
        while True:
            try:
                identity = resolve(self.settings)
                break
            except ChainNotConfigured as exc:
                if not warned:
                    log.warning("settlement has no chain yet: %s", exc)
                    warned = True
                await asyncio.sleep(self.retry_s)
        self.service.resources["chain_identity"] = identity
        if not self.settings.has_signer():
            log.warning("no evaluator key (or PACTLINE_SETTLEMENT_SIGNER_ENABLED=false): this replica never signs")
            return
        schema = await self.service.pool.fetchval("SELECT current_schema()")
        worker = SettlementWorker(self.service.pool, self.service.name, schema, self.settings, identity)
        self.service.resources["signer"] = worker
        self._worker = worker
        await worker.start()


async def _setup(service: Service) -> None:
    settings = service.settings
    assert isinstance(settings, SettlementSettings)
    service.background.append(SignerWhenDeployed(service, settings))


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

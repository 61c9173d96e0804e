"""Which chain and contracts this service settles on: the deployment file, overridden by the
settings (a real network names its own addresses and the real USDC)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from pactline_escrow import Deployment
from pactline_escrow.deployment import DeploymentMissing

from .settings import SettlementSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ChainIdentity:
    chain_id: int
    commerce: str
    aggregate: str
    token: str

    def deployment(self) -> Deployment:
        return Deployment(
            chain_id=self.chain_id,
            agentic_commerce=self.commerce,
            aggregate_escrow=self.aggregate,
            usdc=self.token,
            usdc_is_mock=False,
        )


class ChainNotConfigured(RuntimeError):
    pass


def resolve(settings: SettlementSettings) -> ChainIdentity:
    """The configured chain; raises ChainNotConfigured naming what is missing."""
    try:
        found: Deployment | None = Deployment.load(settings.deployment_file)
    except DeploymentMissing:
        found = None
    chain_id = settings.chain_id or (found.chain_id if found else None)
    commerce = settings.settlement_agentic_commerce or (found.agentic_commerce if found else None)
    aggregate = settings.settlement_aggregate_escrow or (found.aggregate_escrow if found else None)
    token = settings.usdc_address or (found.usdc if found else None)
    missing = [
        name
        for name, value in (
            ("PACTLINE_CHAIN_ID", chain_id),
            ("PACTLINE_SETTLEMENT_AGENTIC_COMMERCE", commerce),
            ("PACTLINE_SETTLEMENT_AGGREGATE_ESCROW", aggregate),
            ("PACTLINE_USDC_ADDRESS", token),
        )
        if value is None
    ]
    if missing:
        raise ChainNotConfigured(
            f"no deployment at {settings.deployment_file} and no {', '.join(missing)}: "
            "run `make contracts` (local) or set PACTLINE_DEPLOYMENT_FILE"
        )
    if found is not None and settings.chain_id is not None and found.chain_id != settings.chain_id:
        raise ChainNotConfigured(
            f"the deployment file is for chain {found.chain_id}, PACTLINE_CHAIN_ID says {settings.chain_id}"
        )
    return ChainIdentity(int(chain_id or 0), str(commerce), str(aggregate), str(token))

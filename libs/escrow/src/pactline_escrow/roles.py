"""What every role client shares: one signing account and a reader on the same deployment."""

from __future__ import annotations

from eth_account.signers.local import LocalAccount
from web3 import AsyncWeb3

from pactline_escrow.chain import Signer
from pactline_escrow.deployment import Deployment
from pactline_escrow.models import TxResult
from pactline_escrow.reader import EscrowReader


class RoleClient:
    def __init__(self, w3: AsyncWeb3, account: LocalAccount, deployment: Deployment) -> None:
        self.signer = Signer(w3, account)
        self.reader = EscrowReader(w3, deployment)

    @property
    def address(self) -> str:
        return self.signer.address

    async def claim_refund(self, job_id: int) -> TxResult:
        """Anyone may refund an expired job to its client."""
        return await self.signer.send(self.reader.commerce.functions.claimRefund(job_id))

    async def reclaim(self, pool_id: bytes) -> TxResult:
        """Anyone may return an expired pool's remainder to its buyer."""
        return await self.signer.send(self.reader.aggregate.functions.reclaim(pool_id))

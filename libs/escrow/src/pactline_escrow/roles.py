"""What every role client shares: one signing account, a reader on the same deployment, the
permissionless refunds, and withdrawing the account's own credits (pull payments)."""

from __future__ import annotations

from eth_account.signers.local import LocalAccount
from web3 import AsyncWeb3

from pactline_escrow.chain import Signer
from pactline_escrow.deployment import Deployment
from pactline_escrow.models import TxResult
from pactline_escrow.reader import EscrowReader


class RoleClient:
    def __init__(self, w3: AsyncWeb3, account: LocalAccount, deployment: Deployment) -> None:
        # Every transaction is checked against the deployment's chain before it is signed.
        self.signer = Signer(w3, account, chain_id=deployment.chain_id)
        self.reader = EscrowReader(w3, deployment)

    @property
    def address(self) -> str:
        return self.signer.address

    async def claim_refund(self, job_id: int) -> TxResult:
        """Anyone may refund an expired job to its client."""
        return await self.signer.send(self.reader.commerce.functions.claimRefund(job_id))

    async def reclaim(self, pool_id: bytes) -> TxResult:
        """Anyone may close an expired pool: the rest goes to its buyer, credits to their owners."""
        return await self.signer.send(self.reader.aggregate.functions.reclaim(pool_id))

    async def withdraw_job_credit(self, token: str | None = None, to: str | None = None) -> TxResult:
        """Withdraw this account's AgenticCommerce credit in `token` (default USDC) to `to`
        (default this account; name another address when the token refuses this one)."""
        token = self.reader.w3.to_checksum_address(token or self.reader.deployment.usdc)
        fn = self.reader.commerce.functions.withdraw(token, to or self.address)
        return await self.signer.send(fn)

    async def withdraw_pool_credit(self, pool_id: bytes, to: str | None = None) -> TxResult:
        """Withdraw what a pool owes this account (the provider's releases, the buyer's refunds)."""
        return await self.signer.send(self.reader.aggregate.functions.withdraw(pool_id, to or self.address))

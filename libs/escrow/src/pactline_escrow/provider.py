"""The provider's side: quote a budget and submit deliverables. Signs with the provider's key."""

from __future__ import annotations

from pactline_escrow.models import TxResult
from pactline_escrow.roles import RoleClient


class ProviderClient(RoleClient):
    async def set_budget(self, job_id: int, amount: int, token: str | None = None) -> TxResult:
        token = token or self.reader.deployment.usdc
        fn = self.reader.commerce.functions.setBudget(job_id, token, amount, b"")
        return await self.signer.send(fn)

    async def submit(self, job_id: int, deliverable: bytes) -> TxResult:
        """`deliverable` commits to the work: for Pactline, the task's output digest."""
        fn = self.reader.commerce.functions.submit(job_id, deliverable, b"")
        return await self.signer.send(fn)

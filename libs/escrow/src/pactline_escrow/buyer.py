"""The buyer's side: create and fund jobs, open and fund pools. Signs with the buyer's own key."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from web3.logs import DISCARD

from pactline_escrow.models import TxResult
from pactline_escrow.roles import RoleClient

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


class CreatedJob(BaseModel):
    model_config = ConfigDict(frozen=True)

    job_id: int
    tx: TxResult


class OpenedPool(BaseModel):
    model_config = ConfigDict(frozen=True)

    pool_id: bytes
    tx: TxResult


class BuyerClient(RoleClient):
    async def create_job(self, provider: str | None, evaluator: str, expired_at: int, description: str) -> CreatedJob:
        fn = self.reader.commerce.functions.createJob(
            provider or ZERO_ADDRESS, evaluator, expired_at, description, ZERO_ADDRESS
        )
        tx, receipt = await self.signer.transact(fn)
        (event,) = self.reader.commerce.events.JobCreated().process_receipt(receipt, errors=DISCARD)
        return CreatedJob(job_id=event["args"]["jobId"], tx=tx)

    async def set_provider(self, job_id: int, provider: str) -> TxResult:
        return await self.signer.send(self.reader.commerce.functions.setProvider(job_id, provider))

    async def set_budget(self, job_id: int, amount: int, token: str | None = None) -> TxResult:
        token = token or self.reader.deployment.usdc
        fn = self.reader.commerce.functions.setBudget(job_id, token, amount, b"")
        return await self.signer.send(fn)

    async def fund(self, job_id: int, expected_budget: int, expected_token: str | None = None) -> TxResult:
        """Fund with what the buyer agreed to: `expected_budget` of `expected_token` (default the
        deployment's USDC). Only that token is approved, never whatever the job names now, and
        the contract refuses to fund if the job's token or budget differ."""
        token = self.reader.w3.to_checksum_address(expected_token or self.reader.deployment.usdc)
        await self._ensure_allowance(token, self.reader.commerce.address, expected_budget)
        return await self.signer.send(self.reader.commerce.functions.fund(job_id, token, expected_budget, b""))

    async def reject(self, job_id: int, reason: bytes) -> TxResult:
        """Withdraw an Open (unfunded) job."""
        return await self.signer.send(self.reader.commerce.functions.reject(job_id, reason, b""))

    async def open_pool(
        self,
        provider: str,
        evaluator: str,
        expired_at: int,
        pact_hash: bytes,
        acceptance_id: bytes,
        amount: int,
        price_per_task: int,
        token: str | None = None,
    ) -> OpenedPool:
        token = token or self.reader.deployment.usdc
        await self._ensure_allowance(token, self.reader.aggregate.address, amount)
        fn = self.reader.aggregate.functions.openPool(
            token, provider, evaluator, expired_at, pact_hash, acceptance_id, amount, price_per_task
        )
        tx, receipt = await self.signer.transact(fn)
        (event,) = self.reader.aggregate.events.PoolOpened().process_receipt(receipt, errors=DISCARD)
        return OpenedPool(pool_id=bytes(event["args"]["poolId"]), tx=tx)

    async def fund_pool(self, pool_id: bytes, amount: int) -> TxResult:
        pool = await self.reader.get_pool(pool_id)
        await self._ensure_allowance(pool.token, self.reader.aggregate.address, amount)
        return await self.signer.send(self.reader.aggregate.functions.fundPool(pool_id, amount))

    async def approve(self, token: str, spender: str, amount: int) -> TxResult:
        return await self.signer.send(self.reader.token(token).functions.approve(spender, amount))

    async def _ensure_allowance(self, token: str, spender: str, amount: int) -> None:
        handle = self.reader.token(token)
        allowance = await handle.functions.allowance(self.address, spender).call()
        if allowance < amount:
            await self.approve(token, spender, amount)

"""Fixtures for escrow tests against anvil: one deployment per session, a snapshot per test.

Every role gets a fresh random account funded with anvil_setBalance, so these tests never
collide with nonces of the well-known anvil accounts other suites may be using.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import AsyncWeb3

from pactline_escrow import BuyerClient, Deployment, EvaluatorClient, JobStatus, ProviderClient
from pactline_escrow.artifacts import load_artifact
from pactline_escrow.chain import Signer, connect
from pactline_escrow.deploy import deploy, deploy_contract
from pactline_escrow.reader import EscrowReader

# Test-only contracts (hostile tokens, the gas probe) are compiled here, not into the package.
TEST_ARTIFACTS = Path(__file__).parent / "artifacts"
ONE_USDC = 1_000_000
HOUR = 3600
EVIDENCE = b"\xee" * 32
DELIVERABLE = b"\xdd" * 32


@dataclass
class Chain:
    """Handles on the test chain and the role clients, plus time and token controls."""

    w3: AsyncWeb3
    deployment: Deployment
    admin: Signer
    buyer: BuyerClient
    provider: ProviderClient
    evaluator: EvaluatorClient
    stranger: BuyerClient
    reader: EscrowReader

    async def rpc(self, method: str, params: list) -> object:
        response = await self.w3.provider.make_request(method, params)
        if "error" in response:
            raise RuntimeError(f"{method}: {response['error']}")
        return response["result"]

    async def now(self) -> int:
        return (await self.w3.eth.get_block("latest"))["timestamp"]

    async def advance(self, seconds: int) -> None:
        await self.rpc("evm_increaseTime", [seconds])
        await self.rpc("evm_mine", [])

    async def front_run(
        self, victim: str, sending: Coroutine[Any, Any, Any], front: Signer, fn: Any
    ) -> tuple[asyncio.Task, bytes]:
        """With automine off: start `sending` (a transaction of `victim`, estimated on the state
        now), wait until it is pending, then send `fn` from `front` with a higher tip and mine one
        block, which orders `fn` first. Returns the finished task of `sending` (awaiting it gives
        its result or its error) and the hash of `fn`'s transaction."""
        nonce = await self.w3.eth.get_transaction_count(victim)
        await self.rpc("evm_setAutomine", [False])
        try:
            task = asyncio.create_task(sending)
            async with asyncio.timeout(10):
                while await self.w3.eth.get_transaction_count(victim, "pending") == nonce:
                    await asyncio.sleep(0.01)
            tx = await fn.build_transaction(
                {
                    "from": front.address,
                    "nonce": await self.w3.eth.get_transaction_count(front.address, "pending"),
                    "gas": 300_000,
                    "maxPriorityFeePerGas": 10**11,
                    "maxFeePerGas": 10**12,
                    "chainId": 31337,
                }
            )
            signed = front.account.sign_transaction(tx)
            await self.w3.eth.send_raw_transaction(signed.raw_transaction)
            await self.rpc("evm_mine", [])
            await asyncio.wait([task])
        finally:
            await self.rpc("evm_setAutomine", [True])
        return task, bytes(signed.hash)

    async def mint(self, to: str, amount: int, token: str | None = None) -> None:
        await self.admin.send(self.reader.token(token).functions.mint(to, amount))

    async def balance(self, owner: str, token: str | None = None) -> int:
        return await self.reader.balance_of(owner, token)

    async def deploy_token(self, contract_name: str) -> str:
        return await deploy_contract(self.admin, contract_name, directory=TEST_ARTIFACTS)

    def test_contract(self, contract_name: str, address: str):
        return self.w3.eth.contract(address=address, abi=load_artifact(contract_name, TEST_ARTIFACTS).abi)

    async def job_in(self, status: JobStatus, budget: int = 5 * ONE_USDC) -> int:
        """A job driven through the lifecycle to `status`, expiring in one hour."""
        created = await self.buyer.create_job(
            self.provider.address, self.evaluator.address, await self.now() + HOUR, "a task"
        )
        job_id = created.job_id
        await self.provider.set_budget(job_id, budget)
        if status is JobStatus.OPEN:
            return job_id
        await self.buyer.fund(job_id, budget)
        if status is JobStatus.EXPIRED:
            await self.advance(HOUR)
            await self.stranger.claim_refund(job_id)
        elif status is JobStatus.REJECTED:
            await self.evaluator.reject(job_id, EVIDENCE)
        elif status in (JobStatus.SUBMITTED, JobStatus.COMPLETED):
            await self.provider.submit(job_id, DELIVERABLE)
            if status is JobStatus.COMPLETED:
                await self.evaluator.complete(job_id, EVIDENCE)
        assert (await self.reader.get_job(job_id)).status is status
        return job_id


async def _funded_account(w3: AsyncWeb3) -> LocalAccount:
    account = Account.create()
    response = await w3.provider.make_request("anvil_setBalance", [account.address, hex(10**21)])
    assert "error" not in response, response
    return account


@pytest.fixture(scope="session")
async def session_chain(eth_rpc_url: str) -> AsyncIterator[Chain]:
    w3 = connect(eth_rpc_url)
    admin = await _funded_account(w3)
    deployment = await deploy(w3, admin)
    buyer, provider, evaluator, stranger = [await _funded_account(w3) for _ in range(4)]
    result = Chain(
        w3=w3,
        deployment=deployment,
        admin=Signer(w3, admin),
        buyer=BuyerClient(w3, buyer, deployment),
        provider=ProviderClient(w3, provider, deployment),
        evaluator=EvaluatorClient(w3, evaluator, deployment),
        stranger=BuyerClient(w3, stranger, deployment),
        reader=EscrowReader(w3, deployment),
    )
    await result.mint(buyer.address, 1_000_000 * ONE_USDC)
    await result.mint(stranger.address, 1_000_000 * ONE_USDC)
    yield result
    await w3.provider.disconnect()  # close web3's cached HTTP sessions


@pytest.fixture
async def chain(session_chain: Chain) -> AsyncIterator[Chain]:
    """The session's chain, reverted to a snapshot after the test."""
    snapshot = await session_chain.rpc("evm_snapshot", [])
    yield session_chain
    await session_chain.rpc("evm_revert", [snapshot])

"""The escrow the registry checks on chain, for tests: the contracts deployed once per test
session on anvil, the platform's evaluator address, buyers with keys and USDC, and helpers that
create and fund exactly what an acceptance agreed to (or, for attack tests, something else).

A test directory that needs it imports the fixture into its conftest:
``from registry_chain import registry_chain  # noqa: F401``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from web3 import AsyncWeb3

from pactline_escrow import BuyerClient, Deployment
from pactline_escrow.chain import Signer, connect
from pactline_escrow.deploy import deploy, deploy_contract
from pactline_escrow.ids import bytes32_from_identifier

DAY = 86_400
USDC = 1_000_000
BUYER_COUNT = 3


@dataclass
class RegistryChain:
    w3: AsyncWeb3
    deployment: Deployment
    deployment_file: Path
    rpc_url: str
    evaluator: str  # the platform's evaluator address (only its address: these tests settle nothing)
    buyers: list[BuyerClient]
    other_token: str  # a second mintable token, for a job or pool in the wrong currency

    @property
    def buyer_address(self) -> str:
        return self.buyers[0].address

    @property
    def buyer_private_key(self) -> str:
        """The first buyer's key, as `pactline escrow` reads it (PACTLINE_BUYER_PRIVATE_KEY)."""
        return "0x" + bytes(self.buyers[0].signer.account.key).hex()

    def buyer_for(self, acceptance: dict[str, Any]) -> BuyerClient:
        """The buyer client whose address the acceptance's buyer registered with."""
        for buyer in self.buyers:
            if buyer.address.lower() == acceptance["buyer_address"].lower():
                return buyer
        raise AssertionError(f"no test buyer holds {acceptance['buyer_address']}")

    async def now(self) -> int:
        return (await self.w3.eth.get_block("latest"))["timestamp"]

    async def fund_job(
        self,
        acceptance: dict[str, Any],
        *,
        buyer: BuyerClient | None = None,
        provider: str | None = None,
        evaluator: str | None = None,
        budget: int | None = None,
        token: str | None = None,
        fund: bool = True,
    ) -> str:
        """A per-task job for ``acceptance`` as its buyer would create it (each term may be
        overridden to build an attack), funded unless ``fund`` is false; its id as a string."""
        buyer = buyer or self.buyer_for(acceptance)
        budget = acceptance["escrow"]["price_per_task"] if budget is None else budget
        created = await buyer.create_job(
            provider or acceptance["provider_address"],
            evaluator or self.evaluator,
            await self.now() + DAY,
            f"a task of {acceptance['acceptance_id']}",
        )
        await buyer.set_budget(created.job_id, budget, token)
        if fund:
            await buyer.fund(created.job_id, budget, token)
        return str(created.job_id)

    async def fund_pool(
        self,
        acceptance: dict[str, Any],
        *,
        buyer: BuyerClient | None = None,
        provider: str | None = None,
        evaluator: str | None = None,
        amount: int | None = None,
        price_per_task: int | None = None,
        expires_at: int | None = None,
        token: str | None = None,
    ) -> bytes:
        """The buyer's pool for an aggregate ``acceptance``, opened and funded with the accepted
        terms unless overridden; lasts a day past the acceptance (on the chain's clock)."""
        buyer = buyer or self.buyer_for(acceptance)
        escrow = acceptance["escrow"]
        if expires_at is None:
            accepted_until = int(datetime.fromisoformat(acceptance["expires_at"]).timestamp())
            expires_at = max(accepted_until, await self.now()) + DAY
        opened = await buyer.open_pool(
            provider or acceptance["provider_address"],
            evaluator or self.evaluator,
            expires_at,
            bytes.fromhex(acceptance["pact_hash"]),
            bytes32_from_identifier(acceptance["acceptance_id"]),
            escrow["pool_size"] if amount is None else amount,
            escrow["price_per_task"] if price_per_task is None else price_per_task,
            token,
        )
        return opened.pool_id


async def _funded_account(w3: AsyncWeb3):
    account = Account.create()
    response = await w3.provider.make_request("anvil_setBalance", [account.address, hex(10**21)])
    assert "error" not in response, response
    return account


@pytest.fixture(scope="session")
async def registry_chain(eth_rpc_url: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RegistryChain]:
    """Fresh accounts (never anvil's well-known ones, whose nonces other suites use)."""
    w3 = connect(eth_rpc_url)
    admin = Signer(w3, await _funded_account(w3))
    deployment = await deploy(w3, admin.account)
    deployment = deployment.model_copy(update={"evaluator": Account.create().address})
    path = tmp_path_factory.mktemp("chain") / "deployment.json"
    deployment.save(path)
    other_token = await deploy_contract(admin, "MockUSDC")
    buyers = [BuyerClient(w3, await _funded_account(w3), deployment) for _ in range(BUYER_COUNT)]
    for buyer in buyers:
        for token in (deployment.usdc, other_token):
            await buyer.signer.send(buyer.reader.token(token).functions.mint(buyer.address, 10**9 * USDC))
            # A standing allowance: each job then costs three transactions, not four.
            for spender in (deployment.agentic_commerce, deployment.aggregate_escrow):
                await buyer.approve(token, spender, 2**255)
    yield RegistryChain(w3, deployment, path, eth_rpc_url, deployment.evaluator, buyers, other_token)
    await w3.provider.disconnect()  # close web3's cached HTTP sessions

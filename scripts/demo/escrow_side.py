"""What buyers and providers sign on chain, with their own keys, through the escrow client
library (libs/escrow): buyers open and fund pools (aggregate) or create and fund one ERC-8183
job per task (per_task); providers submit the digest of the output they delivered. The
settlement service, the platform's evaluator, is the only party that completes, rejects or
settles; it never sees these keys."""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from pactline_escrow import BuyerClient, ProviderClient
from pactline_escrow.chain import account_from_key, connect
from pactline_escrow.deployment import Deployment
from pactline_escrow.ids import bytes32_from_identifier
from pactline_escrow.models import TxResult

from .cast import BUYERS, OPERATORS, Party
from .onboarding import Acceptance
from .plan import ACCEPTANCE_DAYS
from .platform import Platform

# anvil's account 9: the evaluator `make services` gives the local settlement service.
LOCAL_EVALUATOR = "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720"
JOB_LIFETIME_S = 86_400
# The contract wants a pool's expiry at least 5 minutes ahead of the chain's clock; the demo runs
# for a few minutes after opening its pools.
POOL_EXPIRY_SLACK_S = 3_600


@dataclass(frozen=True)
class Evaluator:
    address: str
    source: str  # where the demo learned it


async def platform_evaluator(platform: Platform) -> Evaluator:
    """The address buyers name as evaluator: what the settlement service says it signs with."""
    try:
        async with httpx.AsyncClient(timeout=10) as http:
            answer = await http.get(f"{platform.settlement}/v1/settlements/signer")
        if answer.status_code == 200 and answer.json().get("address"):
            return Evaluator(answer.json()["address"], f"{platform.settlement}/v1/settlements/signer")
    except httpx.HTTPError:
        pass
    return Evaluator(LOCAL_EVALUATOR, "the local stack's evaluator (anvil account 9; the service does not say)")


class Wallets:
    """The buyers' and providers' own clients. A party's transactions go one at a time (one
    nonce sequence per account); different parties sign side by side."""

    def __init__(self, platform: Platform) -> None:
        self.deployment = Deployment.load(platform.deployment_file)
        self._w3 = connect(platform.rpc)
        self.buyers = {p.name: BuyerClient(self._w3, account_from_key(p.private_key), self.deployment) for p in BUYERS}
        self.providers = {
            p.name: ProviderClient(self._w3, account_from_key(p.private_key), self.deployment) for p in OPERATORS
        }
        self._locks = {p.name: asyncio.Lock() for p in (*BUYERS, *OPERATORS)}
        self.reader = next(iter(self.buyers.values())).reader

    def lock(self, party: Party) -> asyncio.Lock:
        return self._locks[party.name]

    async def close(self) -> None:
        await self._w3.provider.disconnect()

    async def top_up(self, buyer: Party, needed: int) -> TxResult | None:
        """Make sure the buyer holds ``needed`` USDC and has let both escrows draw it. On the
        local chain the token is a mock anyone can mint: the buyer mints what it lacks."""
        client = self.buyers[buyer.name]
        usdc = self.reader.token()
        minted = None
        async with self.lock(buyer):
            balance = await self.reader.balance_of(client.address)
            if balance < needed:
                if not self.deployment.usdc_is_mock:
                    raise RuntimeError(
                        f"{buyer.name} ({client.address}) holds {balance} USDC minor units and needs {needed}: fund it"
                    )
                minted = await client.signer.send(usdc.functions.mint(client.address, needed - balance))
            for spender in (self.deployment.agentic_commerce, self.deployment.aggregate_escrow):
                await client.approve(self.deployment.usdc, spender, needed)
        return minted

    async def open_pool(self, acceptance: Acceptance, evaluator: str, price: int) -> tuple[str, TxResult]:
        buyer = self.buyers[acceptance.lane.buyer.name]
        chain_now, expiry = await self.reader.now(), int(acceptance.expires_at.timestamp())
        if expiry <= chain_now + POOL_EXPIRY_SLACK_S:
            ahead_days = (chain_now - int(datetime.now(UTC).timestamp())) / 86_400
            raise RuntimeError(
                f"the local chain's clock is {ahead_days:.1f} days ahead of this machine's (the test suite moves "
                f"anvil's clock forward past dispute windows), beyond the {ACCEPTANCE_DAYS} days an acceptance "
                "lasts: the pool would expire before it opens. Start a fresh chain: "
                "`make down && rm -rf .local/anvil && make demo`"
            )
        async with self.lock(acceptance.lane.buyer):
            opened = await buyer.open_pool(
                acceptance.agent.spec.operator.address,
                evaluator,
                int(acceptance.expires_at.timestamp()),
                bytes.fromhex(acceptance.agent.pact_hash),
                bytes32_from_identifier(acceptance.acceptance_id),
                acceptance.lane.escrow_total,
                price,
            )
        return "0x" + opened.pool_id.hex(), opened.tx

    async def fund_job(self, acceptance: Acceptance, evaluator: str, price: int, task_no: int) -> int:
        buyer = self.buyers[acceptance.lane.buyer.name]
        async with self.lock(acceptance.lane.buyer):
            expires = await self.reader.now() + JOB_LIFETIME_S
            created = await buyer.create_job(
                acceptance.agent.spec.operator.address,
                evaluator,
                expires,
                f"{acceptance.acceptance_id} task {task_no}",
            )
            await buyer.set_budget(created.job_id, price)
            await buyer.fund(created.job_id, price)
        return created.job_id

    async def submit(self, acceptance: Acceptance, job_id: int, output: str) -> TxResult:
        """The provider commits on chain to the output its agent delivered (SHA-256, UTF-8)."""
        provider = self.providers[acceptance.agent.spec.operator.name]
        async with self.lock(acceptance.agent.spec.operator):
            return await provider.submit(job_id, hashlib.sha256(output.encode()).digest())


async def balances(wallets: Wallets, parties: tuple[Party, ...]) -> dict[str, int]:
    """Each party's USDC wallet balance, by name, as the chain holds it now."""
    return {p.name: await wallets.reader.balance_of(p.address) for p in parties}


async def withdraw_credits(wallets: Wallets, pools: dict[str, tuple[Acceptance, str]]) -> list[TxResult]:
    """Pools credit the parties instead of paying them (docs/escrow.md, "Pull payments"): each
    provider takes what its pools released, each buyer what they refunded."""
    done = []
    for acceptance, pool_hex in pools.values():
        pool_id = bytes.fromhex(pool_hex[2:])
        pool = await wallets.reader.get_pool(pool_id)
        if pool.provider_owed:
            async with wallets.lock(acceptance.agent.spec.operator):
                provider = wallets.providers[acceptance.agent.spec.operator.name]
                done.append(await provider.withdraw_pool_credit(pool_id))
        if pool.buyer_owed:
            async with wallets.lock(acceptance.lane.buyer):
                done.append(await wallets.buyers[acceptance.lane.buyer.name].withdraw_pool_credit(pool_id))
    return done

"""The real chain and the real broker for settlement's end-to-end tests: contracts deployed on
anvil, a buyer and a provider acting through libs/escrow's clients with their own keys, an
evaluator key handed to the service, and a publisher that puts events on Kafka as the
registry and the evaluator would."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from aiokafka import AIOKafkaProducer
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import AsyncWeb3

from pactline_escrow import BuyerClient, Deployment, ProviderClient
from pactline_escrow.chain import Signer, connect
from pactline_escrow.deploy import deploy
from pactline_escrow.reader import EscrowReader
from pactline_events import GENESIS_HASH, EventPayload, PendingEvent, encode, event_hash, topic_for
from pactline_events.topics import ACCEPTANCES, VERDICTS
from pactline_service import ServiceSpec
from pactline_settlement.app import SPEC
from pactline_settlement.escrow_calls import id32
from pactline_settlement.settings import SettlementSettings
from settlement_testkit import accepted, completed, verdict
from topic_reader import start_group_at_end

ONE_USDC = 1_000_000
PRICE = 50_000
HOUR = 3600


async def funded_account(w3: AsyncWeb3) -> LocalAccount:
    account = Account.create()
    response = await w3.provider.make_request("anvil_setBalance", [account.address, hex(10**21)])
    assert "error" not in response, response
    return account


@dataclass
class Chain:
    w3: AsyncWeb3
    deployment: Deployment
    admin: Signer
    reader: EscrowReader

    async def rpc(self, method: str, params: list | None = None) -> Any:
        response = await self.w3.provider.make_request(method, params or [])
        if "error" in response:
            raise RuntimeError(f"{method}: {response['error']}")
        return response["result"]

    async def now(self) -> int:
        return (await self.w3.eth.get_block("latest"))["timestamp"]

    async def mine(self, blocks: int = 1) -> None:
        for _ in range(blocks):
            await self.rpc("evm_mine")

    async def advance(self, seconds: int) -> None:
        await self.rpc("evm_increaseTime", [seconds])
        await self.rpc("evm_mine")

    async def balance(self, owner: str) -> int:
        return await self.reader.balance_of(owner)

    async def mint(self, to: str, amount: int) -> None:
        await self.admin.send(self.reader.token().functions.mint(to, amount))

    async def party(self) -> LocalAccount:
        return await funded_account(self.w3)


@dataclass
class Publisher:
    """Puts events on the broker with chained stream positions, as their producers would."""

    producer: AIOKafkaProducer
    heads: dict[str, tuple[int, str]] = field(default_factory=dict)

    async def publish(self, stream_id: str, payload: EventPayload, producer: str, at: datetime | None = None):
        seq, prev = self.heads.get(stream_id, (0, GENESIS_HASH))
        envelope = PendingEvent(
            event_id=uuid.uuid4(),
            occurred_at=at or datetime.now(UTC),
            stream_id=stream_id,
            correlation_id=uuid.uuid4(),
            payload=payload,
        ).seal(producer=producer, stream_seq=seq + 1, prev_hash=prev)
        self.heads[stream_id] = (seq + 1, event_hash(envelope))
        await self.producer.send_and_wait(topic_for(envelope.event_type), encode(envelope), key=stream_id.encode())
        return envelope


@dataclass
class Deal:
    """One acceptance between a fresh buyer and a fresh provider, acting through their own keys."""

    chain: Chain
    publisher: Publisher
    evaluator: str
    buyer: BuyerClient
    provider: ProviderClient
    acceptance_id: str
    mode: str
    price: int = PRICE
    tasks: int = 0

    async def accept(self, **extra: Any) -> None:
        payload = accepted(
            self.acceptance_id,
            self.mode,
            self.price,
            buyer=self.buyer.address,
            provider=self.provider.address,
            agent_id=f"agent-{self.acceptance_id}",
            buyer_id=f"buyer-{self.acceptance_id}",
            **extra,
        )
        await self.publisher.publish(f"acceptance-{self.acceptance_id}", payload, "pact-registry")

    async def funded_job(self, expires_in: int = 2 * HOUR, budget: int | None = None) -> int:
        created = await self.buyer.create_job(
            self.provider.address, self.evaluator, await self.chain.now() + expires_in, "a task"
        )
        await self.buyer.set_budget(created.job_id, budget or self.price)
        await self.buyer.fund(created.job_id, budget or self.price)
        return created.job_id

    async def open_pool(self, tasks: int, expires_in: int = 4 * HOUR) -> bytes:
        opened = await self.buyer.open_pool(
            self.provider.address,
            self.evaluator,
            await self.chain.now() + expires_in,
            b"\x0a" * 32,
            id32(self.acceptance_id),
            tasks * self.price,
            self.price,
        )
        return opened.pool_id

    def task_id(self) -> str:
        self.tasks += 1
        return f"tsk-{self.acceptance_id}-{self.tasks}"

    async def complete_task(self, task_id: str, job_id: int | None = None, output: str = "order #12 ships today"):
        payload = completed(task_id, self.acceptance_id, job_id=None if job_id is None else str(job_id), output=output)
        await self.publisher.publish(f"acceptance-{self.acceptance_id}", payload, "pact-registry")

    async def judge(self, task_id: str, outcome: str, job_id: int | None = None, output: str = "order #12 ships today"):
        payload = verdict(
            task_id,
            outcome,
            self.acceptance_id,
            self.mode,
            job_id=None if job_id is None else str(job_id),
            price=self.price,
            output_digest=hashlib.sha256(output.encode()).hexdigest(),
            evidence="0x" + hashlib.sha256(f"evidence {task_id}".encode()).hexdigest(),
        )
        # Event time is the evaluator's clock; on a real network it agrees with the chain's. Tests
        # move anvil's clock forward, so the verdict is dated by the chain here.
        at = datetime.fromtimestamp(await self.chain.now(), UTC)
        await self.publisher.publish(f"evaluation-{task_id}", payload, "evaluator", at=at)

    async def submit(self, job_id: int, output: str = "order #12 ships today") -> None:
        await self.provider.submit(job_id, hashlib.sha256(output.encode()).digest())


async def new_chain(eth_rpc_url: str) -> Chain:
    w3 = connect(eth_rpc_url)
    admin = await funded_account(w3)
    deployment = await deploy(w3, admin)
    return Chain(w3=w3, deployment=deployment, admin=Signer(w3, admin), reader=EscrowReader(w3, deployment))


async def new_deal(chain: Chain, publisher: Publisher, evaluator: str, mode: str, price: int = PRICE) -> Deal:
    buyer = BuyerClient(chain.w3, await chain.party(), chain.deployment)
    provider = ProviderClient(chain.w3, await chain.party(), chain.deployment)
    await chain.mint(buyer.address, 10_000 * ONE_USDC)
    return Deal(
        chain=chain,
        publisher=publisher,
        evaluator=evaluator,
        buyer=buyer,
        provider=provider,
        acceptance_id=f"acc-{uuid.uuid4().hex[:16]}",
        mode=mode,
        price=price,
    )


def service_settings(
    database_url: str, kafka: str, eth_rpc_url: str, deployment_file: Path, signer_key: str | None, **extra: Any
) -> SettlementSettings:
    return SettlementSettings(
        database_url=database_url,
        kafka_bootstrap=kafka,
        eth_rpc_url=eth_rpc_url,
        log_format="text",
        deployment_file=deployment_file,
        settlement_signer_key=signer_key,
        settlement_confirmations=extra.pop("settlement_confirmations", 1),
        settlement_poll_interval_s=extra.pop("settlement_poll_interval_s", 0.2),
        settlement_lease_retry_s=extra.pop("settlement_lease_retry_s", 0.3),
        **extra,
    )


async def service_spec(kafka: str, schema: str) -> ServiceSpec:
    """SPEC under a name of its own (its consumer group), positioned at the end of the topics it
    reads, so a test sees its own events and not the whole shared log's history."""
    name = f"settlement-{uuid.uuid4().hex[:8]}"
    for topic in (ACCEPTANCES, VERDICTS):
        await start_group_at_end(kafka, name, topic)
    return dataclasses.replace(SPEC, name=name, schema=schema)


async def wait_until(check, *, timeout: float = 120.0, what: str = "condition", interval: float = 0.2):
    from waiting import wait_for

    return await wait_for(check, timeout=timeout, interval=interval, what=what)


def asgi_transport(service) -> httpx.ASGITransport:
    """The service's routes, in process, over its live resources."""
    from fastapi import FastAPI

    from pactline_settlement.api import router

    app = FastAPI()
    app.include_router(router)
    app.state.service = service
    return httpx.ASGITransport(app)


async def api_get(service, path: str) -> httpx.Response:
    """A GET on the service's routes, in process."""
    async with httpx.AsyncClient(transport=asgi_transport(service), base_url="http://settlement") as http:
        return await http.get(path)


async def ledger_row(pool: asyncpg.Pool, acceptance_id: str) -> asyncpg.Record | None:
    return await pool.fetchrow("SELECT * FROM ledger_acceptances WHERE acceptance_id = $1", acceptance_id)


async def settle_events(kafka: str, acceptance_id: str) -> list:
    from pactline_events import decode
    from pactline_events.topics import ESCROW
    from pactline_messaging.log_reader import read_stream

    return [decode(raw) for raw in await read_stream(kafka, ESCROW, f"escrow-{acceptance_id}")]


async def sleep_briefly() -> None:
    await asyncio.sleep(0)


async def signer_of(service):
    """The service's signer, once it has started (it starts when the chain is configured)."""

    async def started():
        return service.resources.get("signer")

    return await wait_until(started, what="the signer to start")

"""`pactline escrow ...`: the buyer's and provider's side of the escrow contracts.

Each command signs with the key of the role it acts for, read from the environment
(PACTLINE_BUYER_PRIVATE_KEY, PACTLINE_PROVIDER_PRIVATE_KEY, PACTLINE_DEPLOYER_PRIVATE_KEY);
the platform's evaluator key is never needed here. Amounts are integer USDC minor units.
Nothing is signed unless the RPC serves the chain the deployment file names.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import Annotated, Any, TypeVar

import typer
from pydantic import BaseModel
from web3 import AsyncWeb3
from web3.exceptions import Web3RPCError

from pactline_escrow import BuyerClient, ChainMismatch, EscrowReader, EscrowReverted, MockTokenRefused, ProviderClient
from pactline_escrow.deploy import deploy_from_env
from pactline_escrow.deployment import DeploymentMissing
from pactline_escrow.ids import parse_bytes32
from pactline_escrow.session import buyer_from_env, provider_from_env, reader_from_env
from pactline_escrow.settings import MissingKey, rpc_url

app = typer.Typer(help="Escrow on chain: per-task jobs (ERC-8183) and aggregate pools.")

T = TypeVar("T")
C = TypeVar("C", BuyerClient, ProviderClient)

DAY = 86_400
Bytes32 = Annotated[str, typer.Argument(help="0x + 64 hex digits, or a Pactline id (hashed as on chain)")]


_connections: list[AsyncWeb3] = []


def _opened(client: C) -> C:
    """Remember a client's connection so `_run` closes it on the same event loop."""
    _connections.append(client.reader.w3)
    return client


def _buyer() -> BuyerClient:
    return _opened(buyer_from_env())


def _provider() -> ProviderClient:
    return _opened(provider_from_env())


def _reader() -> EscrowReader:
    reader = reader_from_env()
    _connections.append(reader.w3)
    return reader


async def _closing(make: Callable[[], Awaitable[T]]) -> T:
    try:
        return await make()
    finally:
        while _connections:
            await _connections.pop().provider.disconnect()


def _run(make: Callable[[], Awaitable[T]]) -> T:
    """Run the coroutine ``make`` builds; turn every expected failure into a one-line error."""
    try:
        return asyncio.run(_closing(make))
    except EscrowReverted as exc:
        mined = f" in mined transaction {exc.tx_hash} (gas was spent)" if exc.tx_hash else ""
        typer.echo(f"reverted: {exc.error} {exc.error_args}{mined}", err=True)
        raise typer.Exit(1) from exc
    except (MissingKey, DeploymentMissing, ChainMismatch, MockTokenRefused) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    except Web3RPCError as exc:
        typer.echo(f"the chain refused the request: {exc}", err=True)
        raise typer.Exit(1) from exc
    except (ConnectionError, OSError) as exc:
        typer.echo(f"cannot reach the chain at {rpc_url()}: {exc}", err=True)
        raise typer.Exit(1) from exc


def _hex_bytes(value: Any) -> Any:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, dict):
        return {k: _hex_bytes(v) for k, v in value.items()}
    return value


def _print(model: BaseModel) -> None:
    typer.echo(json.dumps(_hex_bytes(model.model_dump(mode="python")), indent=2, default=str))


def _bytes32(text: str) -> bytes:
    try:
        return parse_bytes32(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc


async def _chain_now(client) -> int:
    return (await client.reader.w3.eth.get_block("latest"))["timestamp"]


@app.command()
def deploy() -> None:
    """Deploy AgenticCommerce, AggregateEscrow (and MockUSDC unless PACTLINE_USDC_ADDRESS is set)."""
    deployment, path = _run(deploy_from_env)
    _print(deployment)
    typer.echo(f"written to {path}", err=True)


@app.command()
def create(
    evaluator: Annotated[str, typer.Option(help="The platform's evaluator address")],
    provider: Annotated[str | None, typer.Option(help="Provider address (may be set later)")] = None,
    budget: Annotated[int | None, typer.Option(help="Budget in USDC minor units")] = None,
    description: Annotated[str, typer.Option()] = "",
    expires_in: Annotated[int, typer.Option(help="Seconds until expiry (>= 300)")] = DAY,
) -> None:
    """Create a job as the buyer (and set its budget when --budget is given)."""

    async def go():
        buyer = _buyer()
        created = await buyer.create_job(provider, evaluator, await _chain_now(buyer) + expires_in, description)
        if budget is not None:
            await buyer.set_budget(created.job_id, budget)
        return created

    _print(_run(go))


@app.command()
def fund(
    job_id: int,
    expected_budget: Annotated[int, typer.Option(help="The budget you agreed to (minor units)")],
    expected_token: Annotated[
        str | None, typer.Option(help="The token you agreed to (default: the deployment's USDC)")
    ] = None,
) -> None:
    """Approve and fund a job as the buyer; refused if the token or budget changed since you agreed."""
    _print(_run(lambda: _buyer().fund(job_id, expected_budget, expected_token)))


@app.command("open-pool")
def open_pool(
    provider: Annotated[str, typer.Option()],
    evaluator: Annotated[str, typer.Option()],
    amount: Annotated[int, typer.Option(help="Funding in USDC minor units")],
    price_per_task: Annotated[int, typer.Option(help="The accepted price per task (minor units)")],
    pact_hash: Annotated[str, typer.Option(help="0x + 64 hex digits")],
    acceptance_id: Annotated[
        str, typer.Option(help="Acceptance id (acc-...), hashed as on chain, or 0x + 64 hex digits")
    ],
    expires_in: Annotated[int, typer.Option(help="Seconds until expiry (>= 300)")] = 30 * DAY,
) -> None:
    """Open and fund an aggregate pool for one pact acceptance, as the buyer."""

    async def go():
        buyer = _buyer()
        return await buyer.open_pool(
            provider,
            evaluator,
            await _chain_now(buyer) + expires_in,
            _bytes32(pact_hash),
            _bytes32(acceptance_id),
            amount,
            price_per_task,
        )

    opened = _run(go)
    _print(opened)


@app.command()
def submit(job_id: int, deliverable: Bytes32) -> None:
    """Submit a deliverable commitment for a funded job, as the provider."""
    _print(_run(lambda: _provider().submit(job_id, _bytes32(deliverable))))


@app.command()
def reclaim(pool_id: Bytes32) -> None:
    """Return an expired pool's remainder to its buyer (signed with the buyer key)."""
    _print(_run(lambda: _buyer().reclaim(_bytes32(pool_id))))


@app.command("claim-refund")
def claim_refund(job_id: int) -> None:
    """Refund an expired, funded job to its client (signed with the buyer key)."""
    _print(_run(lambda: _buyer().claim_refund(job_id)))


class Party(StrEnum):
    BUYER = "buyer"
    PROVIDER = "provider"


@app.command()
def withdraw(
    party: Annotated[Party, typer.Option("--as", help="Whose credit: signs with that role's key")],
    pool: Annotated[str | None, typer.Option(help="A pool id: withdraw what that pool owes you")] = None,
    token: Annotated[str | None, typer.Option(help="Job credits: the token (default USDC)")] = None,
    to: Annotated[str | None, typer.Option(help="Recipient (default: your own address)")] = None,
) -> None:
    """Withdraw a credit: payouts the token refused to deliver (job credits), or a pool's settled
    amounts. Use --to when the token refuses your own address."""

    async def go():
        client = _buyer() if party is Party.BUYER else _provider()
        if pool is not None:
            return await client.withdraw_pool_credit(_bytes32(pool), to)
        return await client.withdraw_job_credit(token, to)

    _print(_run(go))


@app.command()
def show(
    kind: Annotated[str, typer.Argument(help="job or pool")],
    ident: Annotated[str, typer.Argument(help="job id, or pool id (0x + 64 hex)")],
) -> None:
    """Show a job or a pool as stored on chain."""
    if kind == "job":
        _print(_run(lambda: _reader().get_job(int(ident))))
    elif kind == "pool":
        _print(_run(lambda: _reader().get_pool(_bytes32(ident))))
    else:
        raise typer.BadParameter("kind must be 'job' or 'pool'")

"""`pactline escrow ...`: the buyer's and provider's side of the escrow contracts.

Each command signs with the key of the role it acts for, read from the environment
(PACTLINE_BUYER_PRIVATE_KEY, PACTLINE_PROVIDER_PRIVATE_KEY, PACTLINE_DEPLOYER_PRIVATE_KEY);
the platform's evaluator key is never needed here. Amounts are integer USDC minor units.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import typer
from pydantic import BaseModel
from web3.exceptions import Web3RPCError

from pactline_escrow import EscrowReverted
from pactline_escrow.deploy import deploy_from_env
from pactline_escrow.deployment import DeploymentMissing
from pactline_escrow.ids import parse_bytes32
from pactline_escrow.session import buyer_from_env, provider_from_env, reader_from_env
from pactline_escrow.settings import MissingKey, rpc_url

app = typer.Typer(help="Escrow on chain: per-task jobs (ERC-8183) and aggregate pools.")

T = TypeVar("T")

DAY = 86_400
Bytes32 = Annotated[str, typer.Argument(help="0x + 64 hex digits, or a UUID")]


def _run(make: Callable[[], Awaitable[T]]) -> T:
    """Run the coroutine ``make`` builds; turn every expected failure into a one-line error."""
    try:
        return asyncio.run(make())  # type: ignore[arg-type]
    except EscrowReverted as exc:
        typer.echo(f"reverted: {exc.error} {exc.error_args}", err=True)
        raise typer.Exit(1) from exc
    except (MissingKey, DeploymentMissing) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    except Web3RPCError as exc:
        typer.echo(f"the chain refused the request: {exc}", err=True)
        raise typer.Exit(1) from exc
    except (ConnectionError, OSError) as exc:
        typer.echo(f"cannot reach the chain at {rpc_url()}: {exc}", err=True)
        raise typer.Exit(1) from exc


def _print(model: BaseModel) -> None:
    typer.echo(model.model_dump_json(indent=2))


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
        buyer = buyer_from_env()
        created = await buyer.create_job(provider, evaluator, await _chain_now(buyer) + expires_in, description)
        if budget is not None:
            await buyer.set_budget(created.job_id, budget)
        return created

    _print(_run(go))


@app.command()
def fund(
    job_id: int,
    expected_budget: Annotated[int, typer.Option(help="The budget you agreed to (minor units)")],
) -> None:
    """Approve and fund a job as the buyer; refused if the budget changed since you looked."""
    _print(_run(lambda: buyer_from_env().fund(job_id, expected_budget)))


@app.command("open-pool")
def open_pool(
    provider: Annotated[str, typer.Option()],
    evaluator: Annotated[str, typer.Option()],
    amount: Annotated[int, typer.Option(help="Funding in USDC minor units")],
    pact_hash: Annotated[str, typer.Option(help="0x + 64 hex digits")],
    acceptance_id: Annotated[str, typer.Option(help="Acceptance UUID or 0x + 64 hex digits")],
    expires_in: Annotated[int, typer.Option(help="Seconds until expiry (>= 300)")] = 30 * DAY,
) -> None:
    """Open and fund an aggregate pool for one pact acceptance, as the buyer."""

    async def go():
        buyer = buyer_from_env()
        return await buyer.open_pool(
            provider,
            evaluator,
            await _chain_now(buyer) + expires_in,
            _bytes32(pact_hash),
            _bytes32(acceptance_id),
            amount,
        )

    opened = _run(go)
    typer.echo(f'{{"pool_id": "0x{opened.pool_id.hex()}", "tx": {opened.tx.model_dump_json()}}}')


@app.command()
def submit(job_id: int, deliverable: Bytes32) -> None:
    """Submit a deliverable commitment for a funded job, as the provider."""
    _print(_run(lambda: provider_from_env().submit(job_id, _bytes32(deliverable))))


@app.command()
def reclaim(pool_id: Bytes32) -> None:
    """Return an expired pool's remainder to its buyer (signed with the buyer key)."""
    _print(_run(lambda: buyer_from_env().reclaim(_bytes32(pool_id))))


@app.command("claim-refund")
def claim_refund(job_id: int) -> None:
    """Refund an expired, funded job to its client (signed with the buyer key)."""
    _print(_run(lambda: buyer_from_env().claim_refund(job_id)))


@app.command()
def show(
    kind: Annotated[str, typer.Argument(help="job or pool")],
    ident: Annotated[str, typer.Argument(help="job id, or pool id (0x + 64 hex)")],
) -> None:
    """Show a job or a pool as stored on chain."""
    if kind == "job":
        _print(_run(lambda: reader_from_env().get_job(int(ident))))
    elif kind == "pool":
        pool = _run(lambda: reader_from_env().get_pool(_bytes32(ident)))
        typer.echo(pool.model_dump_json(indent=2, exclude={"pool_id"}))
    else:
        raise typer.BadParameter("kind must be 'job' or 'pool'")

"""`pactline settlement ...`: the settlement ledger, proofs for auditors, and reconciliation.

`ledger` and `proof` read the settlement API (PACTLINE_SETTLEMENT_URL, default
http://127.0.0.1:8105). `verify` and `reconcile` also read the chain themselves
(PACTLINE_ETH_RPC_URL, PACTLINE_DEPLOYMENT_FILE), so they check the service rather than trust
it: `verify` asks the contract's own verifyVerdict, `reconcile` compares every job and pool of
the ledger with the contracts' state and lists every difference.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
import typer
from web3.exceptions import Web3RPCError

from pactline_escrow import EscrowReader, EscrowReverted, JobStatus, VerdictLeaf, VerdictOutcome
from pactline_escrow.deployment import DeploymentMissing
from pactline_escrow.session import reader_from_env
from pactline_escrow.settings import rpc_url

DEFAULT_URL = "http://127.0.0.1:8105"
PAGE = 1000
T = TypeVar("T")

app = typer.Typer(help="Settlement: the ledger, Merkle proofs of batched tasks, reconciliation with the chain.")


class SettlementRequestFailed(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code


class SettlementApi:
    """The settlement read API; ``transport`` lets tests talk to a live in-process app."""

    def __init__(self, base_url: str | None = None, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.base_url = (base_url or os.environ.get("PACTLINE_SETTLEMENT_URL") or DEFAULT_URL).rstrip("/")
        self._transport = transport

    async def get(self, path: str, **params: Any) -> dict[str, Any]:
        async with httpx.AsyncClient(base_url=self.base_url, transport=self._transport, timeout=30.0) as http:
            response = await http.get(path, params={k: v for k, v in params.items() if v is not None})
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code != 200:
            detail = body.get("detail", body) if isinstance(body, dict) else {}
            detail = detail if isinstance(detail, dict) else {"message": str(detail)}
            raise SettlementRequestFailed(
                response.status_code, detail.get("error", "unexpected"), detail.get("message", response.text)
            )
        return body

    async def pages(self, path: str, key: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        while True:
            page = (await self.get(path, limit=PAGE, offset=len(out)))[key]
            out.extend(page)
            if len(page) < PAGE:
                return out


@dataclass(frozen=True)
class Difference:
    """One way the ledger and the chain disagree."""

    subject: str
    field: str
    ledger: Any
    chain: Any

    def __str__(self) -> str:
        return f"{self.subject}: {self.field} is {self.ledger} in the ledger, {self.chain} on chain"


LEDGER_STATUS_OF_JOB = {
    JobStatus.FUNDED: ("funded", "held"),
    JobStatus.SUBMITTED: ("funded", "held"),
    JobStatus.COMPLETED: ("released",),
    JobStatus.REJECTED: ("refunded",),
    JobStatus.EXPIRED: ("refunded",),
}


def job_differences(ledger: dict[str, Any], job: Any | None) -> list[Difference]:
    """A per-task job of the ledger against ``getJob`` (None: no such job on chain)."""
    subject = f"job {ledger['job_id']} (task {ledger['task_id']})"
    if job is None:
        return [Difference(subject, "existence", "funded", "no such job")]
    found = []
    if ledger["status"] not in LEDGER_STATUS_OF_JOB.get(job.status, ()):
        found.append(Difference(subject, "status", ledger["status"], job.status.name.lower()))
    if ledger["escrowed"] != job.budget:
        found.append(Difference(subject, "escrowed", ledger["escrowed"], job.budget))
    paid = {"released": job.budget if job.status is JobStatus.COMPLETED else 0}
    paid["refunded"] = job.budget if job.status in (JobStatus.REJECTED, JobStatus.EXPIRED) else 0
    for name, value in paid.items():
        if ledger[name] != value:
            found.append(Difference(subject, name, ledger[name], value))
    return found


def pool_differences(ledger: dict[str, Any], pool: Any | None, settled: list[Any]) -> list[Difference]:
    """An aggregate pool of the ledger against ``getPool`` and its BatchSettled events."""
    subject = f"pool {ledger['pool_id']} (acceptance {ledger['acceptance_id']})"
    if pool is None:
        return [Difference(subject, "existence", "funded", "no such pool")]
    expected = {
        "escrowed": pool.funded,
        "released": pool.released,
        "refunded": pool.refunded,
        "held + remaining": pool.remaining,
        "batches": pool.last_batch_seq,
    }
    actual = {
        "escrowed": ledger["escrowed"],
        "released": ledger["released"],
        "refunded": ledger["refunded"],
        "held + remaining": ledger["held"] + ledger["remaining"],
        "batches": len(ledger["batches"]),
    }
    found = [Difference(subject, k, actual[k], expected[k]) for k in expected if actual[k] != expected[k]]
    on_chain = {b.batch_seq: ("0x" + b.record.verdict_root.hex(), b.tx_hash) for b in settled}
    for batch in ledger["batches"]:
        seq = batch["batch_seq"]
        chain_root, chain_tx = on_chain.get(seq, (None, None))
        if batch["verdict_root"] != chain_root:
            found.append(Difference(f"{subject} batch {seq}", "verdict root", batch["verdict_root"], chain_root))
        if batch["tx_hash"] != chain_tx:
            found.append(Difference(f"{subject} batch {seq}", "transaction", batch["tx_hash"], chain_tx))
    return found


async def reconcile_ledger(
    api: SettlementApi, reader: EscrowReader, acceptance: str | None = None
) -> tuple[int, list[Difference]]:
    """Every job and pool of the ledger (of one acceptance, if named) against the chain:
    (items checked, differences)."""
    await reader.ensure_chain()
    found: list[Difference] = []
    if acceptance is not None:
        one = await api.get(f"/v1/settlements/acceptances/{acceptance}")
        jobs, pools = one["jobs"], one["pools"]
    else:
        jobs = await api.pages("/v1/settlements/jobs", "jobs")
        pools = await api.pages("/v1/settlements/pools", "pools")
    commerce = reader.commerce.address.lower()
    for job in jobs:
        if job.get("contract") and job["contract"].lower() != commerce:
            continue  # a job of another deployment (the log spans more than this one)
        try:
            on_chain = await reader.get_job(int(job["job_id"]))
        except EscrowReverted:
            on_chain = None
        found += job_differences(job, on_chain)
    aggregate = reader.aggregate.address.lower()
    for pool in pools:
        if pool.get("contract") and pool["contract"].lower() != aggregate:
            continue
        pool_id = bytes.fromhex(pool["pool_id"][2:])
        try:
            on_chain = await reader.get_pool(pool_id)
        except EscrowReverted:
            on_chain = None
        settled = await reader.settled_batches(pool_id) if on_chain is not None else []
        found += pool_differences(pool, on_chain, settled)
    return len(jobs) + len(pools), found


async def verify_task(api: SettlementApi, reader: EscrowReader, task_id: str) -> tuple[dict[str, Any], bool]:
    """The service's proof of TASK_ID, checked by the contract's verifyVerdict (which computes
    the leaf itself and checks the batch against the pool's batch chain)."""
    await reader.ensure_chain()
    proof = await api.get(f"/v1/settlements/tasks/{task_id}/proof")
    leaf = proof["leaf"]
    verdict = VerdictLeaf(
        pool_id=bytes.fromhex(proof["pool_id"][2:]),
        batch_seq=proof["batch_seq"],
        task_id=bytes.fromhex(leaf["task_key"][2:]),
        outcome=VerdictOutcome(leaf["outcome_code"]),
        released=leaf["released"],
        refunded=leaf["refunded"],
        evidence_digest=bytes.fromhex(leaf["evidence_digest"][2:]),
    )
    ok = await reader.verify_verdict(verdict, [bytes.fromhex(node[2:]) for node in proof["proof"]])
    return proof, ok


def _run(make: Callable[[], Awaitable[T]]) -> T:
    """Run the coroutine; every expected failure becomes a one-line error."""
    try:
        return asyncio.run(make())  # type: ignore[arg-type]
    except SettlementRequestFailed as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    except httpx.HTTPError as exc:
        typer.echo(f"error: the settlement service is unreachable: {exc}", err=True)
        raise typer.Exit(1) from exc
    except DeploymentMissing as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    except Web3RPCError as exc:
        typer.echo(f"the chain refused the request: {exc}", err=True)
        raise typer.Exit(1) from exc
    except (ConnectionError, OSError) as exc:
        typer.echo(f"cannot reach the chain at {rpc_url()}: {exc}", err=True)
        raise typer.Exit(1) from exc


def _echo(body: Any) -> None:
    typer.echo(json.dumps(body, indent=2, sort_keys=True))


@app.command()
def ledger(
    acceptance: str | None = typer.Option(None, help="One acceptance, with its jobs and pools"),
    agent: str | None = typer.Option(None, help="Totals of one agent"),
    buyer: str | None = typer.Option(None, help="Totals of one buyer"),
) -> None:
    """The ledger: escrowed, released, refunded, held and remaining (USDC minor units)."""
    api = SettlementApi()
    if acceptance:
        _echo(_run(lambda: api.get(f"/v1/settlements/acceptances/{acceptance}")))
    elif agent:
        _echo(_run(lambda: api.get(f"/v1/settlements/agents/{agent}")))
    elif buyer:
        _echo(_run(lambda: api.get(f"/v1/settlements/buyers/{buyer}")))
    else:
        _echo(_run(lambda: api.pages("/v1/settlements/acceptances", "acceptances")))


@app.command()
def proof(task_id: str) -> None:
    """The leaf of TASK_ID, its Merkle proof and the batch transaction that anchored the root."""
    _echo(_run(lambda: SettlementApi().get(f"/v1/settlements/tasks/{task_id}/proof")))


@app.command()
def verify(task_id: str) -> None:
    """Check TASK_ID's proof on chain with the contract's own verifyVerdict (exit 1 if refused)."""

    async def go() -> tuple[dict[str, Any], bool]:
        reader = reader_from_env()
        try:
            return await verify_task(SettlementApi(), reader, task_id)
        finally:
            await reader.w3.provider.disconnect()

    found, ok = _run(go)
    where = f"batch {found['batch_seq']} of pool {found['pool_id']} (tx {found['tx_hash']})"
    if not ok:
        typer.echo(f"REFUSED: the contract does not verify task {task_id} in {where}", err=True)
        raise typer.Exit(1)
    typer.echo(f"verified: task {task_id} {found['leaf']['outcome']} in {where}")


@app.command()
def reconcile(
    acceptance: str | None = typer.Option(None, help="Only this acceptance's jobs and pools"),
) -> None:
    """Compare every job and pool of the ledger with the chain; list every difference (exit 1 if any)."""

    async def go() -> tuple[int, list[Difference]]:
        reader = reader_from_env()
        try:
            return await reconcile_ledger(SettlementApi(), reader, acceptance)
        finally:
            await reader.w3.provider.disconnect()

    checked, differences = _run(go)
    for difference in differences:
        typer.echo(str(difference))
    if differences:
        typer.echo(f"{len(differences)} differences in {checked} jobs and pools", err=True)
        raise typer.Exit(1)
    typer.echo(f"no differences: {checked} jobs and pools match the chain")

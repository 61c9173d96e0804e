"""The settlement read API (/v1/settlements): the ledger per acceptance, job, pool, agent and
buyer, each task's settlement, Merkle proofs for batched tasks, and the signer's journal.

Everything here is read-only and mirrors what the chain already makes public (amounts,
parties' addresses, transactions), so it needs no key; nothing in the service is written over
HTTP.
"""

from __future__ import annotations

import json
from typing import Any

import asyncpg
from fastapi import APIRouter, HTTPException, Query, Request

from .proofs import ProofUnavailable, build_proof
from .store import all_rows, queries

router = APIRouter(prefix="/v1/settlements", tags=["settlements"])
FIGURES = ("escrowed", "released", "refunded", "held", "remaining")


def _pool(request: Request) -> asyncpg.Pool:
    return request.app.state.service.pool


def _not_found(code: str, message: str) -> HTTPException:
    return HTTPException(status_code=404, detail={"error": code, "message": message})


def _hex(value: bytes | None) -> str | None:
    return None if value is None else "0x" + bytes(value).hex()


def _figures(row: asyncpg.Record) -> dict[str, int]:
    return {name: int(row[name]) for name in FIGURES}


def _acceptance(row: asyncpg.Record) -> dict[str, Any]:
    return {
        "acceptance_id": row["acceptance_id"],
        "mode": row["mode"],
        "agent_id": row["agent_id"],
        "buyer_id": row["buyer_id"],
        **_figures(row),
        "violations": json.loads(row["violations"]),
    }


def _job(row: asyncpg.Record) -> dict[str, Any]:
    return {
        "job_id": str(row["job_id"]),
        "contract": row["contract"],
        "acceptance_id": row["acceptance_id"],
        "task_id": row["task_id"],
        "status": row["status"],
        **_figures(row),
    }


async def _pool_doc(conn: asyncpg.Connection, row: asyncpg.Record) -> dict[str, Any]:
    batches = await all_rows(queries.ledger.batch_rows(conn, pool_id=row["pool_id"]))
    return {
        "pool_id": _hex(row["pool_id"]),
        "contract": row["contract"],
        "acceptance_id": row["acceptance_id"],
        **_figures(row),
        "batches": [
            {"batch_seq": b["batch_seq"], "verdict_root": _hex(b["verdict_root"]), "tx_hash": _hex(b["tx_hash"])}
            for b in batches
        ],
    }


@router.get("/acceptances")
async def list_acceptances(
    request: Request,
    agent_id: str | None = None,
    buyer_id: str | None = None,
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0),
) -> dict[str, Any]:
    async with _pool(request).acquire() as conn:
        rows = await all_rows(
            queries.ledger.acceptance_rows(conn, agent_id=agent_id, buyer_id=buyer_id, limit=limit, offset=offset)
        )
    return {"acceptances": [_acceptance(r) for r in rows], "limit": limit, "offset": offset}


@router.get("/acceptances/{acceptance_id}")
async def get_acceptance(request: Request, acceptance_id: str) -> dict[str, Any]:
    async with _pool(request).acquire() as conn:
        row = await queries.ledger.acceptance_row(conn, acceptance_id=acceptance_id)
        if row is None:
            raise _not_found("acceptance_not_in_ledger", f"the ledger has nothing for acceptance {acceptance_id}")
        jobs = await all_rows(queries.ledger.job_rows(conn, acceptance_id=acceptance_id))
        pools = await all_rows(queries.ledger.pool_rows(conn, acceptance_id=acceptance_id, limit=10, offset=0))
        return {
            **_acceptance(row),
            "jobs": [_job(j) for j in jobs],
            "pools": [await _pool_doc(conn, p) for p in pools],
        }


@router.get("/jobs")
async def list_jobs(
    request: Request, limit: int = Query(1000, ge=1, le=10_000), offset: int = Query(0, ge=0)
) -> dict[str, Any]:
    async with _pool(request).acquire() as conn:
        rows = await all_rows(queries.ledger.all_job_rows(conn, limit=limit, offset=offset))
    return {"jobs": [_job(r) for r in rows], "limit": limit, "offset": offset}


@router.get("/pools")
async def list_pools(
    request: Request, limit: int = Query(1000, ge=1, le=10_000), offset: int = Query(0, ge=0)
) -> dict[str, Any]:
    async with _pool(request).acquire() as conn:
        rows = await all_rows(queries.ledger.pool_rows(conn, acceptance_id=None, limit=limit, offset=offset))
        return {"pools": [await _pool_doc(conn, r) for r in rows], "limit": limit, "offset": offset}


@router.get("/agents/{agent_id}")
async def agent_totals(request: Request, agent_id: str) -> dict[str, Any]:
    async with _pool(request).acquire() as conn:
        row = await queries.ledger.by_agent(conn, agent_id=agent_id)
    if row is None:
        raise _not_found("agent_not_in_ledger", f"the ledger has nothing for agent {agent_id}")
    return {"agent_id": agent_id, "acceptances": row["acceptances"], **_figures(row)}


@router.get("/buyers/{buyer_id}")
async def buyer_totals(request: Request, buyer_id: str) -> dict[str, Any]:
    async with _pool(request).acquire() as conn:
        row = await queries.ledger.by_buyer(conn, buyer_id=buyer_id)
    if row is None:
        raise _not_found("buyer_not_in_ledger", f"the ledger has nothing for buyer {buyer_id}")
    return {"buyer_id": buyer_id, "acceptances": row["acceptances"], **_figures(row)}


@router.get("/tasks/{task_id}")
async def task_settlement(request: Request, task_id: str) -> dict[str, Any]:
    """Where a task's money stands: its verdict, what the signer did, and the batch or job."""
    async with _pool(request).acquire() as conn:
        row = await queries.work.task_status(conn, task_id=task_id)
    if row is None:
        raise _not_found("task_unknown", f"settlement has not seen task {task_id}")
    return {
        "task_id": task_id,
        "acceptance_id": row["acceptance_id"],
        "mode": row["mode"],
        "outcome": row["outcome"],
        "job_id": None if row["job_id"] is None else str(row["job_id"]),
        "status": row["status"],
        "detail": row["detail"],
        "tx_id": row["tx_id"],
        "pool_id": _hex(row["batch_pool"]),
        "batch_seq": row["batch_seq"],
    }


@router.get("/tasks/{task_id}/proof")
async def task_proof(request: Request, task_id: str) -> dict[str, Any]:
    """The task's leaf, its Merkle proof and the batch transaction that anchored the root."""
    async with _pool(request).acquire() as conn:
        batches = await all_rows(queries.ledger.batches_of_task(conn, task_id=task_id))
    if not batches:
        raise _not_found("task_not_batched", f"task {task_id} is not in any settled batch")
    proofs = []
    for batch in batches:
        try:
            proof = build_proof(
                task_id,
                bytes(batch["pool_id"]),
                batch["batch_seq"],
                json.loads(batch["leaves"]),
                bytes(batch["verdict_root"]),
            )
        except ProofUnavailable as exc:
            raise HTTPException(status_code=409, detail={"error": "proof_unavailable", "message": str(exc)}) from exc
        proofs.append(
            {
                **proof,
                "acceptance_id": batch["acceptance_id"],
                "chain_id": batch["chain_id"],
                "tx_hash": _hex(batch["tx_hash"]),
            }
        )
    identity = request.app.state.service.resources.get("chain_identity")
    contract = identity.aggregate if identity is not None else None
    # One batch per task is the rule; should a second exist, both proofs are shown.
    return {**proofs[0], "contract": contract, "also_in": proofs[1:]}


@router.get("/transactions")
async def transactions(
    request: Request,
    status: str | None = Query(None, pattern="^(signed|mined|confirmed|reverted|superseded)$"),
    limit: int = Query(100, ge=1, le=1000),
) -> dict[str, Any]:
    """The signer's journal, newest first (the runbook's first stop)."""
    async with _pool(request).acquire() as conn:
        rows = await all_rows(queries.journal.list_transactions(conn, status=status, limit=limit))
    return {
        "transactions": [
            {
                "tx_id": r["tx_id"],
                "kind": r["kind"],
                "target": r["target"],
                "nonce": r["nonce"],
                "status": r["status"],
                "tx_hash": _hex(r["tx_hash"]),
                "block_number": r["block_number"],
                "gas_used": r["gas_used"],
                "broadcasts": r["broadcasts"],
                "attempts": r["attempts"],
                "reorgs": r["reorgs"],
                "detail": r["detail"],
            }
            for r in rows
        ]
    }


@router.get("/signer")
async def signer(request: Request) -> dict[str, Any]:
    """This replica's view of the signer: whether it holds the lease and for which address."""
    worker = request.app.state.service.resources.get("signer")
    if worker is None:
        return {"configured": False, "active": False}
    return {
        "configured": True,
        "active": worker.active,
        "reconciled": worker.reconciled,
        "address": worker.address,
        "chain_id": worker.identity.chain_id,
        "passes": worker.passes,
    }

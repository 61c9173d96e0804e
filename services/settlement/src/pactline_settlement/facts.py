"""Confirmed contract logs become escrow events, once each, on the acceptance's stream.

A log is recorded as soon as the watcher has seen it at the confirmation depth. Its event can
only be emitted once the log is linked to an acceptance (a job through the task that names
it, a pool through its acceptance id and buyer), which may happen later, in a handler: both
call ``publish_job`` / ``publish_pool`` in their own transaction. Event ids derive from the
chain id, transaction and log index, so whoever emits a fact emits the same event.
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg

from pactline_events import (
    EscrowFunded,
    EscrowReclaimed,
    EscrowSettled,
    EscrowSubmitted,
    EventPayload,
    SettledLeaf,
    derived_event_id,
)
from pactline_messaging import outbox

from .store import queries

log = logging.getLogger(__name__)

# Logs that are facts of their own; the others (JobCreated, JobCompleted, ...) are read beside them.
JOB_FACTS = ("JobFunded", "JobSubmitted", "PaymentReleased", "Refunded")
POOL_FACTS = ("PoolOpened", "PoolFunded", "BatchSettled", "PoolReclaimed")


def hex32(value: bytes) -> str:
    return "0x" + bytes(value).hex()


def stream_of(acceptance_id: str) -> str:
    return f"escrow-{acceptance_id}"


async def _emit(
    conn: asyncpg.Connection,
    producer: str,
    chain_id: int,
    row: asyncpg.Record,
    acceptance_id: str,
    payload: EventPayload | None,
    correlation_id: uuid.UUID | None,
) -> None:
    if payload is not None:
        at = datetime.fromtimestamp(row["block_time"], UTC)
        tx = hex32(row["tx_hash"])
        await outbox.emit(
            conn,
            producer,
            stream_of(acceptance_id),
            payload,
            occurred_at=at,
            event_id=derived_event_id(at, producer, str(chain_id), tx, str(row["log_index"])),
            correlation_id=correlation_id or uuid.uuid5(uuid.NAMESPACE_URL, f"pactline:chain:{chain_id}:{tx}"),
        )
    await queries.chain.mark_emitted(conn, tx_hash=row["tx_hash"], log_index=row["log_index"])


def _fact(row: asyncpg.Record, chain_id: int) -> dict[str, Any]:
    # chain_logs.log_index is the log's position in its transaction (stable across reorgs, the
    # row's identity); the event carries the block's log index, which an explorer shows.
    return {
        "chain_id": chain_id,
        "tx_hash": hex32(row["tx_hash"]),
        "block_number": row["block_number"],
        "log_index": int(json.loads(row["args"])["logIndex"]),
    }


async def publish_job(conn: asyncpg.Connection, producer: str, chain_id: int, contract: str, job_id: int) -> int:
    """Emit the job's confirmed, not yet emitted facts if the job escrows a known task."""
    link = await queries.intake.job_link(conn, job_id=job_id)
    if link is None:
        return 0
    task = await queries.intake.lock_task(conn, task_id=link["task_id"])
    if task is None:
        return 0
    acceptance = await queries.intake.get_acceptance(conn, acceptance_id=task["acceptance_id"])
    if acceptance is None or acceptance["mode"] != "per_task":
        return 0
    rows = [r async for r in queries.chain.unemitted_job_logs(conn, job_id=job_id)]
    for row in rows:
        args = json.loads(row["args"])
        payload: EventPayload | None = None
        common = {"acceptance_id": acceptance["acceptance_id"], **_fact(row, chain_id)}
        if row["name"] == "JobFunded":
            payload = EscrowFunded(
                **common,
                mode="per_task",
                amount=int(args["amount"]),
                contract_address=contract,
                token_address=args["token"],
                job_id=str(job_id),
                task_id=task["task_id"],
                funder=args["client"],
            )
        elif row["name"] == "JobSubmitted":
            payload = EscrowSubmitted(
                **common,
                task_id=task["task_id"],
                job_id=str(job_id),
                provider=args["provider"],
                deliverable=args["deliverable"],
                contract_address=contract,
            )
        elif row["name"] in ("PaymentReleased", "Refunded"):
            payload = await _job_settlement(conn, row, args, common, task, job_id)
        await _emit(conn, producer, chain_id, row, acceptance["acceptance_id"], payload, task["correlation_id"])
    return len(rows)


async def _job_settlement(conn, row, args, common, task, job_id: int) -> EscrowSettled:
    amount = int(args["amount"])
    if row["name"] == "PaymentReleased":
        cause, released, refunded, sibling = "completed", amount, 0, "JobCompleted"
    else:
        rejected = await queries.chain.sibling_log(conn, tx_hash=row["tx_hash"], name="JobRejected", job_id=job_id)
        cause, released, refunded = ("rejected" if rejected else "expired"), 0, amount
        sibling = "JobRejected"
    reason_row = await queries.chain.sibling_log(conn, tx_hash=row["tx_hash"], name=sibling, job_id=job_id)
    reason = json.loads(reason_row["args"])["reason"] if reason_row is not None else None
    return EscrowSettled(
        **common,
        mode="per_task",
        cause=cause,
        task_ids=(task["task_id"],),
        released=released,
        refunded=refunded,
        job_id=str(job_id),
        reason=reason,
        detail=task["detail"][:1000] if cause == "rejected" else "",
    )


async def publish_pool(
    conn: asyncpg.Connection, producer: str, chain_id: int, contract: str, token: str, pool_id: bytes
) -> int:
    """Emit the pool's confirmed, not yet emitted facts if the pool belongs to a known acceptance."""
    pool = await queries.chain.get_chain_pool(conn, pool_id=pool_id)
    if pool is None:
        return 0
    acceptance = await queries.intake.acceptance_by_key(conn, acceptance_key=pool["acceptance_key"])
    if acceptance is None or not pool_matches(acceptance, pool, token):
        return 0
    rows = [r async for r in queries.chain.unemitted_pool_logs(conn, pool_id=pool_id)]
    for row in rows:
        args = json.loads(row["args"])
        common = {"acceptance_id": acceptance["acceptance_id"], **_fact(row, chain_id)}
        payload: EventPayload | None = None
        if row["name"] in ("PoolOpened", "PoolFunded"):
            payload = EscrowFunded(
                **common,
                mode="aggregate",
                amount=int(args["amount"]),
                contract_address=contract,
                token_address=pool["token"],
                pool_id=hex32(pool_id),
                funder=args["buyer"],
            )
        elif row["name"] == "BatchSettled":
            payload = await _batch_settlement(conn, args, common, pool_id)
        elif row["name"] == "PoolReclaimed":
            payload = EscrowReclaimed(
                **common,
                pool_id=hex32(pool_id),
                buyer=args["buyer"],
                amount=int(args["amount"]),
                contract_address=contract,
            )
        await _emit(conn, producer, chain_id, row, acceptance["acceptance_id"], payload, None)
    return len(rows)


async def _batch_settlement(conn, args, common, pool_id: bytes) -> EscrowSettled | None:
    seq = int(args["batchSeq"])
    batch = await queries.work.get_batch(conn, pool_id=pool_id, batch_seq=seq)
    root = args["verdictRoot"]
    if batch is None or hex32(batch["root"]) != root:
        # Only this service's key can settle; a batch it has no record of means the key was used
        # elsewhere (or the database was restored from an old backup): loud, and no made-up event.
        log.error("BatchSettled %s of pool %s with root %s is not in the journal", seq, hex32(pool_id), root)
        return None
    leaves = tuple(SettledLeaf(**leaf) for leaf in json.loads(batch["leaves"]))
    await queries.work.mark_batch_settled(conn, pool_id=pool_id, batch_seq=seq)
    return EscrowSettled(
        **common,
        mode="aggregate",
        cause="batch",
        task_ids=tuple(leaf.task_id for leaf in leaves),
        released=int(args["released"]),
        refunded=int(args["refunded"]),
        pool_id=hex32(pool_id),
        batch_seq=seq,
        verdict_root=root,
        batch_chain=args["batchChain"],
        leaves=leaves,
    )


def pool_matches(acceptance: asyncpg.Record, pool: asyncpg.Record, token: str) -> bool:
    """A pool escrows an acceptance only when its buyer, provider and token are the accepted
    ones (a pool anyone else opened under the same acceptance id has another pool id anyway)."""
    return (
        acceptance["mode"] == "aggregate"
        and pool["buyer"].lower() == acceptance["buyer_address"]
        and pool["provider"].lower() == acceptance["provider_address"]
        and pool["token"].lower() == token.lower()
    )

"""The signer: the one background worker that talks to the chain as the evaluator.

Each replica runs one; only the holder of the signer lease works, the others stand by. On
taking the lease it first reconciles (the RPC's chain id, the confirmed logs, every journaled
transaction, every batch in flight against the roots on chain) and only then sends. Each pass:
read confirmed logs (watcher), follow journaled transactions (journal), decide each per-task
job (domain.decide_job against the job as the chain shows it now), cut the pools' batches
(batching), and for each action record the signed transaction before broadcasting it. No
database transaction is open while anything is broadcast.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import time

import asyncpg
from eth_account import Account
from web3 import AsyncHTTPProvider, AsyncWeb3

from pactline_escrow import InvalidBatch
from pactline_escrow.errors import EscrowReverted
from pactline_messaging.retrying import is_infrastructure_error

from . import escrow_calls
from .batching import BatchRefused, PoolView, ReadyTask, check_batch, plan_batch
from .chain import ChainClient
from .domain import AcceptanceTerms, Complete, JobState, Nothing, Reject, TaskVerdict, decide_job
from .identity import ChainIdentity
from .journal import GasPolicy, Journal
from .lease import LeaseLost, SignerLease, lease_key
from .settings import SettlementSettings
from .store import all_rows, queries
from .watcher import ChainWatcher

log = logging.getLogger(__name__)
JOB_BATCH = 200


def job_target(job_id: int) -> str:
    return f"job:{job_id}"


def batch_target(pool_id: bytes, batch_seq: int) -> str:
    return f"batch:0x{pool_id.hex()}:{batch_seq}"


class SettlementWorker:
    def __init__(
        self, pool: asyncpg.Pool, producer: str, schema: str, settings: SettlementSettings, identity: ChainIdentity
    ) -> None:
        self.pool = pool
        self.settings = settings
        self.identity = identity
        self.account = Account.from_key(settings.signer_key().get_secret_value())
        self.address = self.account.address
        self.w3 = AsyncWeb3(AsyncHTTPProvider(settings.eth_rpc_url))
        self.chain = ChainClient(self.w3, identity.deployment())
        self.lease = SignerLease(
            settings.database_url.get_secret_value(), schema, lease_key(identity.chain_id, self.address)
        )
        self.journal = Journal(
            self.chain,
            self.account,
            identity.chain_id,
            GasPolicy(
                priority_fee=settings.settlement_priority_fee_wei,
                multiplier_pct=settings.settlement_fee_multiplier_pct,
                max_fee=settings.settlement_max_fee_wei,
                bump_after_blocks=settings.settlement_bump_after_blocks,
                bump_pct=settings.settlement_bump_pct,
                margin_pct=settings.settlement_gas_margin_pct,
            ),
            settings.settlement_confirmations,
        )
        self.watcher = ChainWatcher(
            self.chain,
            identity,
            self.address,
            producer,
            confirmations=settings.settlement_confirmations,
            start_block=settings.settlement_start_block,
            chunk=settings.settlement_log_chunk,
        )
        self.policy = settings.batch_policy()
        self.active = False
        self.reconciled = False
        self.passes = 0
        self.leases_lost = 0
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        log.info("settlement signer %s on chain %s: waiting for the lease", self.address, self.identity.chain_id)
        self._task = asyncio.create_task(self._run(), name="settlement-signer")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.lease.release()
        await self.w3.provider.disconnect()

    async def _run(self) -> None:
        backoff = self.settings.settlement_poll_interval_s
        while True:
            try:
                if not self.active:
                    self.active = await self.lease.try_acquire()
                    if not self.active:
                        await asyncio.sleep(self.settings.settlement_lease_retry_s)
                        continue
                    log.info("signer lease taken: this replica signs for %s", self.address)
                if not self.reconciled:
                    await self.reconcile()
                await self.run_pass()
                backoff = self.settings.settlement_poll_interval_s
                await asyncio.sleep(backoff)
            except asyncio.CancelledError:
                raise
            except LeaseLost as exc:
                log.error("signer lease lost (%s): standing by", exc)
                self.leases_lost += 1
                self.active = self.reconciled = False
                await self.lease.release()
            except Exception as exc:
                # RPC or database trouble: nothing half-done is lost (the journal has it); the
                # next pass starts from the journal again.
                level = logging.WARNING if is_infrastructure_error(exc) or isinstance(exc, OSError) else logging.ERROR
                log.log(level, "settlement pass failed (%s: %s); retrying", type(exc).__name__, exc, exc_info=True)
                backoff = min(backoff * 2, 30.0)
                await asyncio.sleep(backoff)

    async def reconcile(self) -> None:
        """Before anything is sent: the chain is the configured one, the watcher has read every
        confirmed block, every journaled transaction is matched with its receipt (or sent
        again), and every batch in flight is checked against the root stored on chain."""
        await self.chain.check_chain(self.identity.chain_id)
        await self.watcher.sync(self.pool)
        conn = await self.lease.check()
        counts = await self.journal.track(conn, self._released)
        conflicts = 0
        for batch in await all_rows(queries.work.unsettled_batches(conn)):
            pool_id, seq = bytes(batch["pool_id"]), batch["batch_seq"]
            on_chain = await self.chain.batch_root(pool_id, seq)
            if on_chain not in (bytes(32), bytes(batch["root"])):
                conflicts += 1
                log.error("batch %s of pool 0x%s: the chain holds another root; pool stopped", seq, pool_id.hex())
                await queries.work.mark_batch_conflict(conn, pool_id=pool_id, batch_seq=seq)
        self.reconciled = True
        log.info("reconciled with the chain before sending: %s, %s batch conflicts", counts, conflicts)

    async def run_pass(self) -> None:
        await self.watcher.sync(self.pool)
        conn = await self.lease.check()
        await self.journal.track(conn, self._released)
        chain_now = await self.chain.now()
        await self._settle_jobs(conn, chain_now)
        await self._settle_pools(conn, chain_now)
        self.passes += 1

    async def _released(self, conn: asyncpg.Connection, row: asyncpg.Record, why: str) -> None:
        """A journaled transaction that will never pay (reverted or superseded): its work is
        decided again from chain state on the next pass."""
        if row["kind"] == "settle_batch":
            _, pool_hex, seq = row["target"].split(":")
            pool_id = bytes.fromhex(pool_hex[2:])
            await queries.work.unbatch(conn, pool_id=pool_id, batch_seq=int(seq))
            await queries.work.delete_batch(conn, pool_id=pool_id, batch_seq=int(seq))
        else:
            await queries.work.reopen_task_of_tx(conn, tx_id=row["tx_id"])
        log.warning("tx %s %s: %s %s goes back to the queue", row["tx_id"], why, row["kind"], row["target"])

    # ---- per-task jobs -------------------------------------------------------------------

    async def _settle_jobs(self, conn: asyncpg.Connection, chain_now: int) -> None:
        for row in await all_rows(queries.work.job_candidates(conn, chain_now=chain_now, limit=JOB_BATCH)):
            job_id = int(row["job_id"])
            confirmed_submit = row["confirmed_status"] is not None and row["deliverable"] is not None
            job = await self.chain.job(job_id, deliverable=bytes(row["deliverable"]) if confirmed_submit else None)
            if job is None:
                continue
            if job.status is JobState.SUBMITTED and not confirmed_submit:
                # The submit is on chain but not yet at the confirmation depth: not a fact yet.
                job = dataclasses.replace(job, status=JobState.FUNDED)
            decision = decide_job(
                AcceptanceTerms(row["buyer_address"], row["provider_address"], int(row["price"]), self.identity.token),
                TaskVerdict(
                    row["outcome"],
                    bytes(row["evidence_digest"]),
                    bytes(row["output_digest"]) if row["output_digest"] is not None else None,
                    int(row["hold_until"]),
                ),
                job,
                evaluator=self.address,
                chain_now=chain_now,
                expiry_margin=self.settings.settlement_job_expiry_margin_s,
            )
            if isinstance(decision, Nothing):
                await queries.intake.close_task(conn, task_id=row["task_id"], detail=decision.why)
                continue
            if not isinstance(decision, Complete | Reject):
                continue
            await self._send_job(conn, row["task_id"], decision)

    async def _send_job(self, conn: asyncpg.Connection, task_id: str, decision: Complete | Reject) -> None:
        reader = self.chain.reader
        if isinstance(decision, Complete):
            kind, fn, detail = "complete", escrow_calls.complete_call(reader, decision.job_id, decision.reason), ""
        else:
            kind, fn = "reject", escrow_calls.reject_call(reader, decision.job_id, decision.reason)
            detail = decision.detail

        async def mark(tx_conn: asyncpg.Connection, tx_id: int) -> None:
            await queries.work.mark_task_sent(tx_conn, task_id=task_id, tx_id=tx_id, detail=detail)

        try:
            recorded = await self.journal.record(
                conn, kind=kind, target=job_target(decision.job_id), fn=fn, detail=detail, on_record=mark
            )
        except EscrowReverted as exc:
            log.warning("%s of job %s would revert (%s %s); not sent", kind, decision.job_id, exc.error, exc.error_args)
            return
        except asyncpg.UniqueViolationError:
            log.warning("job %s already has a live transaction; nothing sent", decision.job_id)
            return
        await self.journal.broadcast(conn, recorded.tx_id, recorded.signed.raw)

    # ---- aggregate pools -----------------------------------------------------------------

    async def _settle_pools(self, conn: asyncpg.Connection, chain_now: int) -> None:
        await queries.work.mark_ready(conn, now=int(time.time()), chain_now=chain_now)
        for acceptance in await all_rows(queries.work.pools_with_ready_tasks(conn)):
            pool = await queries.work.usable_pool(
                conn,
                acceptance_key=acceptance["acceptance_key"],
                buyer=acceptance["buyer_address"],
                provider=acceptance["provider_address"],
                token=self.identity.token.lower(),
                price=acceptance["price"],
                evaluator=self.address.lower(),
            )
            if pool is None:
                continue  # the tasks wait for a matching pool to be funded and confirmed
            pool_id = bytes(pool["pool_id"])
            if await queries.work.pool_in_conflict(conn, pool_id=pool_id):
                continue
            if await all_rows(queries.work.planned_batches_of_pool(conn, pool_id=pool_id)):
                continue  # one batch in flight per pool: the next number follows a settled one
            await self._cut_batch(conn, acceptance, pool_id, chain_now)

    async def _cut_batch(self, conn, acceptance, pool_id: bytes, chain_now: int) -> None:
        on_chain = await self.chain.pool(pool_id)
        if on_chain is None or int(on_chain.status) != 1:
            return
        recorded_seq = await queries.work.last_batch_seq(conn, pool_id=pool_id)
        if on_chain.last_batch_seq != recorded_seq:
            log.error(
                "pool 0x%s: the chain's last batch is %s, the journal's %s; not settling it",
                pool_id.hex(),
                on_chain.last_batch_seq,
                recorded_seq,
            )
            return
        if on_chain.price_per_task != int(acceptance["price"]):
            log.error(
                "pool 0x%s prices a task at %s, the acceptance at %s; not settling it",
                pool_id.hex(),
                on_chain.price_per_task,
                acceptance["price"],
            )
            return
        view = PoolView(pool_id, on_chain.price_per_task, on_chain.remaining, on_chain.expired_at, recorded_seq + 1)
        rows = await all_rows(
            queries.work.ready_tasks(conn, acceptance_id=acceptance["acceptance_id"], limit=self.policy.max_tasks)
        )
        ready = [ReadyTask(r["task_id"], r["outcome"], bytes(r["evidence_digest"]), r["ready_at"]) for r in rows]
        batch = plan_batch(view, ready, now=int(time.time()), chain_now=chain_now, policy=self.policy)
        if batch is None:
            return
        already = [
            r["task_id"] for r in await all_rows(queries.work.batched_task_ids(conn, task_ids=list(batch.task_ids)))
        ]
        try:
            check_batch(batch, view, already, netted=(batch.released, batch.refunded))
            tree = escrow_calls.verdict_batch(pool_id, batch.batch_seq, view.price, batch.leaves)
        except (BatchRefused, InvalidBatch) as exc:
            log.error("batch %s of pool 0x%s not signed: %s", batch.batch_seq, pool_id.hex(), exc)
            return
        leaves = [
            {
                "task_id": leaf.task_id,
                "outcome": leaf.outcome,
                "released": leaf.released,
                "refunded": leaf.refunded,
                "evidence_digest": "0x" + leaf.evidence_digest.hex(),
            }
            for leaf in batch.leaves
        ]

        async def fix_batch(tx_conn: asyncpg.Connection, tx_id: int) -> None:
            await queries.work.insert_batch(
                tx_conn,
                pool_id=pool_id,
                batch_seq=batch.batch_seq,
                acceptance_id=acceptance["acceptance_id"],
                leaves=json.dumps(leaves),
                root=tree.root,
                released=batch.released,
                refunded=batch.refunded,
            )
            marked = await all_rows(
                queries.work.mark_batched(
                    tx_conn, pool_id=pool_id, batch_seq=batch.batch_seq, task_ids=list(batch.task_ids)
                )
            )
            if len(marked) != len(batch.leaves):
                # A task left the queue meanwhile: the whole batch (and its journal row) rolls back.
                raise BatchRefused(pool_id, batch.batch_seq, "a task of the batch is no longer waiting")
            await queries.work.set_batch_tx(tx_conn, pool_id=pool_id, batch_seq=batch.batch_seq, tx_id=tx_id)

        try:
            recorded = await self.journal.record(
                conn,
                kind="settle_batch",
                target=batch_target(pool_id, batch.batch_seq),
                fn=escrow_calls.settle_batch_call(self.chain.reader, batch, tree.root),
                detail=f"{len(batch.leaves)} tasks",
                on_record=fix_batch,
            )
        except EscrowReverted as exc:
            log.warning(
                "batch %s of pool 0x%s would revert: %s %s", batch.batch_seq, pool_id.hex(), exc.error, exc.error_args
            )
            return
        except BatchRefused as exc:
            log.warning("%s", exc)
            return
        await self.journal.broadcast(conn, recorded.tx_id, recorded.signed.raw)

"""The chain watcher: reads both contracts' logs up to the confirmation depth, keeps the jobs and
pools this service evaluates, and turns their facts into events (facts.py).

A block is read once it has ``confirmations`` blocks on top of it (itself included), so a
reorg shallower than that never reaches the log. A deeper one is noticed (the last block read
has another hash now), reported, and the watcher reads the recent blocks again; a fact is
recorded once per transaction and position (tx_hash, ordinal), so reading again adds only
what is new.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import asyncpg

from . import facts
from .chain import ChainClient, RawLog
from .domain import JobState
from .identity import ChainIdentity
from .store import all_rows, queries

log = logging.getLogger(__name__)

REREAD_BLOCKS = 64
JOB_STATUS = {
    "JobFunded": JobState.FUNDED,
    "JobSubmitted": JobState.SUBMITTED,
    "JobCompleted": JobState.COMPLETED,
    "JobRejected": JobState.REJECTED,
    "JobExpired": JobState.EXPIRED,
}


class DeepReorg(RuntimeError):
    pass


class ChainWatcher:
    def __init__(
        self,
        chain: ChainClient,
        identity: ChainIdentity,
        evaluator: str,
        producer: str,
        *,
        confirmations: int,
        start_block: int,
        chunk: int,
    ) -> None:
        self.chain = chain
        self.identity = identity
        self.evaluator = evaluator.lower()
        self.producer = producer
        self.confirmations = confirmations
        self.start_block = start_block
        self.chunk = chunk
        self.deep_reorgs = 0

    async def sync(self, pool: asyncpg.Pool) -> int:
        """Read every confirmed block not read yet; returns the number of logs recorded."""
        head = await self.chain.head()
        confirmed = head - self.confirmations + 1
        async with pool.acquire() as conn:
            cursor = await queries.chain.get_cursor(conn)
        last = cursor["block_number"] if cursor else self.start_block - 1
        if cursor and cursor["block_hash"] is not None and last >= 0:
            seen = await self.chain.block(last)
            if seen is None or seen.hash != bytes(cursor["block_hash"]):
                self.deep_reorgs += 1
                log.error(
                    "reorg deeper than %s confirmations: block %s changed; reading the last %s blocks again",
                    self.confirmations,
                    last,
                    REREAD_BLOCKS,
                )
                last = max(self.start_block - 1, last - REREAD_BLOCKS)
        recorded = 0
        while last < confirmed:
            upto = min(confirmed, last + self.chunk)
            recorded += await self._read(pool, last + 1, upto)
            last = upto
        await self.publish_pending(pool)
        return recorded

    async def _read(self, pool: asyncpg.Pool, first: int, last: int) -> int:
        logs = await self.chain.logs(first, last)
        end = await self.chain.block(last)
        assert end is not None
        times: dict[int, int] = {}
        for number in sorted({lg.block_number for lg in logs}):
            block = await self.chain.block(number)
            assert block is not None
            times[number] = block.timestamp
        unknown_jobs = await self._unknown_jobs(pool, logs)
        async with pool.acquire() as conn, conn.transaction():
            for ordinal, raw in _with_ordinals(logs):
                await self._record(conn, raw, ordinal, times[raw.block_number], unknown_jobs)
            await queries.chain.save_cursor(
                conn, chain_id=self.identity.chain_id, block_number=last, block_hash=end.hash
            )
        return len(logs)

    async def publish_pending(self, pool: asyncpg.Pool) -> None:
        """Emit the recorded facts whose job or pool is linked to an acceptance. One job or pool
        per transaction: a transaction here never holds two tasks' locks, so it cannot deadlock
        with a handler's batch (which may lock several tasks, in log order)."""
        async with pool.acquire() as conn:
            refs = await all_rows(queries.chain.unemitted_refs(conn))
        for ref in refs:
            async with pool.acquire() as conn, conn.transaction():
                if ref["job_id"] is not None:
                    await facts.publish_job(
                        conn, self.producer, self.identity.chain_id, self.identity.commerce, int(ref["job_id"])
                    )
                else:
                    await facts.publish_pool(
                        conn,
                        self.producer,
                        self.identity.chain_id,
                        self.identity.aggregate,
                        self.identity.token,
                        bytes(ref["pool_id"]),
                    )

    async def _unknown_jobs(self, pool: asyncpg.Pool, logs: list[RawLog]) -> dict[int, object]:
        """Jobs named by logs whose JobCreated the watcher never saw (it started later): their
        terms come from the contract."""
        created = {int(lg.args["jobId"]) for lg in logs if lg.name == "JobCreated"}
        wanted = {int(lg.args["jobId"]) for lg in logs if lg.contract == "commerce" and "jobId" in lg.args} - created
        found: dict[int, object] = {}
        async with pool.acquire() as conn:
            for job_id in sorted(wanted):
                if await queries.chain.get_chain_job(conn, job_id=job_id) is None:
                    found[job_id] = await self.chain.job(job_id)
        return found

    async def _record(self, conn, raw: RawLog, ordinal: int, block_time: int, unknown_jobs) -> object | None:
        """Update the job or pool the log is about; returns its id when it is one of ours."""
        args = raw.args
        job_id = int(args["jobId"]) if raw.contract == "commerce" else None
        pool_id = bytes.fromhex(args["poolId"][2:]) if raw.contract == "aggregate" else None
        if raw.name == "JobCreated":
            if args["evaluator"].lower() != self.evaluator:
                return None
            await queries.chain.upsert_chain_job(
                conn,
                job_id=job_id,
                client=args["client"].lower(),
                provider=args["provider"].lower(),
                evaluator=args["evaluator"].lower(),
                token=None,
                budget=None,
                expired_at=int(args["expiredAt"]),
                status=int(JobState.OPEN),
                deliverable=None,
            )
        elif raw.name == "PoolOpened":
            if args["evaluator"].lower() != self.evaluator:
                return None
            await queries.chain.insert_chain_pool(
                conn,
                pool_id=pool_id,
                acceptance_key=bytes.fromhex(args["acceptanceId"][2:]),
                buyer=args["buyer"].lower(),
                provider=args["provider"].lower(),
                evaluator=args["evaluator"].lower(),
                token=args["token"].lower(),
                expired_at=int(args["expiredAt"]),
                price_per_task=int(args["pricePerTask"]),
                funded=int(args["amount"]),
            )
        elif job_id is not None:
            if not await self._ours(conn, job_id, unknown_jobs):
                return None
            await queries.chain.update_chain_job(
                conn,
                job_id=job_id,
                provider=args["provider"].lower() if raw.name == "ProviderSet" else None,
                token=args["token"].lower() if raw.name == "BudgetSet" else None,
                budget=int(args["amount"]) if raw.name == "BudgetSet" else None,
                status=int(JOB_STATUS[raw.name]) if raw.name in JOB_STATUS else None,
                deliverable=bytes.fromhex(args["deliverable"][2:]) if raw.name == "JobSubmitted" else None,
            )
        else:
            if await queries.chain.get_chain_pool(conn, pool_id=pool_id) is None:
                return None
            if raw.name == "PoolFunded":
                await queries.chain.fund_chain_pool(conn, pool_id=pool_id, amount=int(args["amount"]))
            elif raw.name == "BatchSettled":
                total = int(args["released"]) + int(args["refunded"])
                await queries.chain.settle_chain_pool(
                    conn, pool_id=pool_id, amount=total, batch_seq=int(args["batchSeq"])
                )
            elif raw.name == "PoolReclaimed":
                await queries.chain.close_chain_pool(conn, pool_id=pool_id)
        is_fact = raw.name in facts.JOB_FACTS or raw.name in facts.POOL_FACTS
        await queries.chain.insert_chain_log(
            conn,
            tx_hash=raw.tx_hash,
            log_index=ordinal,
            block_number=raw.block_number,
            block_hash=raw.block_hash,
            block_time=block_time,
            contract=raw.contract,
            name=raw.name,
            args=json.dumps({**args, "logIndex": raw.log_index}),
            job_id=job_id,
            pool_id=pool_id,
            emitted_at=None if is_fact else datetime.now(UTC),
        )
        return job_id if job_id is not None else pool_id

    async def _ours(self, conn, job_id: int, unknown_jobs) -> bool:
        if await queries.chain.get_chain_job(conn, job_id=job_id) is not None:
            return True
        job = unknown_jobs.get(job_id)
        if job is None or job.evaluator.lower() != self.evaluator:
            return False
        await queries.chain.upsert_chain_job(
            conn,
            job_id=job_id,
            client=job.client.lower(),
            provider=job.provider.lower(),
            evaluator=job.evaluator.lower(),
            token=job.token.lower(),
            budget=job.budget,
            expired_at=job.expired_at,
            status=int(JobState.OPEN),
            deliverable=None,
        )
        return True


def _with_ordinals(logs: list[RawLog]):
    """Each log with its position among this transaction's logs of the two contracts: the same
    wherever a reorg puts the transaction, unlike the block's log index."""
    seen: dict[bytes, int] = {}
    for raw in logs:
        ordinal = seen.get(raw.tx_hash, 0)
        seen[raw.tx_hash] = ordinal + 1
        yield ordinal, raw

"""Read-only access to the escrow contracts: jobs, pools, credits, settled batches and verdict proofs."""

from __future__ import annotations

from collections.abc import Sequence

from web3 import AsyncWeb3
from web3.contract import AsyncContract
from web3.exceptions import ContractLogicError
from web3.types import BlockIdentifier

from pactline_escrow.artifacts import load_artifact
from pactline_escrow.deployment import Deployment
from pactline_escrow.errors import ChainMismatch, decode_revert
from pactline_escrow.merkle import VerdictLeaf
from pactline_escrow.models import BatchRecord, Job, JobStatus, Pool, PoolStatus, SettledBatch


class EscrowReader:
    def __init__(self, w3: AsyncWeb3, deployment: Deployment) -> None:
        self.w3 = w3
        self.deployment = deployment
        self.commerce: AsyncContract = w3.eth.contract(
            address=w3.to_checksum_address(deployment.agentic_commerce),
            abi=load_artifact("AgenticCommerce").abi,
        )
        self.aggregate: AsyncContract = w3.eth.contract(
            address=w3.to_checksum_address(deployment.aggregate_escrow),
            abi=load_artifact("AggregateEscrow").abi,
        )
        self._tokens: dict[str, AsyncContract] = {}

    async def ensure_chain(self) -> None:
        """Raise `ChainMismatch` unless the RPC serves the deployment's chain."""
        actual = await self.w3.eth.chain_id
        if actual != self.deployment.chain_id:
            raise ChainMismatch(self.deployment.chain_id, actual)

    async def now(self) -> int:
        """The latest block's timestamp: the clock the contracts' expiry checks use."""
        return (await self.w3.eth.get_block("latest"))["timestamp"]

    def token(self, address: str | None = None) -> AsyncContract:
        """An ERC-20 handle; defaults to the deployment's USDC."""
        address = self.w3.to_checksum_address(address or self.deployment.usdc)
        if address not in self._tokens:
            self._tokens[address] = self.w3.eth.contract(address=address, abi=load_artifact("MockUSDC").abi)
        return self._tokens[address]

    async def balance_of(self, owner: str, token: str | None = None) -> int:
        return await self.token(token).functions.balanceOf(owner).call()

    async def get_job(self, job_id: int) -> Job:
        try:
            raw = await self.commerce.functions.getJob(job_id).call()
        except ContractLogicError as exc:
            raise decode_revert(exc.data) from exc
        client, expired_at, status, provider, evaluator, token, budget, description = raw
        return Job(
            job_id=job_id,
            client=client,
            provider=provider,
            evaluator=evaluator,
            token=token,
            budget=budget,
            expired_at=expired_at,
            status=JobStatus(status),
            description=description,
        )

    async def job_counter(self) -> int:
        return await self.commerce.functions.jobCounter().call()

    async def job_credit(self, account: str, token: str | None = None) -> int:
        """What `account` can withdraw from AgenticCommerce: payouts whose transfer failed."""
        token = self.w3.to_checksum_address(token or self.deployment.usdc)
        return await self.commerce.functions.creditOf(account, token).call()

    async def get_pool(self, pool_id: bytes) -> Pool:
        try:
            raw = await self.aggregate.functions.getPool(pool_id).call()
        except ContractLogicError as exc:
            raise decode_revert(exc.data) from exc
        (
            buyer,
            provider,
            evaluator,
            token,
            expired_at,
            status,
            price,
            funded,
            released,
            refunded,
            remaining,
            provider_owed,
            buyer_owed,
            last_seq,
            chain,
        ) = raw
        return Pool(
            pool_id=pool_id,
            buyer=buyer,
            provider=provider,
            evaluator=evaluator,
            token=token,
            expired_at=expired_at,
            status=PoolStatus(status),
            price_per_task=price,
            funded=funded,
            released=released,
            refunded=refunded,
            remaining=remaining,
            provider_owed=provider_owed,
            buyer_owed=buyer_owed,
            last_batch_seq=last_seq,
            batch_chain=bytes(chain),
        )

    async def pool_id_for(self, buyer: str, acceptance_id: bytes) -> bytes:
        return bytes(await self.aggregate.functions.poolIdFor(buyer, acceptance_id).call())

    async def settled_batches(self, pool_id: bytes, from_block: BlockIdentifier = "earliest") -> list[SettledBatch]:
        """The pool's BatchSettled events in batch order. Public RPCs limit log ranges: pass the
        pool's opening block as `from_block` there."""
        logs = await self.aggregate.events.BatchSettled().get_logs(
            argument_filters={"poolId": pool_id}, from_block=from_block, to_block="latest"
        )
        batches = [
            SettledBatch(
                pool_id=bytes(log["args"]["poolId"]),
                batch_seq=log["args"]["batchSeq"],
                record=BatchRecord(
                    task_count=log["args"]["taskCount"],
                    released=log["args"]["released"],
                    refunded=log["args"]["refunded"],
                    verdict_root=bytes(log["args"]["verdictRoot"]),
                ),
                chain=bytes(log["args"]["batchChain"]),
                tx_hash="0x" + bytes(log["transactionHash"]).hex(),
                block_number=log["blockNumber"],
            )
            for log in logs
        ]
        return sorted(batches, key=lambda b: b.batch_seq)

    async def verdict_leaf(self, leaf: VerdictLeaf) -> bytes:
        """The contract's own leaf hash, to cross-check `VerdictLeaf.hash()`."""
        fn = self.aggregate.functions.verdictLeaf(leaf.pool_id, leaf.batch_seq, leaf.verdict_tuple())
        return bytes(await fn.call())

    async def batch_link(self, previous_chain: bytes, batch_seq: int, record: BatchRecord) -> bytes:
        """The contract's own chain step, to cross-check `merkle.batch_link`."""
        return bytes(await self.aggregate.functions.batchLink(previous_chain, batch_seq, record.as_tuple()).call())

    async def verify_verdict(
        self, leaf: VerdictLeaf, proof: Sequence[bytes], history: Sequence[SettledBatch] | None = None
    ) -> bool:
        """Ask the contract whether `leaf` was settled in its batch. `history` is the pool's
        settled batches (fetched from the chain's events when omitted)."""
        if history is None:
            history = await self.settled_batches(leaf.pool_id)
        by_seq = {batch.batch_seq: batch for batch in history}
        previous = leaf.pool_id if leaf.batch_seq == 1 else by_seq.get(leaf.batch_seq - 1)
        if previous is None:
            return False
        previous_chain = previous if isinstance(previous, bytes) else previous.chain
        records = [b.record for b in sorted(history, key=lambda b: b.batch_seq) if b.batch_seq >= leaf.batch_seq]
        return await self.verify_verdict_raw(
            leaf.pool_id, leaf.batch_seq, leaf.verdict_tuple(), proof, previous_chain, records
        )

    async def verify_verdict_raw(
        self,
        pool_id: bytes,
        batch_seq: int,
        verdict: tuple[bytes, int, int, int, bytes],
        proof: Sequence[bytes],
        previous_chain: bytes,
        records: Sequence[BatchRecord],
    ) -> bool:
        """`verifyVerdict` with every argument explicit (what an auditor's own tool would send)."""
        fn = self.aggregate.functions.verifyVerdict(
            pool_id, batch_seq, verdict, list(proof), previous_chain, [r.as_tuple() for r in records]
        )
        return await fn.call()

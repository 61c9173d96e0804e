"""Read-only access to the escrow contracts: jobs, pools, batch roots and verdict proofs."""

from __future__ import annotations

from collections.abc import Sequence

from web3 import AsyncWeb3
from web3.contract import AsyncContract
from web3.exceptions import ContractLogicError

from pactline_escrow.artifacts import load_artifact
from pactline_escrow.deployment import Deployment
from pactline_escrow.errors import decode_revert
from pactline_escrow.merkle import VerdictLeaf
from pactline_escrow.models import Job, JobStatus, Pool, PoolStatus


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

    def token(self, address: str | None = None) -> AsyncContract:
        """An ERC-20 handle; defaults to the deployment's USDC."""
        return self.w3.eth.contract(
            address=self.w3.to_checksum_address(address or self.deployment.usdc),
            abi=load_artifact("MockUSDC").abi,
        )

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

    async def get_pool(self, pool_id: bytes) -> Pool:
        try:
            raw = await self.aggregate.functions.getPool(pool_id).call()
        except ContractLogicError as exc:
            raise decode_revert(exc.data) from exc
        buyer, expired_at, last_seq, status, provider, remaining, evaluator, token = raw
        return Pool(
            pool_id=pool_id,
            buyer=buyer,
            provider=provider,
            evaluator=evaluator,
            token=token,
            remaining=remaining,
            expired_at=expired_at,
            last_batch_seq=last_seq,
            status=PoolStatus(status),
        )

    async def pool_id_for(self, buyer: str, acceptance_id: bytes) -> bytes:
        return bytes(await self.aggregate.functions.poolIdFor(buyer, acceptance_id).call())

    async def batch_root(self, pool_id: bytes, batch_seq: int) -> bytes:
        return bytes(await self.aggregate.functions.batchRoot(pool_id, batch_seq).call())

    async def verdict_leaf(self, leaf: VerdictLeaf) -> bytes:
        """The contract's own leaf hash, to cross-check `VerdictLeaf.hash()`."""
        fn = self.aggregate.functions.verdictLeaf(
            leaf.task_id, int(leaf.outcome), leaf.released, leaf.refunded, leaf.evidence_digest
        )
        return bytes(await fn.call())

    async def verify_verdict(self, pool_id: bytes, batch_seq: int, leaf_hash: bytes, proof: Sequence[bytes]) -> bool:
        fn = self.aggregate.functions.verifyVerdict(pool_id, batch_seq, leaf_hash, list(proof))
        return await fn.call()

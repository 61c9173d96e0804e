"""The platform's side: it signs only as evaluator (complete, reject, settleBatch)."""

from __future__ import annotations

from pactline_escrow.merkle import VerdictBatch
from pactline_escrow.models import TxResult
from pactline_escrow.roles import RoleClient


class EvaluatorClient(RoleClient):
    async def complete(self, job_id: int, evidence_digest: bytes) -> TxResult:
        """Release a submitted job's budget; the verdict's evidence digest is the reason."""
        fn = self.reader.commerce.functions.complete(job_id, evidence_digest, b"")
        return await self.signer.send(fn)

    async def reject(self, job_id: int, evidence_digest: bytes) -> TxResult:
        """Refund a funded or submitted job to its client."""
        fn = self.reader.commerce.functions.reject(job_id, evidence_digest, b"")
        return await self.signer.send(fn)

    async def settle_batch(self, batch: VerdictBatch) -> TxResult:
        """Settle a batch built for its pool and number (the leaves bind both)."""
        return await self.settle_amounts(
            batch.pool_id, batch.batch_seq, batch.task_count, batch.released, batch.refunded, batch.root
        )

    async def settle_amounts(
        self,
        pool_id: bytes,
        batch_seq: int,
        task_count: int,
        released: int,
        refunded: int,
        verdict_root: bytes,
    ) -> TxResult:
        """Raw settleBatch, for callers that already netted the batch."""
        fn = self.reader.aggregate.functions.settleBatch(
            pool_id, batch_seq, task_count, released, refunded, verdict_root
        )
        return await self.signer.send(fn)

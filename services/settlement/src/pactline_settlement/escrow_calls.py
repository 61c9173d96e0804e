"""The evaluator's calls on the escrow contracts and a batch's Merkle leaves, in one place.

This module is the only one that knows the contracts' argument lists and the leaf layout
(docs/escrow.md "Leaf format", docs/settlement.md "Batch and leaf format"); the rest of the
service works with ``PlannedBatch`` and task ids. Leaves bind the pool and the batch number,
and every task of a batch moves exactly the pool's price per task.
"""

from __future__ import annotations

from collections.abc import Sequence

from web3.contract.async_contract import AsyncContractFunction

from pactline_escrow import EscrowReader, VerdictBatch, VerdictLeaf, VerdictOutcome
from pactline_escrow.ids import bytes32_from_identifier

from .batching import BatchLeaf, PlannedBatch

OUTCOMES = {"PASS": VerdictOutcome.PASS, "FAIL": VerdictOutcome.FAIL, "INCONCLUSIVE": VerdictOutcome.INCONCLUSIVE}


def id32(identifier: str) -> bytes:
    """A Pactline id (task, acceptance) as the contracts' bytes32: keccak256 of its UTF-8 bytes."""
    return bytes32_from_identifier(identifier)


def verdict_leaf(pool_id: bytes, batch_seq: int, leaf: BatchLeaf) -> VerdictLeaf:
    return VerdictLeaf(
        pool_id=pool_id,
        batch_seq=batch_seq,
        task_id=id32(leaf.task_id),
        outcome=OUTCOMES[leaf.outcome],
        released=leaf.released,
        refunded=leaf.refunded,
        evidence_digest=leaf.evidence_digest,
    )


def verdict_batch(pool_id: bytes, batch_seq: int, price: int, leaves: Sequence[BatchLeaf]) -> VerdictBatch:
    """The batch as the contract checks it (libs/escrow refuses a leaf that does not move exactly
    ``price``, a task twice, an empty batch): its root, record and proofs."""
    return VerdictBatch(pool_id, batch_seq, price, [verdict_leaf(pool_id, batch_seq, leaf) for leaf in leaves])


def complete_call(reader: EscrowReader, job_id: int, reason: bytes) -> AsyncContractFunction:
    return reader.commerce.functions.complete(job_id, reason, b"")


def reject_call(reader: EscrowReader, job_id: int, reason: bytes) -> AsyncContractFunction:
    return reader.commerce.functions.reject(job_id, reason, b"")


def settle_batch_call(reader: EscrowReader, batch: PlannedBatch, root: bytes) -> AsyncContractFunction:
    return reader.aggregate.functions.settleBatch(
        batch.pool_id, batch.batch_seq, len(batch.leaves), batch.released, batch.refunded, root
    )


async def verify_on_chain(
    reader: EscrowReader, pool_id: bytes, batch_seq: int, leaf: BatchLeaf, proof: Sequence[bytes]
) -> bool:
    """The contract's own answer (verifyVerdict): the contract computes the leaf from its fields,
    checks the proof against the batch's root, and the batch against the pool's batch chain
    (the records come from the chain's BatchSettled events)."""
    return await reader.verify_verdict(verdict_leaf(pool_id, batch_seq, leaf), list(proof))

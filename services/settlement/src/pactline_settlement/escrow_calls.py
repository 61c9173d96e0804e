"""The evaluator's calls on the escrow contracts and a batch's Merkle leaves, in one place.

This module is the only one that knows the contracts' argument lists and the leaf layout
(docs/escrow.md, docs/settlement.md "Batch and leaf format"); the rest of the service works
with ``PlannedBatch`` and task ids.
"""

from __future__ import annotations

from collections.abc import Sequence

from eth_utils import keccak
from web3.contract.async_contract import AsyncContractFunction

from pactline_escrow import EscrowReader, VerdictLeaf, VerdictOutcome, VerdictTree

from .batching import BatchLeaf, PlannedBatch

OUTCOMES = {"PASS": VerdictOutcome.PASS, "FAIL": VerdictOutcome.FAIL, "INCONCLUSIVE": VerdictOutcome.INCONCLUSIVE}


def id32(identifier: str) -> bytes:
    """A Pactline id (task, acceptance) as the contracts' bytes32: keccak256 of its UTF-8 bytes."""
    return keccak(identifier.encode("utf-8"))


def verdict_leaf(leaf: BatchLeaf) -> VerdictLeaf:
    return VerdictLeaf(
        task_id=id32(leaf.task_id),
        outcome=OUTCOMES[leaf.outcome],
        released=leaf.released,
        refunded=leaf.refunded,
        evidence_digest=leaf.evidence_digest,
    )


def batch_tree(pool_id: bytes, batch_seq: int, leaves: Sequence[BatchLeaf]) -> VerdictTree:
    """The tree whose root a batch anchors. ``pool_id`` and ``batch_seq`` are not part of today's
    leaves (the contract stores the root under them); they are arguments so the hardened leaf
    that binds them needs no change to callers."""
    del pool_id, batch_seq
    return VerdictTree([verdict_leaf(leaf) for leaf in leaves])


def complete_call(reader: EscrowReader, job_id: int, reason: bytes) -> AsyncContractFunction:
    return reader.commerce.functions.complete(job_id, reason, b"")


def reject_call(reader: EscrowReader, job_id: int, reason: bytes) -> AsyncContractFunction:
    return reader.commerce.functions.reject(job_id, reason, b"")


def settle_batch_call(reader: EscrowReader, batch: PlannedBatch, root: bytes) -> AsyncContractFunction:
    return reader.aggregate.functions.settleBatch(batch.pool_id, batch.batch_seq, batch.released, batch.refunded, root)


async def verify_on_chain(
    reader: EscrowReader, pool_id: bytes, batch_seq: int, leaf: BatchLeaf, proof: Sequence[bytes]
) -> bool:
    """The contract's own answer: does this leaf belong to the root stored for the batch?"""
    leaf_hash = await reader.verdict_leaf(verdict_leaf(leaf))
    return await reader.verify_verdict(pool_id, batch_seq, leaf_hash, list(proof))
